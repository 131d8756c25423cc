//! The API's request bodies: byte 0 picks the route, byte 1 the `Content-Type`, the rest is the body.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = loop_edge::fuzzing::api_body(data);
});
