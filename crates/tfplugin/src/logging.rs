//! Logs for Terraform: `tracing` events written to stderr as hclog-compatible JSON lines.
//!
//! go-plugin re-logs a stderr line at its own level only when it is JSON with `@level` and
//! `@message`, and (if present) a `@timestamp` with exactly six fractional digits. The level
//! comes from `TF_LOG_PROVIDER_<NAME>`, `TF_LOG_PROVIDER` or `TF_LOG`; unset means no logs.

use std::io::Write;
use std::sync::Mutex;

use serde_json::{Map, Value as Json};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Layer};

/// Reads the provider log level from the environment the way Terraform users set it.
pub fn level_from_env(provider_name: &str, env: impl Fn(&str) -> Option<String>) -> LevelFilter {
    let keys = [
        format!("TF_LOG_PROVIDER_{}", provider_name.to_uppercase()),
        "TF_LOG_PROVIDER".into(),
        "TF_LOG".into(),
    ];
    for key in keys {
        if let Some(v) = env(&key).filter(|v| !v.trim().is_empty()) {
            return parse_level(&v);
        }
    }
    LevelFilter::OFF
}

fn parse_level(v: &str) -> LevelFilter {
    match v.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => LevelFilter::TRACE,
        "DEBUG" => LevelFilter::DEBUG,
        "INFO" => LevelFilter::INFO,
        "WARN" => LevelFilter::WARN,
        "ERROR" => LevelFilter::ERROR,
        "OFF" => LevelFilter::OFF,
        // Terraform treats any other non-empty value as TRACE.
        _ => LevelFilter::TRACE,
    }
}

/// A layer that writes hclog JSON lines to a writer (stderr in production).
pub struct HclogLayer<W: Write + Send + 'static> {
    module: String,
    submodules: Vec<(String, String)>,
    out: Mutex<W>,
}

impl<W: Write + Send + 'static> HclogLayer<W> {
    pub fn new(module: impl Into<String>, out: W) -> Self {
        HclogLayer {
            module: module.into(),
            submodules: Vec::new(),
            out: Mutex::new(out),
        }
    }

    /// Events whose target starts with `target_prefix` are logged as `@module` =
    /// `<module>.<name>` (e.g. an API client crate's lines as `provider.api`).
    pub fn with_submodule(mut self, target_prefix: &str, name: &str) -> Self {
        self.submodules
            .push((target_prefix.to_string(), format!("{}.{name}", self.module)));
        self
    }
}

/// What [`init`] needs to know about the program it logs for.
#[derive(Debug, Clone, Default)]
pub struct LogConfig {
    /// The provider's local name, for `TF_LOG_PROVIDER_<NAME>` (e.g. `aws`).
    pub provider_name: String,
    /// Target prefixes (crate names) whose events are logged at the requested level; others
    /// only from WARN up, so that dependencies' frame-by-frame chatter stays out.
    pub own_targets: Vec<String>,
    /// `(target prefix, name)`: events of that target are logged as module `provider.<name>`.
    pub submodules: Vec<(String, String)>,
}

struct FieldCollector {
    message: String,
    fields: Map<String, Json>,
}

impl Visit for FieldCollector {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            self.fields
                .insert(field.name().to_string(), Json::String(value.to_string()));
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.fields.insert(field.name().to_string(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.fields.insert(field.name().to_string(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.fields.insert(field.name().to_string(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.fields.insert(field.name().to_string(), value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.fields
                .insert(field.name().to_string(), Json::String(format!("{value:?}")));
        }
    }
}

fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// Formats one hclog JSON line (without the newline).
pub fn format_line(
    level: &Level,
    module: &str,
    message: &str,
    fields: Map<String, Json>,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    let mut obj = Map::new();
    obj.insert("@level".into(), level_name(level).into());
    obj.insert("@message".into(), message.into());
    obj.insert("@module".into(), module.into());
    // Exactly six fractional digits, as go-plugin's parser requires.
    obj.insert(
        "@timestamp".into(),
        now.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string().into(),
    );
    for (k, v) in fields {
        if !k.starts_with('@') {
            obj.insert(k, v);
        }
    }
    Json::Object(obj).to_string()
}

impl<S: Subscriber, W: Write + Send + 'static> Layer<S> for HclogLayer<W> {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut c = FieldCollector {
            message: String::new(),
            fields: Map::new(),
        };
        event.record(&mut c);
        let target = event.metadata().target();
        let module = self
            .submodules
            .iter()
            .find(|(prefix, _)| target.starts_with(prefix.as_str()))
            .map_or_else(|| self.module.clone(), |(_, m)| m.clone());
        let line = format_line(
            event.metadata().level(),
            &module,
            &c.message,
            c.fields,
            chrono::Utc::now(),
        );
        if let Ok(mut out) = self.out.lock() {
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    }
}

/// Installs the stderr hclog layer as the global subscriber, at the level the environment asks.
/// This crate's own events (RPC-level lines) are always among the program's own.
pub fn init(config: LogConfig) {
    use tracing_subscriber::layer::SubscriberExt;
    let level = level_from_env(&config.provider_name, |k| std::env::var(k).ok());
    let mut own = config.own_targets;
    own.push(env!("CARGO_CRATE_NAME").to_string());
    // Our own events at the requested level; dependencies (h2, hyper, rustls) only from WARN,
    // or their frame-by-frame chatter drowns the provider's own lines.
    let filter = tracing_subscriber::filter::filter_fn(move |meta| {
        level >= *meta.level()
            && (*meta.level() <= Level::WARN
                || own.iter().any(|t| meta.target().starts_with(t.as_str())))
    });
    let mut layer = HclogLayer::new("provider", std::io::stderr());
    for (prefix, name) in &config.submodules {
        layer = layer.with_submodule(prefix, name);
    }
    let layer = layer.with_filter(filter);
    let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_has_six_fraction_digits_and_hclog_keys() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05.1Z")
            .unwrap()
            .to_utc();
        let mut fields = Map::new();
        fields.insert("tf_rpc".into(), "PlanResourceChange".into());
        let line = format_line(&Level::DEBUG, "provider", "planning", fields, now);
        let v: Json = serde_json::from_str(&line).unwrap();
        assert_eq!(v["@level"], "debug");
        assert_eq!(v["@message"], "planning");
        assert_eq!(v["@module"], "provider");
        assert_eq!(v["@timestamp"], "2026-01-02T03:04:05.100000Z");
        assert_eq!(v["tf_rpc"], "PlanResourceChange");
    }

    #[test]
    fn level_precedence() {
        let env = |k: &str| match k {
            "TF_LOG" => Some("info".to_string()),
            "TF_LOG_PROVIDER" => Some("DEBUG".to_string()),
            _ => None,
        };
        assert_eq!(level_from_env("example", env), LevelFilter::DEBUG);
        assert_eq!(level_from_env("example", |_| None), LevelFilter::OFF);
        assert_eq!(
            level_from_env("example", |k| (k == "TF_LOG_PROVIDER_EXAMPLE")
                .then(|| "warn".into())),
            LevelFilter::WARN
        );
        assert_eq!(
            level_from_env("example", |k| (k == "TF_LOG").then(|| "json".into())),
            LevelFilter::TRACE
        );
    }

    #[test]
    fn events_are_written_as_json_lines() {
        use tracing_subscriber::layer::SubscriberExt;
        #[derive(Clone, Default)]
        struct Buf(std::sync::Arc<Mutex<Vec<u8>>>);
        impl Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let sub = tracing_subscriber::registry().with(HclogLayer::new("provider", buf.clone()));
        tracing::subscriber::with_default(sub, || {
            tracing::warn!(tf_resource_type = "example_thing", attempt = 2, "retrying");
        });
        let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let v: Json = serde_json::from_str(out.trim_end()).unwrap();
        assert_eq!(v["@level"], "warn");
        assert_eq!(v["@message"], "retrying");
        assert_eq!(v["tf_resource_type"], "example_thing");
        assert_eq!(v["attempt"], 2);
    }
}
