//! The OCI config file format: a small INI dialect.

use std::collections::HashMap;

/// A parsed INI file: `[SECTION]` headers, `key = value` lines (split on the first `=`),
/// `#`/`;` comment lines. Keys are case-insensitive; section names are case-sensitive.
#[derive(Debug, Default)]
pub(crate) struct Ini {
    pub(crate) sections: HashMap<String, HashMap<String, String>>,
}

impl Ini {
    pub(crate) fn parse(text: &str) -> Self {
        let mut ini = Ini::default();
        let mut current: Option<String> = None;
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                let name = name.trim().to_owned();
                ini.sections.entry(name.clone()).or_default();
                current = Some(name);
                continue;
            }
            let (Some(section), Some((key, value))) = (&current, line.split_once('=')) else {
                continue;
            };
            ini.sections
                .entry(section.clone())
                .or_default()
                .insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
        ini
    }

    /// A non-empty value; `pass_phrase` also answers to its alias `passphrase`.
    pub(crate) fn get(&self, section: &str, key: &str) -> Option<&str> {
        let values = self.sections.get(section)?;
        let aliases: &[&str] = if key == "pass_phrase" {
            &["pass_phrase", "passphrase"]
        } else {
            &[key]
        };
        aliases
            .iter()
            .find_map(|k| values.get(*k))
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_parsing() {
        let ini =
            Ini::parse("top = ignored\n[A]\nKey = v=with=equals\n# c\n; c\nnoequals\n[B ]\nk=\n");
        assert_eq!(ini.get("A", "key"), Some("v=with=equals"));
        assert_eq!(ini.get("A", "top"), None);
        assert_eq!(ini.get("B", "k"), None, "empty values count as unset");
        assert!(ini.sections.contains_key("B"));
    }
}
