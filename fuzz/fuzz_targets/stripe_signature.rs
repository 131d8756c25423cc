//! `Stripe-Signature` parsing and verification: first line the header, the rest the body.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = loop_edge::fuzzing::stripe_signature(data);
});
