//! Layered configuration: built-in defaults (config/base.yaml, compiled in), then
//! config/base.yaml and config/<environment>.yaml from the config directory when
//! present, then `APP_<SECTION>__<KEY>` environment variables.

use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub application: ApplicationSettings,
    pub database: DatabaseSettings,
    pub security: SecuritySettings,
    pub alerts: AlertSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AlertSettings {
    /// Run the delivery worker inside `serve` (the `worker` command runs it alone).
    pub worker: bool,
    pub poll_interval_ms: u64,
    pub batch_size: i64,
    pub max_attempts: i32,
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    /// How long a worker owns the alerts it claimed; after that another may send them.
    pub lease_seconds: u64,
    /// The hour (UTC) at which daily digests go out.
    pub digest_hour_utc: u32,
    pub reminder_days: i64,
    pub confirmation_valid_hours: i64,
    /// `Name <address>` of the sender.
    pub from: String,
    /// Where emails are written as .eml files when no SMTP host is set.
    pub mail_dir: String,
    pub smtp: SmtpSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SmtpSettings {
    /// Empty: no SMTP server, mail goes to `mail_dir`.
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: String,
    pub password: String,
    pub pool_size: u32,
    pub timeout_ms: u64,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// STARTTLS required on the submission port.
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// Plain text: only for a relay on the same host or network.
    None,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SecuritySettings {
    pub rate_limit_per_minute: u32,
    pub rate_limit_burst: u32,
    pub auth_failures_per_minute: u32,
    /// How long a token found valid is trusted without looking it up again.
    pub token_cache_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ApplicationSettings {
    pub host: String,
    pub port: u16,
    pub base_url: String,
    pub max_body_bytes: usize,
    pub default_actor: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: String,
    pub pool_size: u32,
    pub busy_timeout_ms: u32,
    /// How much of a SQLite file is read through a memory map (0: none).
    pub sqlite_mmap_mb: u64,
    pub connection_timeout_ms: u64,
    /// Migrate the database on start. Off when the service connects as a role that may
    /// not change the schema or rewrite the audit log; `case-tracker migrate`, run as
    /// the owner, migrates instead, and the service refuses to start while any
    /// migration is pending.
    pub migrate: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub level: String,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Local,
    Production,
}

impl Environment {
    pub fn as_str(&self) -> &'static str {
        match self {
            Environment::Local => "local",
            Environment::Production => "production",
        }
    }
}

impl TryFrom<String> for Environment {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        match s.to_lowercase().as_str() {
            "local" => Ok(Self::Local),
            "production" => Ok(Self::Production),
            other => Err(format!(
                "{other} is not a supported environment: use `local` or `production`"
            )),
        }
    }
}

const BASE_DEFAULTS: &str = include_str!("../config/base.yaml");

/// Reads the settings for `APP_ENVIRONMENT` (default `local`) from `APP_CONFIG_DIR`
/// (default `./config`).
pub fn get_configuration() -> Result<Settings, config::ConfigError> {
    let environment: Environment = std::env::var("APP_ENVIRONMENT")
        .unwrap_or_else(|_| "local".into())
        .try_into()
        .map_err(config::ConfigError::Message)?;
    let dir = std::env::var("APP_CONFIG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("config"));

    config::Config::builder()
        .add_source(config::File::from_str(
            BASE_DEFAULTS,
            config::FileFormat::Yaml,
        ))
        .add_source(config::File::from(dir.join("base.yaml")).required(false))
        .add_source(
            config::File::from(dir.join(format!("{}.yaml", environment.as_str()))).required(false),
        )
        .add_source(
            config::Environment::with_prefix("APP")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true),
        )
        .build()?
        .try_deserialize()
}
