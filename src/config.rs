//! Configuration: built-in defaults, then a TOML file, then `VOUCH_*` environment
//! variables, then command-line flags; each layer overrides the one before.

use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// SQLite's `synchronous` setting (ignored on PostgreSQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    /// A committed transaction survives a crash of the process; on power loss the
    /// transactions since the last WAL checkpoint may be lost (the file stays consistent).
    #[default]
    Normal,
    /// Every commit is synced to disk: survives power loss, costs an fsync per commit.
    Full,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// The URL wallets and clients reach this server at; every identifier and link is
    /// built from it, never from the `Host` header. Defaults to `http://{bind}`.
    pub public_url: Option<String>,
    /// Address to listen on.
    pub bind: String,
    /// `postgres://…` selects PostgreSQL; anything else is a SQLite file path
    /// (an optional `sqlite://` prefix is stripped).
    pub database_url: String,
    /// File holding the master key that encrypts private keys and secrets at rest.
    /// Created (mode 0600) on first start when missing. Defaults to `vouch.master.key`
    /// next to the SQLite file, or in the working directory for PostgreSQL.
    pub master_key_file: Option<PathBuf>,
    pub log_format: LogFormat,
    /// A `tracing` filter, e.g. `info` or `vouch=debug,actix_web=info`.
    pub log_level: String,
    /// Largest request body accepted, in bytes; larger ones get 413.
    pub max_body_bytes: usize,
    /// Connections in the database pool; by default 4 on SQLite (readers only: writes
    /// have a connection of their own, and more readers than cores only thrash SQLite's
    /// page caches) and 16 on PostgreSQL.
    pub pool_size: Option<u32>,
    pub sqlite_synchronous: SqliteSynchronous,
    /// Lifetime of admin access tokens, in seconds.
    pub admin_token_ttl_seconds: i64,
    /// How long a replaced signing key stays published, in seconds, so what it signed
    /// keeps verifying (default 90 days).
    pub key_retirement_grace_seconds: i64,
    /// Lifetime of a credential offer (its pre-authorized code), in seconds.
    pub offer_ttl_seconds: i64,
    /// Lifetime of OpenID4VCI access tokens, in seconds. OpenID4VCI asks tokens living
    /// over five minutes to be sender-constrained, which vouch's bearer tokens are not.
    pub access_token_ttl_seconds: i64,
    /// Lifetime of OpenID4VCI refresh tokens (for collecting deferred credentials).
    pub refresh_token_ttl_seconds: i64,
    /// Lifetime of a `c_nonce`, in seconds.
    pub nonce_ttl_seconds: i64,
    /// Validity of an issued credential whose user credential has no `expiresAt`.
    pub credential_validity_seconds: i64,
    /// Lifetime of a presentation session (credential verification), in seconds.
    pub presentation_ttl_seconds: i64,
    /// PEM certificate chain (leaf first) of the verifier's `x509_san_dns:` and
    /// `x509_hash:` client identifiers. Unset: a development chain is made on first start.
    pub verifier_x509_chain_file: Option<PathBuf>,
    /// The PKCS#8 PEM private key of that chain's leaf (with `verifier_x509_chain_file`).
    pub verifier_x509_key_file: Option<PathBuf>,
    /// Entries per status list (at least 131,072, the Bitstring Status List minimum).
    pub status_list_size: u64,
    /// How long verifiers may cache a status list (`ttl`, `Cache-Control: max-age`): a
    /// revocation reaches a verifier that caches within this many seconds.
    pub status_list_ttl_seconds: u64,
    /// Wrong transaction codes an offer survives; the next one kills it.
    pub tx_code_max_attempts: i32,
    /// Lets the DID resolver fetch `did:web` documents from loopback addresses over plain
    /// http. For development and tests only; never in production.
    pub did_web_allow_loopback: bool,
    /// Environment id to use when bootstrapping an empty database (a UUID).
    pub bootstrap_environment_id: Option<String>,
    /// Client id (a UUID) of the bootstrap admin worker application.
    pub bootstrap_client_id: Option<String>,
    /// Client secret of the bootstrap admin worker application.
    pub bootstrap_client_secret: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            public_url: None,
            bind: "127.0.0.1:8080".into(),
            database_url: "./vouch.db".into(),
            master_key_file: None,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            max_body_bytes: 1024 * 1024,
            pool_size: None,
            sqlite_synchronous: SqliteSynchronous::Normal,
            admin_token_ttl_seconds: 3600,
            key_retirement_grace_seconds: 90 * 24 * 3600,
            did_web_allow_loopback: false,
            offer_ttl_seconds: 30 * 60,
            access_token_ttl_seconds: 300,
            refresh_token_ttl_seconds: 30 * 24 * 3600,
            nonce_ttl_seconds: 300,
            credential_validity_seconds: 365 * 24 * 3600,
            presentation_ttl_seconds: 300,
            verifier_x509_chain_file: None,
            verifier_x509_key_file: None,
            status_list_size: 131_072,
            status_list_ttl_seconds: 60,
            tx_code_max_attempts: 5,
            bootstrap_environment_id: None,
            bootstrap_client_id: None,
            bootstrap_client_secret: None,
        }
    }
}

/// Values given on the command line; `None` leaves the lower layers in charge.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master_key_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
}

impl Config {
    /// Loads the layered configuration. `file` is the TOML file, if any; a file that was
    /// named but does not exist is an error rather than silently ignored.
    pub fn load(file: Option<&std::path::Path>, overrides: &Overrides) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            anyhow::ensure!(
                path.exists(),
                "configuration file {} does not exist",
                path.display()
            );
            figment = figment.merge(Toml::file(path));
        }
        figment = figment
            .merge(Env::prefixed("VOUCH_").ignore(&["CONFIG"]))
            .merge(Serialized::defaults(overrides));
        let config: Config = figment.extract()?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        let url = self.public_url();
        anyhow::ensure!(
            url.starts_with("https://") || url.starts_with("http://"),
            "public_url must be an http(s) URL, got {url}"
        );
        anyhow::ensure!(
            !url.contains('?') && !url.contains('#'),
            "public_url must not carry a query or fragment"
        );
        anyhow::ensure!(self.pool_size != Some(0), "pool_size must be at least 1");
        anyhow::ensure!(
            self.max_body_bytes >= 1024,
            "max_body_bytes must be at least 1024"
        );
        anyhow::ensure!(
            self.admin_token_ttl_seconds > 0,
            "admin_token_ttl_seconds must be positive"
        );
        for (name, value) in [
            ("offer_ttl_seconds", self.offer_ttl_seconds),
            ("access_token_ttl_seconds", self.access_token_ttl_seconds),
            ("refresh_token_ttl_seconds", self.refresh_token_ttl_seconds),
            ("nonce_ttl_seconds", self.nonce_ttl_seconds),
            (
                "credential_validity_seconds",
                self.credential_validity_seconds,
            ),
            ("presentation_ttl_seconds", self.presentation_ttl_seconds),
        ] {
            anyhow::ensure!(value > 0, "{name} must be positive");
        }
        anyhow::ensure!(
            self.verifier_x509_chain_file.is_some() == self.verifier_x509_key_file.is_some(),
            "verifier_x509_chain_file and verifier_x509_key_file go together"
        );
        anyhow::ensure!(
            (131_072..=16_777_216).contains(&self.status_list_size),
            "status_list_size must be between 131072 and 16777216"
        );
        anyhow::ensure!(
            (1..=86_400).contains(&self.status_list_ttl_seconds),
            "status_list_ttl_seconds must be between 1 and 86400"
        );
        anyhow::ensure!(
            self.tx_code_max_attempts > 0,
            "tx_code_max_attempts must be positive"
        );
        anyhow::ensure!(
            self.key_retirement_grace_seconds >= 0,
            "key_retirement_grace_seconds must not be negative"
        );
        Ok(())
    }

    /// The public base URL without a trailing slash. Without one configured it is
    /// `http://{bind}`, with a loopback or unspecified address written `localhost`: a
    /// `did:web` cannot name an IP address.
    pub fn public_url(&self) -> String {
        let url = self.public_url.clone().unwrap_or_else(|| {
            let (host, port) = self.bind.rsplit_once(':').unwrap_or((&self.bind, "80"));
            let host = match host {
                "127.0.0.1" | "0.0.0.0" | "[::1]" | "[::]" => "localhost",
                other => other,
            };
            format!("http://{host}:{port}")
        });
        url.trim_end_matches('/').to_string()
    }

    pub fn master_key_path(&self) -> PathBuf {
        if let Some(path) = &self.master_key_file {
            return path.clone();
        }
        match crate::store::DatabaseKind::of(&self.database_url) {
            crate::store::DatabaseKind::Sqlite(path) => {
                let path = PathBuf::from(path);
                match path.parent() {
                    Some(dir) if !dir.as_os_str().is_empty() => dir.join("vouch.master.key"),
                    _ => PathBuf::from("vouch.master.key"),
                }
            }
            crate::store::DatabaseKind::Postgres => PathBuf::from("vouch.master.key"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_bind_loopback_and_derive_public_url() {
        let config = Config::default();
        assert_eq!(config.bind, "127.0.0.1:8080");
        assert_eq!(config.public_url(), "http://localhost:8080");
        assert_eq!(
            config.master_key_path(),
            PathBuf::from("./vouch.master.key")
        );
    }

    #[test]
    fn trailing_slash_is_dropped_from_public_url() {
        let config = Config {
            public_url: Some("https://issuer.example/".into()),
            ..Config::default()
        };
        assert_eq!(config.public_url(), "https://issuer.example");
    }

    #[test]
    fn flags_override_file_values() {
        let dir = std::env::temp_dir().join(format!("vouch-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("vouch.toml");
        std::fs::write(
            &file,
            "bind = \"0.0.0.0:9000\"\npublic_url = \"https://a.example\"\n",
        )
        .unwrap();
        let overrides = Overrides {
            public_url: Some("https://b.example".into()),
            ..Overrides::default()
        };
        let config = Config::load(Some(&file), &overrides).unwrap();
        assert_eq!(config.bind, "0.0.0.0:9000");
        assert_eq!(config.public_url(), "https://b.example");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_named_missing_file_is_an_error() {
        let err = Config::load(
            Some(std::path::Path::new("/nonexistent/vouch.toml")),
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }

    #[test]
    fn public_url_with_query_is_rejected() {
        let config = Config {
            public_url: Some("https://a.example/?x=1".into()),
            ..Config::default()
        };
        assert!(config.validate().is_err());
    }
}
