//! # agent
//!
//! The plumbing the node agents (`k8s-bgp-speaker`, `k8s-ospf-speaker`) share, with no
//! protocol in it:
//!
//! - [`control`]: a Unix socket where `show ...` commands are answered, and the client
//!   side a `show` subcommand uses;
//! - [`http`]: Prometheus metrics (`/metrics`, from a `prometheus-client` registry) and the
//!   health endpoints a Kubernetes probe asks (`/healthz`, `/readyz`).
#![warn(missing_docs)]
#![deny(unsafe_code)]

pub mod control;
pub mod http;
