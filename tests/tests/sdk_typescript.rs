//! The TypeScript SDK (`sdk/typescript`, `@loop/sdk`) against a whole stack: the package is
//! built and its own tests (Node's test runner) run against this stack's HTTP address with a
//! test-mode key. They check the generated types are fresh against `openapi.json`, type-check
//! the examples, create a payment link and a session, page through more contacts than a page
//! holds, see a `404` and a `409` as `LoopError`, retry a POST into one object, and verify a real
//! delivery from this stack's dispatch (private endpoints allowed: the receiver is on loopback).
//!
//! A test that cannot run Node fails: it proves nothing by passing.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, SystemTime};

use loop_tests::TestStack;
use tokio::process::Command;

/// `sdk/typescript/`.
fn sdk_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk/typescript")
}

/// The Makefile's `SDK_STAMP`: touched after `npm ci`, so a lockfile newer than it means the
/// installed packages are stale.
fn stamp() -> PathBuf {
    sdk_dir().join("node_modules/.installed-v1")
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn installed_is_fresh() -> bool {
    let Some(installed) = modified(&stamp()) else { return false };
    ["package.json", "package-lock.json"].iter().all(|f| modified(&sdk_dir().join(f)).is_some_and(|m| m <= installed))
}

async fn npm(args: &[&str], env: &[(&str, &str)], limit: Duration) -> Output {
    let child = Command::new("npm")
        .args(args)
        .current_dir(sdk_dir())
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("npm runs (the SDK's tests need Node.js and npm: apt-get install nodejs npm)");
    tokio::time::timeout(limit, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("`npm {}` did not finish within {limit:?}", args.join(" ")))
        .expect("npm's output is read")
}

fn assert_success(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "`{what}` failed ({})\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn the_typescript_sdk_builds_and_passes_its_tests_against_the_stack() {
    // GIVEN a stack whose dispatch may deliver to loopback, and a test-mode account
    let t = TestStack::start_with(&[("LOOP_ALLOW_PRIVATE_ENDPOINTS", "1")]).await;
    let account = t.account("SDK Test Co", true).await;

    // AND the package's pinned dependencies (`make test` installs them first)
    if !installed_is_fresh() {
        assert_success("npm ci", &npm(&["ci", "--ignore-scripts"], &[], Duration::from_secs(300)).await);
        std::fs::write(stamp(), b"").expect("the stamp is written");
    }

    // WHEN the package is built and its tests run against the stack
    assert_success("npm run build", &npm(&["run", "build"], &[], Duration::from_secs(300)).await);
    let base_url = t.url("");
    let output = npm(
        &["test"],
        &[("LOOP_URL", base_url.as_str()), ("LOOP_API_KEY", account.api_key.as_str())],
        Duration::from_secs(540),
    )
    .await;

    // THEN they all pass (the runner's report shows with `--nocapture`)
    println!("{}", String::from_utf8_lossy(&output.stdout));
    assert_success("npm test", &output);
    t.shutdown().await;
}
