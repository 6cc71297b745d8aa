//! ICMPv6 Router Advertisements (unnumbered BGP finds its neighbours by them): never
//! panics; what decodes encodes to a message that decodes the same.
#![no_main]
use bgp_fsm::ra::RouterAdvertisement;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(ra) = RouterAdvertisement::decode(data) {
        let _ = ra.source_link_layer_address();
        let _ = ra.mtu();
        let again = RouterAdvertisement::decode(&ra.encode()).expect("our encoding decodes");
        assert_eq!(again, ra);
    }
});
