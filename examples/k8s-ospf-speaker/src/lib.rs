//! # k8s-ospf-speaker
//!
//! The OSPF node agent of seed deployment 3, as a library so that a program
//! can embed it (and plug in another pod CIDR source) and tests can load its
//! configuration. It is thin: the protocol is `ospf-lsdb` on `ospf-tokio`,
//! the table is `rib`, the kernel is `kernel`, the socket and HTTP endpoints
//! are `agent`'s.
//!
//! - [`config`]: the TOML file, refused with `file:line: reason`.
//! - [`ospf3`]: OSPFv3 beside OSPFv2 on the same interfaces.
//! - [`speaker`]: the loop: OSPF, the kernel FIB, pod routes, reload, stop.
//! - [`show`]: the `show` commands of the control socket.
//! - [`metrics`]: what `/metrics` shows.
#![warn(missing_docs)]
#![deny(unsafe_code)]

pub mod config;
pub mod metrics;
pub mod ospf3;
pub mod show;
pub mod speaker;
