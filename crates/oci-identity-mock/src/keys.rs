//! Key material for mock users: RSA-2048 generation, PEM encoding and OCI key fingerprints.

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use md5::{Digest as _, Md5};

/// A freshly generated API key: PKCS#8 private key DER and SubjectPublicKeyInfo DER.
pub(crate) struct GeneratedKey {
    pub pkcs8_der: Vec<u8>,
    pub spki_der: Vec<u8>,
}

/// Generates a new RSA-2048 key pair.
pub(crate) fn generate_rsa_2048() -> Result<GeneratedKey, String> {
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| "RSA key generation failed")?;
    let pkcs8: Pkcs8V1Der<'static> = pair
        .as_der()
        .map_err(|_| "PKCS#8 encoding of the new key failed")?;
    let spki: PublicKeyX509Der<'static> = pair
        .public_key()
        .as_der()
        .map_err(|_| "public key encoding failed")?;
    Ok(GeneratedKey {
        pkcs8_der: pkcs8.as_ref().to_vec(),
        spki_der: spki.as_ref().to_vec(),
    })
}

/// PEM-encodes DER bytes with the given label (64-character base64 lines).
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Decodes the first PEM block with the given label.
pub fn pem_decode(label: &str, pem: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = start + pem[start..].find(&end)?;
    let b64: String = pem[start..stop].split_whitespace().collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// The OCI key fingerprint: MD5 of the SubjectPublicKeyInfo DER as colon-separated lowercase hex.
pub fn fingerprint(spki_der: &[u8]) -> String {
    let digest = Md5::digest(spki_der);
    digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trip_and_fingerprint_shape() {
        let key = generate_rsa_2048().unwrap();
        let pem = pem_encode("PRIVATE KEY", &key.pkcs8_der);
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert!(pem.lines().all(|l| l.len() <= 64));
        assert_eq!(pem_decode("PRIVATE KEY", &pem).unwrap(), key.pkcs8_der);
        let fp = fingerprint(&key.spki_der);
        assert_eq!(fp.len(), 47);
        assert!(fp.split(':').all(|p| p.len() == 2
            && p.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())));
        // The private key loads back for signing.
        aws_lc_rs::rsa::KeyPair::from_pkcs8(&key.pkcs8_der).unwrap();
    }

    #[test]
    fn fingerprint_of_known_bytes() {
        // md5("") = d41d8cd98f00b204e9800998ecf8427e
        assert_eq!(
            fingerprint(b""),
            "d4:1d:8c:d9:8f:00:b2:04:e9:80:09:98:ec:f8:42:7e"
        );
    }
}
