//! The Stripe accept path — verify the signature, parse the event, decide what it needs
//! (`ingest::reads_for`: its email, customer, catalogue and transfer keys) — next to the floor
//! measured in the same run: one HMAC-SHA256 of the signed payload plus one
//! `serde_json::from_slice::<Value>` of the body. Run: `cargo bench -p loop-capabilities --bench accept`.
//!
//! `loop` is a warm process: the account's secret has signed an event before, so verifying
//! clones the HMAC state keyed with it (`signature::verify` keeps them per thread). `loop, cold
//! key` signs every request with another secret, each keyed afresh.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hmac::{Hmac, KeyInit, Mac};
use loop_capabilities::ingest::{event, reads_for, signature};
use loop_ground::secret::Secret;
use serde_json::{json, Value};
use sha2::Sha256;

const SECRET: &str = "whsec_bench_secret_0123456789abcdef";
const NOW: i64 = 1_700_000_000;

fn fixture(name: &str) -> Value {
    let path = format!("{}/../../tests/fixtures/stripe/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn event_body(kind: &str, object: Value) -> Vec<u8> {
    serde_json::to_vec_pretty(&json!({
        "id": "evt_1PgafmB7WZ01zgkW6dKueIc5", "object": "event", "api_version": "2026-07-29.dahlia",
        "created": NOW, "data": {"object": object}, "livemode": false, "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null}, "type": kind,
    }))
    .unwrap()
}

fn cases() -> Vec<(&'static str, Vec<u8>)> {
    let mut customer = fixture("customer");
    customer["email"] = json!("jenny.rosen@example.com");
    customer["name"] = json!("Jenny Rosen");
    let mut session = fixture("checkout.session");
    session["customer_details"]["email"] = json!("jenny.rosen@example.com");
    vec![
        ("customer.created", event_body("customer.created", customer)),
        ("checkout.session.completed", event_body("checkout.session.completed", session)),
        ("invoice.paid", event_body("invoice.paid", fixture("invoice.captured"))),
    ]
}

fn floor(body: &[u8]) -> usize {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(NOW.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    let value: Value = serde_json::from_slice(body).unwrap();
    tag[0] as usize + value.as_object().map_or(0, |o| o.len())
}

fn accept(body: &[u8], header: &str, secrets: &[Secret]) -> usize {
    let header = signature::parse_header(header).unwrap();
    signature::verify(&header, body, secrets, NOW, 300).unwrap();
    match event::parse(body).unwrap() {
        event::Parsed::Supported(event) => {
            let read = reads_for(Some(&event));
            read.emails.len() + read.price_ids.len() + usize::from(read.customer_id.is_some())
        }
        event::Parsed::Unsupported { .. } => 0,
    }
}

/// Enough secrets, taken in turn, that none is still kept when it comes round again.
const COLD_SECRETS: usize = 1024;

fn bench(c: &mut Criterion) {
    let secrets = [Secret::new(SECRET)];
    let mut group = c.benchmark_group("stripe_accept");
    for (name, body) in cases() {
        let header = signature::header_for(SECRET, NOW, &body);
        let label = format!("{name} ({:.1} KB)", body.len() as f64 / 1024.0);
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(BenchmarkId::new("floor", &label), &body, |b, body| b.iter(|| floor(black_box(body))));
        group.bench_with_input(BenchmarkId::new("loop", &label), &body, |b, body| {
            b.iter(|| accept(black_box(body), black_box(&header), &secrets))
        });
        let cold: Vec<([Secret; 1], String)> = (0..COLD_SECRETS)
            .map(|i| {
                let secret = format!("whsec_bench_secret_{i:016x}");
                let header = signature::header_for(&secret, NOW, &body);
                ([Secret::new(secret)], header)
            })
            .collect();
        group.bench_with_input(BenchmarkId::new("loop, cold key", &label), &body, |b, body| {
            let mut turn = cold.iter().cycle();
            b.iter(|| {
                let (secrets, header) = turn.next().unwrap();
                accept(black_box(body), black_box(header), secrets)
            })
        });
        // Its parts, to see where the time goes.
        group.bench_with_input(BenchmarkId::new("part: verify", &label), &body, |b, body| {
            b.iter(|| {
                let header = signature::parse_header(black_box(&header)).unwrap();
                signature::verify(&header, black_box(body), &secrets, NOW, 300).is_ok()
            })
        });
        group.bench_with_input(BenchmarkId::new("part: skip whole body (IgnoredAny)", &label), &body, |b, body| {
            b.iter(|| serde_json::from_slice::<serde::de::IgnoredAny>(black_box(body)).is_ok())
        });
        group.bench_with_input(BenchmarkId::new("part: HMAC alone", &label), &body, |b, body| {
            b.iter(|| signature::sign(SECRET, NOW, black_box(body)))
        });
        group.bench_with_input(BenchmarkId::new("part: parse", &label), &body, |b, body| {
            b.iter(|| event::parse(black_box(body)).is_ok())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
