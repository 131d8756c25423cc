//! Log setup, shared by the functions, the local runner and `loopctl`.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls are no-ops. `ansi` colours a terminal.
pub fn init(ansi: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
}
