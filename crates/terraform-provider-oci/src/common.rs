//! Pieces the auth-token resource, data source and list resource share.

use std::time::Duration;

use oci_client::error::OciError;
use tfplugin::diag::Diagnostics;
use tfplugin::schema::{Attribute, Block, NestedBlock, Nesting, Validator};

/// The longest description the Identity API accepts.
pub const MAX_DESCRIPTION_LEN: usize = 400;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// OCID syntax as the OCI SDKs check it: `ocid1.<type>.<realm>.[region][.future].<unique>`.
pub fn is_ocid(s: &str) -> bool {
    let parts: Vec<&str> = s.split(['.', ':']).collect();
    let ok_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    parts.len() >= 5
        && !parts[0].is_empty()
        && !parts[parts.len() - 1].is_empty()
        && parts.iter().all(|p| p.chars().all(ok_char))
}

pub fn ocid_validator(what: &'static str) -> Validator {
    Validator::string(format!("must be the OCID of a {what}"), move |s| {
        if s.trim().is_empty() {
            Err(format!("The {what} OCID must not be empty."))
        } else if !is_ocid(s) {
            Err(format!(
                "{s:?} is not an OCID. A {what} OCID looks like \"ocid1.{what}.oc1..aaaaaaaa…\"."
            ))
        } else {
            Ok(())
        }
    })
}

pub fn description_validator() -> Validator {
    Validator::string(format!("at most {MAX_DESCRIPTION_LEN} characters"), |s| {
        let n = s.chars().count();
        if n > MAX_DESCRIPTION_LEN {
            Err(format!("The description is {n} characters long; the Identity API accepts at most {MAX_DESCRIPTION_LEN}."))
        } else {
            Ok(())
        }
    })
}

/// Parses a Go-style duration such as `20m`, `1h30m`, `45s` or `1500ms`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || {
        format!("{s:?} is not a duration; use a number with a unit, like \"30s\", \"20m\" or \"1h30m\".")
    };
    let t = s.trim();
    if t.is_empty() {
        return Err(bad());
    }
    if t == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total = 0f64;
    let mut rest = t;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if num_len == 0 {
            return Err(bad());
        }
        let n: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let secs = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += n * secs;
        rest = &rest[unit_len..];
    }
    if !total.is_finite() || total > 1e9 {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(total))
}

/// The `timeouts` block of the official provider: create, update and delete, 20 minutes each.
pub fn timeouts_block() -> NestedBlock {
    let t = |name: &str| {
        Attribute::string(name)
            .optional()
            .description(format!("How long to wait for the {name} to finish, as a duration like `30m` (default `20m`)."))
            .validator(Validator::string("a duration", |s| parse_duration(s).map(|_| ())))
    };
    NestedBlock::new(
        "timeouts",
        Nesting::Single,
        Block::new()
            .description("How long create, update and delete may take, including the waits for the token to become active or disappear.")
            .attribute(t("create"))
            .attribute(t("update"))
            .attribute(t("delete")),
    )
}

/// Adds an API failure as an error diagnostic: status, code, message, operation,
/// opc-request-id and a hint, as the client formats them.
pub fn api_error(diags: &mut Diagnostics, summary: &str, err: &OciError) {
    diags.error(summary, err.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ocids() {
        assert!(is_ocid("ocid1.user.oc1..aaaaaaaabcdef"));
        assert!(is_ocid("ocid1.credential.oc1.phx.abc"));
        assert!(!is_ocid("user"));
        assert!(!is_ocid("ocid1.user oc1..aaa"));
        assert!(!is_ocid(""));
        assert!(!is_ocid("ocid1.user.oc1..aaa/../x"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("20m").unwrap(), Duration::from_secs(1200));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        for bad in ["", "soon", "10", "m", "5 minutes", "1x"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
