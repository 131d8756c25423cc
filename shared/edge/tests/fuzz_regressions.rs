//! Every input kept from fuzzing (`scripts/fuzz.sh`) and the hand-made nasty ones, fed to the
//! same entry points the fuzz targets run (`loop_edge::fuzzing`, which also asserts each
//! target's properties). A file is `tests/fuzz_regressions/<target>/<expected>.<name>`, where
//! `<expected>` is the outcome it must have: for `stripe_signature` `ok` or `malformed`; for
//! `stripe_event` `supported`, `unsupported` or `invalid`; for `api_body` `ok` or the API
//! error code. Needs no emulator: `cargo test -p loop-edge --test fuzz_regressions`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use loop_capabilities::ingest::event::Parsed;
use loop_capabilities::ingest::signature::SignatureError;
use loop_edge::fuzzing;

fn outcome_of(target: &str, input: &[u8]) -> String {
    match target {
        "stripe_signature" => match fuzzing::stripe_signature(input) {
            Ok(_) => "ok".into(),
            Err(SignatureError::Malformed) => "malformed".into(),
            Err(other) => format!("{other:?}"),
        },
        "stripe_event" => match fuzzing::stripe_event(input) {
            Ok(Parsed::Supported(_)) => "supported".into(),
            Ok(Parsed::Unsupported { .. }) => "unsupported".into(),
            Err(_) => "invalid".into(),
        },
        "api_body" => match fuzzing::api_body(input) {
            Ok(()) => "ok".into(),
            Err(err) => err.body().error.code.into(),
        },
        other => panic!("no fuzz target {other}"),
    }
}

fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

fn check(target: &str) {
    let files = inputs(target);
    assert!(!files.is_empty(), "{target}: no regression inputs");
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let expected = name.split('.').next().unwrap_or_default();
        let input = std::fs::read(path).unwrap();
        match catch_unwind(AssertUnwindSafe(|| outcome_of(target, &input))) {
            Ok(outcome) if outcome == expected => {}
            Ok(outcome) => failures.push(format!("{name}: {outcome}, expected {expected}")),
            Err(_) => failures.push(format!("{name}: panicked")),
        }
    }
    assert!(
        failures.is_empty(),
        "{target}: {} of {} inputs failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn stripe_signature_inputs_keep_their_outcome() {
    check("stripe_signature");
}

#[test]
fn stripe_event_inputs_keep_their_outcome() {
    check("stripe_event");
}

#[test]
fn api_body_inputs_keep_their_outcome() {
    check("api_body");
}

/// Too large to keep as a file: a body one byte over 1 MiB is refused before it is parsed.
#[test]
fn an_api_body_over_one_mebibyte_is_refused_unread() {
    let mut input = b"00".to_vec();
    input.resize(2 + 1024 * 1024 + 1, b'[');
    assert_eq!(outcome_of("api_body", &input), "body_too_large");
}

/// Too large to keep as a file: values nested half a million deep, inside a field Loop ignores,
/// are skipped without recursing (no stack overflow), on both parse paths.
#[test]
fn deep_nesting_in_an_ignored_field_does_not_overflow_the_stack() {
    let depth = 500_000;
    for kind in ["customer.created", "plan.created"] {
        let body = format!(
            r#"{{"id":"evt_1","created":1,"data":{{"object":{{"x":{}{}}}}},"type":"{kind}"}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let expected = if kind == "plan.created" { "unsupported" } else { "supported" };
        assert_eq!(outcome_of("stripe_event", body.as_bytes()), expected);
    }
}
