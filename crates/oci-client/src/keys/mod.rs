//! RSA private keys for OCI API signing: PEM parsing, decryption, signing and fingerprints.
//!
//! Accepted PEM forms (the ones OCI users actually have):
//! - `RSA PRIVATE KEY` (PKCS#1), optionally legacy-encrypted by OpenSSL
//!   (`Proc-Type: 4,ENCRYPTED` + `DEK-Info`, AES-128/192/256-CBC or DES-EDE3-CBC);
//! - `PRIVATE KEY` (PKCS#8), as written by `oci setup keys` and the OCI console;
//! - `ENCRYPTED PRIVATE KEY` (PKCS#8 with PBES2), as written by `oci setup keys` with a pass phrase.
//!
//! Signing uses aws-lc-rs (RSA PKCS#1 v1.5 with SHA-256), which accepts 2048- to 8192-bit keys;
//! OCI itself requires API signing keys of at least 2048 bits.
//!
//! Error messages never contain key material or pass phrases.

use std::fmt;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::Engine as _;
use cbc::cipher::{block_padding::Pkcs7, BlockCipher, BlockDecryptMut, KeyInit, KeyIvInit};
use md5::{Digest as _, Md5};

mod load;
pub use load::{load_private_key, KeyFault, KeyInput, KeyLoadError};

/// OID of `rsaEncryption` (PKCS#1), the algorithm of a PKCS#8 RSA key.
const RSA_ENCRYPTION_OID: &str = "1.2.840.113549.1.1.1";

/// Why a private key could not be loaded or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not a PEM private key (expected a `-----BEGIN RSA PRIVATE KEY-----`, `-----BEGIN PRIVATE KEY-----` or `-----BEGIN ENCRYPTED PRIVATE KEY-----` block)")]
    NotPem,
    #[error("not a PEM private key: found a `{0}` block")]
    WrongPemLabel(String),
    #[error("not an RSA key: OCI API signing keys must be RSA keys ({0})")]
    NotRsa(String),
    #[error("key is encrypted but no pass phrase was given")]
    MissingPassphrase,
    #[error("wrong pass phrase or corrupt key")]
    WrongPassphrase,
    #[error("the key is encrypted with an unsupported scheme ({0}); re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`")]
    UnsupportedEncryption(String),
    #[error(
        "the RSA key is smaller than 2048 bits; OCI API signing keys must be 2048 bits or larger"
    )]
    TooSmall,
    #[error("corrupt or unsupported RSA private key ({0})")]
    Invalid(&'static str),
    #[error("signing failed")]
    SigningFailed,
}

/// An RSA private key ready to sign OCI requests. `Debug` never shows key material.
pub struct RsaPrivateKey {
    pair: KeyPair,
}

impl fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaPrivateKey")
            .field("bits", &self.bits())
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

impl RsaPrivateKey {
    /// Loads a key from PEM text. `passphrase` is used only if the key is encrypted; an empty
    /// pass phrase counts as none.
    pub fn from_pem(pem: &str, passphrase: Option<&str>) -> Result<Self, KeyError> {
        let block = PemBlock::parse(pem)?;
        let passphrase = passphrase.filter(|p| !p.is_empty());
        match block.label.as_str() {
            "RSA PRIVATE KEY" => {
                let der = if block
                    .header("Proc-Type")
                    .is_some_and(|v| v.contains("ENCRYPTED"))
                {
                    let dek_info = block
                        .header("DEK-Info")
                        .ok_or(KeyError::Invalid("encrypted PEM without DEK-Info"))?;
                    let pass = passphrase.ok_or(KeyError::MissingPassphrase)?;
                    decrypt_legacy_pem(dek_info, pass.as_bytes(), &block.der)?
                } else {
                    block.der
                };
                let encrypted = !block.headers.is_empty();
                Self::from_pkcs1_der(&der, encrypted)
            }
            "PRIVATE KEY" => Self::from_pkcs8_der(&block.der, false),
            "ENCRYPTED PRIVATE KEY" => {
                let pass = passphrase.ok_or(KeyError::MissingPassphrase)?;
                let info = pkcs8::EncryptedPrivateKeyInfo::try_from(block.der.as_slice()).map_err(
                    |_| {
                        KeyError::UnsupportedEncryption(
                            "unrecognised PKCS#8 encryption parameters".into(),
                        )
                    },
                )?;
                let doc = info
                    .decrypt(pass.as_bytes())
                    .map_err(|_| KeyError::WrongPassphrase)?;
                Self::from_pkcs8_der(doc.as_bytes(), true)
            }
            "EC PRIVATE KEY" | "DSA PRIVATE KEY" | "OPENSSH PRIVATE KEY" => {
                Err(KeyError::NotRsa(format!("found a `{}` block", block.label)))
            }
            other => Err(KeyError::WrongPemLabel(other.to_owned())),
        }
    }

    /// Loads an unencrypted PKCS#8 DER key.
    pub fn from_pkcs8_der(der: &[u8], was_encrypted: bool) -> Result<Self, KeyError> {
        let corrupt = || {
            if was_encrypted {
                KeyError::WrongPassphrase
            } else {
                KeyError::Invalid("malformed PKCS#8")
            }
        };
        let info = pkcs8::PrivateKeyInfo::try_from(der).map_err(|_| corrupt())?;
        let oid = info.algorithm.oid.to_string();
        if oid != RSA_ENCRYPTION_OID {
            return Err(KeyError::NotRsa(format!("PKCS#8 algorithm {oid}")));
        }
        KeyPair::from_pkcs8(der)
            .map(|pair| Self { pair })
            .map_err(|e| rejected(e, was_encrypted))
    }

    /// A fresh RSA 2048 key generated in memory (session keys of the principal auth modes).
    pub fn generate_rsa2048() -> Result<Self, KeyError> {
        KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
            .map(|pair| Self { pair })
            .map_err(|_| KeyError::Invalid("cannot generate an RSA 2048 session key"))
    }

    /// The public half as the body of a `PUBLIC KEY` PEM block (base64 of the DER
    /// `SubjectPublicKeyInfo`, no armor, no newlines), as the OCI federation calls send it.
    pub fn public_key_pem_body(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(self.public_key_der())
    }

    /// Loads a PKCS#1 `RSAPrivateKey` DER key.
    fn from_pkcs1_der(der: &[u8], was_encrypted: bool) -> Result<Self, KeyError> {
        KeyPair::from_der(der)
            .map(|pair| Self { pair })
            .map_err(|e| rejected(e, was_encrypted))
    }

    /// RSA PKCS#1 v1.5 signature over the SHA-256 digest of `message`.
    pub fn sign_sha256(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| KeyError::SigningFailed)?;
        Ok(signature)
    }

    /// Modulus size in bits.
    pub fn bits(&self) -> usize {
        self.pair.public_modulus_len() * 8
    }

    /// DER `SubjectPublicKeyInfo` of the public half.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.pair
            .public_key()
            .as_der()
            .map(|der| der.as_ref().to_vec())
            .unwrap_or_default()
    }

    /// The OCI key fingerprint (see [`fingerprint_of_public_key`]).
    pub fn fingerprint(&self) -> String {
        fingerprint_of_public_key(&self.public_key_der())
    }
}

/// The OCI API key fingerprint: MD5 of the DER `SubjectPublicKeyInfo`, as colon-separated
/// lowercase hex (what `openssl rsa -pubout -outform DER | openssl md5 -c` prints).
pub fn fingerprint_of_public_key(spki_der: &[u8]) -> String {
    let digest = Md5::digest(spki_der);
    digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The fingerprint of a `-----BEGIN PUBLIC KEY-----` PEM block.
pub fn fingerprint_of_public_key_pem(pem: &str) -> Result<String, KeyError> {
    let block = PemBlock::parse(pem)?;
    if block.label != "PUBLIC KEY" {
        return Err(KeyError::WrongPemLabel(block.label));
    }
    Ok(fingerprint_of_public_key(&block.der))
}

fn rejected(err: aws_lc_rs::error::KeyRejected, was_encrypted: bool) -> KeyError {
    match err.description_() {
        "TooSmall" => KeyError::TooSmall,
        "TooLarge" => KeyError::Invalid("RSA keys larger than 8192 bits are not supported"),
        _ if was_encrypted => KeyError::WrongPassphrase,
        "WrongAlgorithm" => KeyError::NotRsa("wrong algorithm".into()),
        _ => KeyError::Invalid("the key structure is not a valid RSA private key"),
    }
}

/// One PEM block: label, RFC 1421 headers and decoded body. Text around the block is ignored
/// (e.g. the `OCI_API_KEY` trailer the console adds).
struct PemBlock {
    label: String,
    headers: Vec<(String, String)>,
    der: Vec<u8>,
}

impl PemBlock {
    fn parse(text: &str) -> Result<Self, KeyError> {
        let mut lines = text.lines().map(str::trim);
        let label = lines
            .by_ref()
            .find_map(|l| {
                l.strip_prefix("-----BEGIN ")
                    .and_then(|r| r.strip_suffix("-----"))
            })
            .ok_or(KeyError::NotPem)?
            .to_owned();
        let end = format!("-----END {label}-----");
        let mut headers = Vec::new();
        let mut body = String::new();
        let mut ended = false;
        for line in lines {
            if line == end {
                ended = true;
                break;
            }
            if body.is_empty() {
                if let Some((name, value)) = line.split_once(':') {
                    headers.push((name.trim().to_owned(), value.trim().to_owned()));
                    continue;
                }
            }
            body.push_str(line);
        }
        if !ended {
            return Err(KeyError::NotPem);
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|_| KeyError::NotPem)?;
        if der.is_empty() {
            return Err(KeyError::NotPem);
        }
        Ok(Self {
            label,
            headers,
            der,
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Decrypts an OpenSSL "traditional" encrypted PEM body. The key is derived with
/// EVP_BytesToKey (MD5, one iteration) using the first 8 bytes of the IV as salt.
fn decrypt_legacy_pem(dek_info: &str, passphrase: &[u8], data: &[u8]) -> Result<Vec<u8>, KeyError> {
    let (cipher, iv_hex) = dek_info
        .split_once(',')
        .ok_or(KeyError::Invalid("malformed DEK-Info header"))?;
    let cipher = cipher.trim().to_ascii_uppercase();
    let iv = decode_hex(iv_hex.trim()).ok_or(KeyError::Invalid("malformed DEK-Info IV"))?;
    let (key_len, iv_len) = match cipher.as_str() {
        "AES-128-CBC" => (16, 16),
        "AES-192-CBC" => (24, 16),
        "AES-256-CBC" => (32, 16),
        "DES-EDE3-CBC" => (24, 8),
        _ => return Err(KeyError::UnsupportedEncryption(cipher)),
    };
    if iv.len() != iv_len {
        return Err(KeyError::Invalid("DEK-Info IV has the wrong length"));
    }
    let key = evp_bytes_to_key(passphrase, &iv[..8], key_len);
    let plain = match cipher.as_str() {
        "AES-128-CBC" => cbc_decrypt::<aes::Aes128>(&key, &iv, data),
        "AES-192-CBC" => cbc_decrypt::<aes::Aes192>(&key, &iv, data),
        "AES-256-CBC" => cbc_decrypt::<aes::Aes256>(&key, &iv, data),
        _ => cbc_decrypt::<des::TdesEde3>(&key, &iv, data),
    };
    plain.ok_or(KeyError::WrongPassphrase)
}

fn cbc_decrypt<C>(key: &[u8], iv: &[u8], data: &[u8]) -> Option<Vec<u8>>
where
    C: BlockDecryptMut + BlockCipher + KeyInit,
{
    cbc::Decryptor::<C>::new_from_slices(key, iv)
        .ok()?
        .decrypt_padded_vec_mut::<Pkcs7>(data)
        .ok()
}

/// OpenSSL's EVP_BytesToKey with MD5 and a single iteration.
fn evp_bytes_to_key(passphrase: &[u8], salt: &[u8], key_len: usize) -> Vec<u8> {
    let mut key = Vec::with_capacity(key_len + 16);
    let mut previous: Vec<u8> = Vec::new();
    while key.len() < key_len {
        let mut md5 = Md5::new();
        md5.update(&previous);
        md5.update(passphrase);
        md5.update(salt);
        previous = md5.finalize().to_vec();
        key.extend_from_slice(&previous);
    }
    key.truncate(key_len);
    key
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};

    pub(crate) const FIXTURE_PASS: &str = "fixture-pass";
    /// `openssl rsa -in rsa2048_pkcs1.pem -pubout -outform DER | openssl md5 -c`
    pub(crate) const FIXTURE_FINGERPRINT: &str = "ce:d7:65:9a:40:30:7b:0a:bf:c1:7a:1a:d3:7c:2c:7e";
    const MESSAGE: &[u8] = b"OCI request signing test message";
    /// `printf '%s' "$MESSAGE" | openssl dgst -sha256 -sign rsa2048_pkcs1.pem | base64 -w0`
    const OPENSSL_SIGNATURE: &str = "WIH+FWk28fNxiqIr3Z0cFIkKPTZfzh1Bsht1vK3vdgnkHlLpcbfMaUGjx9Zt4cgFzPHluWy+dD3xhyHkMB3Jh6+wGtnrHEBPlZmvujMYRSmmCz3Alw0wSTiT0Q4DqF99q/Is38b/svY9YCSp8wcfRMqX+kvQOpY/3TMJrmOHvO+xReeJNt6XS2krSTNPPKCW888VNmhyg7gzBIlKgCFREAxIpWSgirVhQe0lYGaCoHK7kbFsjglbK/nq7Zp1xLhzF+8SD9+IdLrIwJkAU3ab0zkLn4ROWpos+HMHkmnOGwZxCsEhT3004DqOoPMWPyCGBYiik1B/gtvGew4eAFIiLA==";

    pub(crate) fn fixture(name: &str) -> String {
        let path = format!("{}/tests/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
    }

    fn public_key_pkcs1() -> Vec<u8> {
        let block = PemBlock::parse(&fixture("rsa2048_public.pem")).unwrap();
        let spki = pkcs8::spki::SubjectPublicKeyInfoRef::try_from(block.der.as_slice()).unwrap();
        spki.subject_public_key.raw_bytes().to_vec()
    }

    #[test]
    fn every_format_loads_and_signs_verifiably() {
        let public = public_key_pkcs1();
        let cases = [
            ("rsa2048_pkcs1.pem", None),
            ("rsa2048_pkcs8.pem", None),
            ("rsa2048_pkcs8_encrypted.pem", Some(FIXTURE_PASS)),
            ("rsa2048_legacy_aes128.pem", Some(FIXTURE_PASS)),
            ("rsa2048_legacy_aes192.pem", Some(FIXTURE_PASS)),
            ("rsa2048_legacy_aes256.pem", Some(FIXTURE_PASS)),
            ("rsa2048_legacy_des3.pem", Some(FIXTURE_PASS)),
        ];
        for (name, pass) in cases {
            let key = RsaPrivateKey::from_pem(&fixture(name), pass)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(key.bits(), 2048, "{name}");
            assert_eq!(key.fingerprint(), FIXTURE_FINGERPRINT, "{name}");
            let signature = key.sign_sha256(MESSAGE).unwrap();
            UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &public)
                .verify(MESSAGE, &signature)
                .unwrap_or_else(|_| panic!("{name}: signature does not verify"));
            // PKCS#1 v1.5 is deterministic: byte-equal to OpenSSL's signature.
            assert_eq!(
                base64::engine::general_purpose::STANDARD.encode(&signature),
                OPENSSL_SIGNATURE,
                "{name}"
            );
        }
    }

    #[test]
    fn public_key_pem_fingerprint() {
        assert_eq!(
            fingerprint_of_public_key_pem(&fixture("rsa2048_public.pem")).unwrap(),
            FIXTURE_FINGERPRINT
        );
    }

    #[test]
    fn crlf_and_surrounding_text_are_tolerated() {
        let pem = format!(
            "some preamble\r\n{}\r\nOCI_API_KEY\r\n",
            fixture("rsa2048_pkcs8.pem").replace('\n', "\r\n")
        );
        assert_eq!(
            RsaPrivateKey::from_pem(&pem, None).unwrap().fingerprint(),
            FIXTURE_FINGERPRINT
        );
    }

    #[test]
    fn encrypted_keys_need_the_right_pass_phrase() {
        for name in [
            "rsa2048_pkcs8_encrypted.pem",
            "rsa2048_legacy_aes128.pem",
            "rsa2048_legacy_des3.pem",
        ] {
            let pem = fixture(name);
            assert_eq!(
                RsaPrivateKey::from_pem(&pem, None).unwrap_err(),
                KeyError::MissingPassphrase,
                "{name}"
            );
            assert_eq!(
                RsaPrivateKey::from_pem(&pem, Some("")).unwrap_err(),
                KeyError::MissingPassphrase,
                "{name}"
            );
            assert_eq!(
                RsaPrivateKey::from_pem(&pem, Some("not-it")).unwrap_err(),
                KeyError::WrongPassphrase,
                "{name}"
            );
        }
    }

    #[test]
    fn a_pass_phrase_for_a_plain_key_is_ignored() {
        assert!(RsaPrivateKey::from_pem(&fixture("rsa2048_pkcs1.pem"), Some("unused")).is_ok());
    }

    #[test]
    fn rejects_non_rsa_and_non_keys() {
        assert!(matches!(
            RsaPrivateKey::from_pem(&fixture("ec_p256_pkcs8.pem"), None),
            Err(KeyError::NotRsa(_))
        ));
        assert_eq!(
            RsaPrivateKey::from_pem("hello", None).unwrap_err(),
            KeyError::NotPem
        );
        assert!(matches!(
            RsaPrivateKey::from_pem(&fixture("rsa2048_public.pem"), None),
            Err(KeyError::WrongPemLabel(l)) if l == "PUBLIC KEY"
        ));
        let truncated: String = fixture("rsa2048_pkcs1.pem")
            .lines()
            .take(5)
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(
            RsaPrivateKey::from_pem(&truncated, None).unwrap_err(),
            KeyError::NotPem
        );
    }

    #[test]
    fn small_keys_are_rejected_with_a_clear_error() {
        let err = RsaPrivateKey::from_pem(&fixture("oci_docs_test_key.pem"), None).unwrap_err();
        assert_eq!(err, KeyError::TooSmall);
    }

    #[test]
    fn errors_and_debug_never_show_key_material() {
        let pem = fixture("rsa2048_pkcs1.pem");
        let body_line = pem.lines().nth(3).unwrap();
        let key = RsaPrivateKey::from_pem(&pem, None).unwrap();
        assert!(!format!("{key:?}").contains(body_line));
        let corrupt = pem.replace(body_line, &body_line.chars().rev().collect::<String>());
        let err = RsaPrivateKey::from_pem(&corrupt, Some(FIXTURE_PASS))
            .unwrap_err()
            .to_string();
        assert!(
            !err.contains(body_line) && !err.contains(FIXTURE_PASS),
            "{err}"
        );
    }

    #[test]
    fn evp_bytes_to_key_matches_openssl() {
        // `openssl enc -aes-256-cbc -P -md md5 -pass pass:fixture-pass -S 0102030405060708`
        let key = evp_bytes_to_key(b"fixture-pass", &[1, 2, 3, 4, 5, 6, 7, 8], 32);
        let expected =
            decode_hex("22E14106727F83AA6FB84A5CB2CE50944432E3F2F6145E604D7098C248F328CB").unwrap();
        assert_eq!(key, expected);
        assert_eq!(decode_hex("0aFf"), Some(vec![0x0a, 0xff]));
        assert_eq!(decode_hex("abc"), None);
    }
}
