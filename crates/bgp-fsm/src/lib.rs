//! bgp-fsm
