//! bgp-dump's capture input (pcap or pcapng, TCP reassembly, BGP and BMP streams): never
//! panics, whatever the file holds; every item renders as JSON.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let capture = bgp_dump::capture::decode_with_bmp(data, &[179], &[11019]);
    for item in capture.items.iter().take(256) {
        let _ = item.to_json();
    }
});
