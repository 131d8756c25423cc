//! The browser tests' driver: Node scripts in `tests/browser/` that drive Debian's Chromium with
//! playwright-core. A test that cannot start them fails (it never skips).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// `tests/browser/`, where the driver's scripts and pinned packages are.
pub fn driver_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("browser")
}

/// Checks Chromium is there, and `npm ci` of the driver's pinned packages unless they are
/// installed (`make test` installs them first), once per test process.
pub fn install_driver() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        assert!(
            Path::new(CHROMIUM).exists(),
            "Chromium is not installed: `apt-get install chromium` (Debian's package; `.ci/run` installs it)"
        );
        let dir = driver_dir();
        if dir.join("node_modules/playwright-core/package.json").exists() {
            return;
        }
        let status = std::process::Command::new("npm")
            .args(["ci", "--ignore-scripts", "--prefix"])
            .arg(&dir)
            .status()
            .expect("npm runs (the browser tests need Node.js and npm: apt-get install nodejs npm)");
        assert!(status.success(), "`npm ci --prefix {}` failed: run it by hand to see why", dir.display());
    });
}
