//! Stripe event bodies, as `POST /stripe/webhooks/{accountId}` parses them before verifying.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = loop_edge::fuzzing::stripe_event(data);
});
