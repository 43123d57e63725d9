use crate::configuration::{LogFormat, LogSettings};
use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber. `RUST_LOG`, when set, wins over the configured level.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // try_init: a second call (tests spawn many apps in one process) is not an error.
    let _ = match settings.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}
