//! route_refresh (being written)
