//! Request ids: every response carries an `opc-request-id` (the client's value with two server
//! parts appended, or three server parts), and every request is logged once with it.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use super::Dropped;
use crate::ids;

/// The request's id, as a request extension for the inner layers (e.g. to log a dropped
/// connection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// The response's `opc-request-id`: the client's value with two server parts appended.
pub(crate) fn new_request_id(headers: &HeaderMap) -> String {
    let server = format!("{}/{}", ids::hex_upper(32), ids::hex_upper(32));
    match headers
        .get("opc-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
    {
        Some(client)
            if !client.is_empty()
                && client.len() <= 256
                && HeaderValue::from_str(client).is_ok() =>
        {
            format!("{client}/{server}")
        }
        _ => format!("{}/{server}", ids::hex_upper(32)),
    }
}

/// The layer.
pub(crate) async fn assign(mut req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let rid = new_request_id(req.headers());
    req.extensions_mut().insert(RequestId(rid.clone()));
    let mut resp = next.run(req).await;
    if resp.extensions().get::<Dropped>().is_some() {
        return resp;
    }
    if let Ok(v) = HeaderValue::from_str(&rid) {
        resp.headers_mut().insert("opc-request-id", v);
    }
    tracing::info!(
        "{} {} {} opc-request-id={}",
        method,
        path,
        resp.status().as_u16(),
        rid
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids() {
        let mut h = HeaderMap::new();
        let id = new_request_id(&h);
        assert_eq!(id.split('/').count(), 3);
        h.insert("opc-request-id", HeaderValue::from_static("abc"));
        let id = new_request_id(&h);
        let parts: Vec<&str> = id.split('/').collect();
        assert_eq!(parts[0], "abc");
        assert!(parts[1..].iter().all(|p| p.len() == 32
            && p.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())));
    }
}
