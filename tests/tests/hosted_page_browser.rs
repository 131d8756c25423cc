//! The hosted checkout page rendered by a real browser (headless Chromium, Debian's package):
//! the amount and status read from the rendered page, and markup from the merchant shown as
//! text. `make test` runs it whenever Chromium is installed; `.ci/run` installs it first.

use std::path::Path;
use std::process::Command;

use loop_tests::TestStack;
use serde_json::json;

fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"].into_iter().find(|p| Path::new(p).exists())
}

/// The DOM after the page loaded and ran (`--dump-dom`).
fn rendered(browser: &str, url: &str) -> String {
    let profile = std::env::temp_dir().join(format!("loop-chromium-{}", loop_ground::ids::random_token(8)));
    let output = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--dump-dom", url])
        .output()
        .expect("chromium runs");
    let _ = std::fs::remove_dir_all(profile);
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn the_page_renders_the_amount_and_status_and_shows_markup_as_text() {
    // A browser test that cannot start its browser fails: it proves nothing by passing.
    let browser = chromium()
        .expect("Chromium is not installed: `apt-get install chromium` (Debian's package; `.ci/run` installs it)");
    let t = TestStack::start().await;
    let acme = t.account("<script>document.title='pwned'</script>Acme", true).await;
    let link_body = json!({"name": "<img src=x onerror=alert(1)>Gold", "amount": "42.50", "currency": "USDC"});
    let (_, link) = t.post_json(&acme, "/v1/payment-links", &link_body).await;
    let session_body = json!({"paymentLinkId": link["id"], "metadata": {"note": "<script>alert(1)</script>"}});
    let (_, session) = t.post_json(&acme, "/v1/checkout-sessions", &session_body).await;
    let url = session["url"].as_str().unwrap().to_owned();
    let dom = tokio::task::spawn_blocking({
        let url = url.clone();
        move || rendered(browser, &url)
    })
    .await
    .unwrap();
    assert!(dom.contains(r#"<span id="amount">42.50</span>"#), "{dom}");
    assert!(dom.contains(r#"data-status="open""#));
    // Shown as text, never as elements: no script ran, no image was made.
    assert!(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;Acme"), "{dom}");
    assert!(!dom.contains("<script") && !dom.contains("<img"));
    assert!(!dom.contains("<title>pwned</title>"));

    let complete = format!("/v1/test-helpers/checkout-sessions/{}/complete", session["id"].as_str().unwrap());
    assert_eq!(t.post_json(&acme, &complete, &json!({})).await.0, 200);
    let done = tokio::task::spawn_blocking(move || rendered(browser, &url)).await.unwrap();
    assert!(done.contains(r#"data-status="completed""#), "{done}");
    t.shutdown().await;
}
