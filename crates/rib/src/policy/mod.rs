//! Routing policy: prefix lists, access lists, community lists, AS-path access lists and
//! route maps, built in code or parsed from FRR-like text.
