//! OSPFv2 (RFC 2328 appendix A): packets, LSAs and their codepoints.

pub mod codepoints;
pub mod header;
pub mod lsa;
pub mod lsa_body;
pub mod lsa_header;
pub mod packet;

pub use codepoints::{AuType, DdFlags, LsType, Options, PacketType, RouterFlags, RouterLinkType};
pub use header::{packet_checksum, Authentication, PacketHeader, HEADER_LEN};
pub use lsa::{Lsa, LsaBody, LsaFields};
pub use lsa_body::{
    AsExternalLsa, ExternalTosMetric, NetworkLsa, RouterLink, RouterLsa, RouterTosMetric,
    SummaryLsa, SummaryTosMetric,
};
pub use lsa_header::{LsaHeader, LsaKey, LSA_HEADER_LEN};
pub use packet::{
    DatabaseDescription, Hello, LinkStateAck, LinkStateRequest, LinkStateUpdate, Packet, PacketBody,
};
