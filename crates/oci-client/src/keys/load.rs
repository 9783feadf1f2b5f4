//! Loading the signing key from where the configuration points: PEM text or a file, with an
//! optional pass phrase. This knows nothing of settings or profiles: the caller says where each
//! input came from and learns which input is at fault.

use std::path::Path;

use super::{KeyError, RsaPrivateKey};

/// Where the PEM text is.
#[derive(Debug, Clone, Copy)]
pub enum KeyInput<'a> {
    /// PEM text; literal `\n` sequences (as in a one-line environment variable) become
    /// newlines. `origin` names it in messages, e.g. `private_key (from OCI_PRIVATE_KEY)`.
    Text { pem: &'a str, origin: &'a str },
    /// A PEM file.
    File(&'a Path),
}

/// Which input a [`KeyLoadError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFault {
    /// The key text or file (unreadable, not a key, unsupported…).
    Key,
    /// The key is encrypted and no pass phrase was given.
    MissingPassphrase,
    /// The pass phrase does not decrypt the key (or the key is corrupt).
    WrongPassphrase,
}

/// A key that could not be loaded. The message names the file or origin, never key material
/// or pass phrases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct KeyLoadError {
    pub fault: KeyFault,
    pub message: String,
}

/// Loads and, if needed, decrypts an RSA private key.
pub fn load_private_key(
    input: KeyInput<'_>,
    passphrase: Option<&str>,
) -> Result<RsaPrivateKey, KeyLoadError> {
    let (pem, origin) = match input {
        KeyInput::Text { pem, origin } => (pem.replace("\\n", "\n"), origin.to_owned()),
        KeyInput::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| KeyLoadError {
                fault: KeyFault::Key,
                message: format!("cannot read the private key file {}: {e}", path.display()),
            })?;
            (text, format!("the private key file {}", path.display()))
        }
    };
    RsaPrivateKey::from_pem(&pem, passphrase).map_err(|e| KeyLoadError {
        fault: match e {
            KeyError::MissingPassphrase => KeyFault::MissingPassphrase,
            KeyError::WrongPassphrase => KeyFault::WrongPassphrase,
            _ => KeyFault::Key,
        },
        message: format!("{origin}: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::tests::{fixture, FIXTURE_FINGERPRINT, FIXTURE_PASS};

    fn fixture_path(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/keys/{name}"))
    }

    #[test]
    fn text_and_files() {
        let flat = fixture("rsa2048_pkcs8.pem").replace('\n', "\\n");
        let key = load_private_key(
            KeyInput::Text {
                pem: &flat,
                origin: "private_key",
            },
            None,
        )
        .unwrap();
        assert_eq!(key.fingerprint(), FIXTURE_FINGERPRINT);
        let path = fixture_path("rsa2048_pkcs1.pem");
        assert!(load_private_key(KeyInput::File(&path), None).is_ok());
        let err = load_private_key(KeyInput::File(Path::new("/nonexistent")), None).unwrap_err();
        assert_eq!(err.fault, KeyFault::Key);
        assert!(err.message.contains("/nonexistent"), "{}", err.message);
    }

    #[test]
    fn pass_phrase_faults() {
        let path = fixture_path("rsa2048_pkcs8_encrypted.pem");
        let err = load_private_key(KeyInput::File(&path), None).unwrap_err();
        assert_eq!(err.fault, KeyFault::MissingPassphrase);
        let err = load_private_key(KeyInput::File(&path), Some("hunter2")).unwrap_err();
        assert_eq!(err.fault, KeyFault::WrongPassphrase);
        assert!(!err.message.contains("hunter2"));
        assert!(load_private_key(KeyInput::File(&path), Some(FIXTURE_PASS)).is_ok());
    }
}
