//! Outbound signing of a 2 KB payload all three ways at once (`loops-signature` hex,
//! `loop-signature` base64, Standard Webhooks `webhook-signature`), as every delivery does.
//! Run: `cargo bench -p loop-capabilities --bench signing`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use loop_capabilities::dispatch::signing;
use loop_ground::secret::Secret;

fn bench(c: &mut Criterion) {
    let body = format!(r#"{{"id":"evt_1","type":"contact.created","data":{{"note":"{}"}}}}"#, "x".repeat(1990));
    assert!(body.len() >= 2048);
    let secret = Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    let rotated = Secret::new("whsec_bmV3LXNlY3JldC1rZXktMzItYnl0ZXMtbG9uZyE=");
    c.bench_function("sign_2kb_three_ways", |b| {
        b.iter(|| signing::sign(&[&secret], black_box("evt_1"), 1_700_000_000, black_box(body.as_bytes())))
    });
    c.bench_function("sign_2kb_three_ways_during_rotation", |b| {
        b.iter(|| signing::sign(&[&rotated, &secret], black_box("evt_1"), 1_700_000_000, black_box(body.as_bytes())))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
