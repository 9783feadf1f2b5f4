//! The claims a client reads from an OCI session token (a JWT), and the refresh rule.
//!
//! The signature is not verified: the token is opaque to clients and verified by the
//! services. Only `exp` (required, numeric), `iat`, `res_tenant` and `tenant` are read.

use base64::Engine as _;

/// The seconds before `exp` at which a token is refreshed (the Go SDK's buffer).
pub const REFRESH_BUFFER_S: i64 = 300;

/// The claims this crate uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub expires_at: i64,
    pub issued_at: Option<i64>,
    /// `res_tenant`, else `tenant`.
    pub tenancy: Option<String>,
}

/// Why a token's claims cannot be read. Never quotes the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the session token is not a JWT (expected three dot-separated parts)")]
    NotJwt,
    #[error("the session token's claims are not base64url JSON")]
    BadClaims,
    #[error("the session token has no numeric `exp` claim")]
    NoExpiry,
}

fn numeric(value: &serde_json::Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_f64().map(|f| f as i64))
}

/// Reads the claims of `token`.
pub fn parse(token: &str) -> Result<Claims, JwtError> {
    let mut parts = token.trim().split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::NotJwt);
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| JwtError::BadClaims)?;
    let claims: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| JwtError::BadClaims)?;
    if !claims.is_object() {
        return Err(JwtError::BadClaims);
    }
    let expires_at = claims
        .get("exp")
        .and_then(numeric)
        .ok_or(JwtError::NoExpiry)?;
    let tenancy = ["res_tenant", "tenant"]
        .iter()
        .filter_map(|k| claims.get(*k).and_then(|v| v.as_str()))
        .find(|v| !v.is_empty())
        .map(str::to_owned);
    Ok(Claims {
        expires_at,
        issued_at: claims.get("iat").and_then(numeric),
        tenancy,
    })
}

/// When a token issued at `issued_at` (if known) and expiring at `expires_at` is refreshed:
/// `exp - min(300 s, lifetime / 2)`. Without `iat` the buffer is the full 300 s.
pub fn refresh_at(issued_at: Option<i64>, expires_at: i64) -> i64 {
    let buffer = match issued_at {
        Some(iat) if iat < expires_at => REFRESH_BUFFER_S.min((expires_at - iat) / 2),
        Some(_) => 0,
        None => REFRESH_BUFFER_S,
    };
    expires_at - buffer
}

/// Whether the token should be replaced at `now`.
pub fn refresh_due(now: i64, issued_at: Option<i64>, expires_at: i64) -> bool {
    now >= refresh_at(issued_at, expires_at)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An unsigned JWT with `claims` (the signature part is a placeholder).
    pub(crate) fn jwt(claims: serde_json::Value) -> String {
        let enc = |v: &serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        format!(
            "{}.{}.c2lnbmF0dXJl",
            enc(&serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": "mock"})),
            enc(&claims)
        )
    }

    #[test]
    fn claims_are_read() {
        let token = jwt(serde_json::json!({
            "exp": 2000, "iat": 1000, "res_tenant": "ocid1.tenancy.oc1..a", "tenant": "other"
        }));
        assert_eq!(
            parse(&token).unwrap(),
            Claims {
                expires_at: 2000,
                issued_at: Some(1000),
                tenancy: Some("ocid1.tenancy.oc1..a".into())
            }
        );
        let token = jwt(serde_json::json!({"exp": 2000.0, "tenant": "ocid1.tenancy.oc1..b"}));
        let claims = parse(&token).unwrap();
        assert_eq!(claims.tenancy.as_deref(), Some("ocid1.tenancy.oc1..b"));
        assert_eq!(claims.issued_at, None);
    }

    #[test]
    fn a_token_without_exp_is_an_error() {
        assert_eq!(
            parse(&jwt(serde_json::json!({"iat": 1}))),
            Err(JwtError::NoExpiry)
        );
        assert_eq!(
            parse(&jwt(serde_json::json!({"exp": "soon"}))),
            Err(JwtError::NoExpiry)
        );
        assert_eq!(parse("abc"), Err(JwtError::NotJwt));
        assert_eq!(parse("a.!!!.c"), Err(JwtError::BadClaims));
        let err = parse("secretpart.!!!.c").unwrap_err().to_string();
        assert!(!err.contains("secretpart"));
    }

    #[test]
    fn refresh_rule() {
        // One hour: 5 minutes ahead.
        assert!(!refresh_due(3600 - 301, Some(0), 3600));
        assert!(refresh_due(3600 - 300, Some(0), 3600));
        // 60 s: half the lifetime, not on every request.
        assert!(!refresh_due(29, Some(0), 60));
        assert!(refresh_due(30, Some(0), 60));
        // No iat: the full buffer.
        assert!(!refresh_due(699, None, 1000));
        assert!(refresh_due(700, None, 1000));
        // Expired.
        assert!(refresh_due(5000, Some(0), 3600));
    }
}
