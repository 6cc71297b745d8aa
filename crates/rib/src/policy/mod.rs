//! Routing policy (placeholder until the policy engine lands).
#![allow(missing_docs, dead_code)]
use crate::route_attrs::PolicyRoute;
use ipnet::IpNet;

#[derive(Clone, Debug, Default)]
pub struct Policy {}
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RouteMapId(u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Permit,
    Deny,
}
impl Policy {
    pub fn new() -> Policy {
        Policy {}
    }
    pub fn route_map_id(&self, _name: &str) -> Option<RouteMapId> {
        None
    }
    pub fn apply(&self, _map: RouteMapId, _route: &mut PolicyRoute) -> Verdict {
        Verdict::Permit
    }
    pub fn depends_on_prefix(&self, _map: RouteMapId) -> bool {
        true
    }
    pub fn prefix_list_permits(&self, _name: &str, _p: &IpNet) -> Option<bool> {
        None
    }
}
