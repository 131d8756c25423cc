//! Log setup, shared by the functions, the local runner and `loopctl`.
//!
//! Lambda's advanced logging controls say how a function should log: `AWS_LAMBDA_LOG_FORMAT=JSON`
//! asks for one JSON object per line (CloudWatch Logs Insights then queries its fields), with the
//! fields of the spans it happened in (request id, account, event, delivery), and
//! `AWS_LAMBDA_LOG_LEVEL` for the level. Anything else, and the local runner, logs plain text.

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// What Lambda's `AWS_LAMBDA_LOG_FORMAT` asks for (`JSON` or `Text`).
    pub fn from_env() -> LogFormat {
        match std::env::var("AWS_LAMBDA_LOG_FORMAT") {
            Ok(format) if format.eq_ignore_ascii_case("json") => LogFormat::Json,
            _ => LogFormat::Text,
        }
    }
}

/// Installs the global subscriber once, in plain text; later calls are no-ops. `ansi` colours a
/// terminal.
pub fn init(ansi: bool) {
    init_as(LogFormat::Text, ansi);
}

/// Installs the global subscriber once in `format`; later calls are no-ops. The level is
/// `RUST_LOG`, else Lambda's `AWS_LAMBDA_LOG_LEVEL`, else `info`.
pub fn init_as(format: LogFormat, ansi: bool) {
    let directives = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.is_empty())
        .or_else(|| std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().map(|level| level.to_lowercase()))
        .unwrap_or_else(|| "info".to_owned());
    let filter = EnvFilter::try_new(directives).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.with_ansi(ansi).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).with_span_list(true).try_init(),
    };
}
