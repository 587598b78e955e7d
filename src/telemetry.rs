//! Log setup. Secrets never reach the log: request lines carry the route pattern, not
//! the raw path or query, and no handler logs credentials, tokens or key material.

use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};

/// Installs the global subscriber; a second call (tests) is a no-op.
pub fn init(config: &Config) {
    let mut filter =
        EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    // The oid4vp crate logs each presentation it validates (info) and each one that fails
    // (error, several lines per failure): a wallet could fill the log at will, and the
    // session trail records every check already. `log_level` naming the crate opts back in.
    if !config.log_level.contains("oid4vp") {
        filter = filter.add_directive("oid4vp=off".parse().expect("a valid directive"));
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
