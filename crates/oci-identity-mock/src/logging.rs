//! Minimal stderr logging for the mock binary: one line per event, only this crate's events.

use std::fmt::Write as _;
use std::io::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::Layer;

struct StderrLayer {
    max: Level,
}

struct Fields(String);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.0, " {}={}", field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={:?}", field.name(), value);
        }
    }
}

impl<S: Subscriber> Layer<S> for StderrLayer {
    fn enabled(&self, meta: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        meta.level() <= &self.max && meta.target().starts_with("oci_identity_mock")
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let line = format!(
            "{now} {:>5} {}: {}\n",
            event.metadata().level(),
            event.metadata().target(),
            fields.0
        );
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// Parses a level name (`error`, `warn`, `info`, `debug`, `trace`).
pub fn parse_level(s: &str) -> Option<Level> {
    s.trim().parse().ok()
}

/// Installs the stderr logger as the global subscriber (no-op if one is already set).
pub fn init_stderr(max: Level) {
    let subscriber = tracing_subscriber::registry().with(StderrLayer { max });
    let _ = tracing::subscriber::set_global_default(subscriber);
}
