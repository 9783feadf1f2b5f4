//! Random identifiers and secrets (from the system CSPRNG, never the seeded fault RNG, so
//! restarts with the same seed cannot collide with persisted ids).

const BASE32: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
const HEX_UPPER: &[u8] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8] = b"0123456789abcdef";
/// Printable ASCII without space, quotes, backslash or backtick.
const SECRET_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,-.:;<=>?[]^_{|}~";
const SECRET_PUNCT: &[u8] = b"!#$%&()*+,-.:;<=>?[]^_{|}~";

fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    if aws_lc_rs::rand::fill(&mut buf).is_err() {
        // Extremely unlikely; fall back to a non-cryptographic generator rather than panic.
        for b in &mut buf {
            *b = fastrand::u8(..);
        }
    }
    buf
}

/// `n` characters drawn uniformly from `alphabet` (rejection sampling, no modulo bias).
fn random_from(alphabet: &[u8], n: usize) -> String {
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(n);
    while out.len() < n {
        for b in random_bytes(n * 2) {
            if (b as usize) < limit {
                out.push(alphabet[b as usize % alphabet.len()] as char);
                if out.len() == n {
                    break;
                }
            }
        }
    }
    out
}

/// An OCID for a global resource: `ocid1.<kind>.oc1..aaaaaaaa<52 base32>`.
pub(crate) fn ocid(kind: &str) -> String {
    format!("ocid1.{kind}.oc1..aaaaaaaa{}", random_from(BASE32, 52))
}

/// A new auth-token secret: 20 printable ASCII characters including punctuation.
pub(crate) fn token_secret() -> String {
    loop {
        let s = random_from(SECRET_ALPHABET, 20);
        if s.bytes().any(|b| SECRET_PUNCT.contains(&b)) && s.bytes().any(|b| b.is_ascii_digit()) {
            return s;
        }
    }
}

pub(crate) fn hex_upper(n: usize) -> String {
    random_from(HEX_UPPER, n)
}

pub(crate) fn hex_lower(n: usize) -> String {
    random_from(HEX_LOWER, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let id = ocid("credential");
        assert!(id.starts_with("ocid1.credential.oc1..aaaaaaaa"));
        let tail = &id["ocid1.credential.oc1..aaaaaaaa".len()..];
        assert_eq!(tail.len(), 52);
        assert!(tail.bytes().all(|b| BASE32.contains(&b)));
        let s = token_secret();
        assert_eq!(s.len(), 20);
        assert!(s
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\'));
        assert_eq!(hex_upper(32).len(), 32);
        assert_ne!(ocid("user"), ocid("user"));
    }
}
