//! The OCI platform the mock plays beside the Identity APIs: an instance (its metadata, its
//! certificate chain), the auth service that federates instance and resource principals into
//! session tokens (JWTs signed by a key of the mock's own), a resource principal token pair
//! written to the data directory, and the OKE token endpoint's material.
//!
//! # Files (under the data directory)
//!
//! - `platform/root-ca.pem`, `platform/intermediate.pem`: the mock's CA chain (ECDSA P-256;
//!   generated on first use, then kept, like the users' API keys);
//! - `platform/instance-cert.pem`, `platform/instance-key.pem`: the instance's leaf certificate
//!   (subject `CN=<instance OCID>, OU=opc-tenant:<tenancy>, OU=opc-instance:<instance>,
//!   O=opc-tenant:<tenancy>`) and its RSA-2048 key, as IMDS serves them;
//! - `platform/jwt-signing-key.pem`: the key the mock signs session tokens with, so tokens
//!   survive a restart;
//! - `platform/platform.json`: the instance and resource OCIDs and the region;
//! - `rp/rpst`, `rp/private.pem` (PKCS#8), `rp/private-encrypted.pem` (PKCS#8, PBES2) and
//!   `rp/passphrase`: a resource principal 2.2 token pair: a new token at every start (the key
//!   is kept), a new key and token on `POST /_mock/resource-principal/rotate`;
//! - `oke/ca.crt`, `oke/token` (with `--oke`): the OKE endpoint's CA (new at every start) and
//!   the service-account token it accepts;
//! - `wif/domain-<N>/client-id`, `wif/domain-<N>/client-secret`: the confidential OAuth app of
//!   identity domain N (0 = Default) that workload identity federation authenticates with
//!   (kept across restarts); `wif/token`: a Kubernetes service-account token (a JWT the mock
//!   signs, `system:serviceaccount:default:terraform`, new at every start) the domains'
//!   `/oauth2/v1/token` accepts as the subject token; `wif/token-untrusted`: one from an issuer
//!   no domain trusts.
//!
//! # Session tokens
//!
//! RS256 JWTs, header `{"alg":"RS256","typ":"JWT","kid":"mock"}`, claims `iss`, `sub` (the
//! principal's OCID), `iat`, `exp` (`--session-ttl-s`), `jti`, `ptype` (`instance` |
//! `resource`), `tenant`, `res_tenant`, `res_compartment`, `jwk` (the session public key as a
//! JWK serialized to a string). A token is accepted as `ST$<jwt>` when its signature is the
//! mock's, `exp` is in the future and it was not revoked (`POST /_mock/sessions/revoke`
//! revokes every token minted so far, the resource principal file's included).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use aws_lc_rs::digest;
use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::signature::{KeyPair as _, UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::keys::{pem_decode, pem_encode};
use crate::state::{lock, write_atomic};
use crate::{ids, MockError};

/// The region the instance (and the resource principals) are in.
pub const DEFAULT_REGION: &str = "us-ashburn-1";

/// The short region key of a few regions (`us-ashburn-1` → `IAD`), for IMDS `regionInfo`.
pub fn region_key(region: &str) -> &'static str {
    match region {
        "us-phoenix-1" => "PHX",
        "eu-frankfurt-1" => "FRA",
        "uk-london-1" => "LHR",
        "ap-tokyo-1" => "NRT",
        _ => "IAD",
    }
}

/// Why an `ST$` session token was refused (the stats' `session_token_failures` keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionError {
    /// `exp` is not in the future.
    Expired,
    /// Not a JWT the mock signed (garbage, another signer, no `jwk`).
    Unknown,
    /// Minted before `POST /_mock/sessions/revoke`.
    Revoked,
    /// The JWT is fine but the request's signature does not verify with its `jwk` key.
    BadSignature,
}

impl SessionError {
    pub const ALL: [SessionError; 4] = [
        SessionError::Expired,
        SessionError::Unknown,
        SessionError::Revoked,
        SessionError::BadSignature,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SessionError::Expired => "expired",
            SessionError::Unknown => "unknown",
            SessionError::Revoked => "revoked",
            SessionError::BadSignature => "bad_signature",
        }
    }
}

/// A principal a session token stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The instance or resource OCID (`sub`).
    pub ocid: String,
    /// `instance` or `resource`.
    pub ptype: String,
    pub tenancy: String,
}

/// A verified session token: the principal and its session public key (SPKI DER).
#[derive(Debug, Clone)]
pub struct Session {
    pub principal: Principal,
    pub session_key_spki: Vec<u8>,
    pub exp: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PlatformRec {
    instance_ocid: String,
    resource_ocid: String,
    region: String,
}

/// The resource principal pair's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpFiles {
    pub rpst: PathBuf,
    pub private_pem: PathBuf,
    pub private_encrypted_pem: PathBuf,
    pub passphrase: PathBuf,
}

/// The OKE endpoint, once bound (with `--oke`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OkeInfo {
    /// `127.0.0.N`
    pub host: String,
    pub port: u16,
    pub ca_file: PathBuf,
    pub token_file: PathBuf,
}

#[derive(Default)]
struct Sessions {
    minted: HashSet<String>,
    revoked: HashSet<String>,
    /// Resource principals 1.1 and 3.0: resource principal token → what it was issued as.
    rpts: std::collections::HashMap<String, IssuedRpt>,
}

/// A resource principal token the mock issued (opaque to clients).
#[derive(Debug, Clone)]
struct IssuedRpt {
    /// The service principal session token issued with it.
    spst: String,
    /// The principal (`sub`) of the session token it is exchanged for.
    mint_as: String,
    /// The principal that asked for it (and must sign the exchange).
    requester: String,
}

/// The instance's certificate chain as IMDS serves it.
#[derive(Debug)]
pub struct Chain {
    /// Leaf certificate (PEM and DER), its private key (PKCS#8 PEM) and public key (SPKI DER).
    pub leaf_cert_pem: String,
    pub leaf_cert_der: Vec<u8>,
    pub leaf_key_pem: String,
    pub leaf_spki: Vec<u8>,
    pub intermediate_pem: String,
    pub intermediate_der: Vec<u8>,
    pub root_ca_pem: String,
}

/// The platform's state (see the module docs).
pub struct Platform {
    pub tenancy: String,
    pub instance_ocid: String,
    pub resource_ocid: String,
    /// Resource principal 3.0: the parents of `resource_ocid`, nearest first (two, new at every
    /// start).
    pub parent_ocids: Vec<String>,
    pub region: String,
    /// The certificate chain, loaded or generated on first use (`chain()`): most mocks never
    /// serve it, and RSA key generation is the slowest part of a start.
    chain: Mutex<Option<Arc<Chain>>>,
    jwt_key: aws_lc_rs::rsa::KeyPair,
    jwt_spki: Vec<u8>,
    /// Lifetime of every token minted, in seconds.
    pub session_ttl_s: u64,
    sessions: Mutex<Sessions>,
    dir: PathBuf,
    /// The service-account tokens the OKE endpoint knows: the first (`oke/token`) is accepted,
    /// the second (`oke/token-forbidden`) gets 403.
    pub oke_tokens: Vec<String>,
    pub(crate) oke: Mutex<Option<OkeInfo>>,
    /// Serialises rotations of the resource principal files.
    rp_lock: Mutex<()>,
    /// Workload identity federation: the OAuth app of each identity domain.
    wif_clients: Vec<WifClient>,
}

/// The issuer of the service-account tokens the mock signs (OKE and workload identity
/// federation).
pub const SERVICE_ACCOUNT_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

/// An identity domain's confidential OAuth app (workload identity federation's client
/// authentication).
#[derive(Clone, PartialEq, Eq)]
pub struct WifClient {
    pub id: String,
    secret: String,
    pub id_file: PathBuf,
    pub secret_file: PathBuf,
}

impl std::fmt::Debug for WifClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WifClient")
            .field("id", &self.id)
            .field("secret", &"(sensitive)")
            .field("id_file", &self.id_file)
            .field("secret_file", &self.secret_file)
            .finish()
    }
}

impl WifClient {
    /// Whether `id` and `secret` are this app's.
    pub fn matches(&self, id: &str, secret: &str) -> bool {
        // Compared in full either way, so timing says nothing about a prefix.
        let same = |a: &str, b: &str| {
            a.len() == b.len()
                && a.bytes()
                    .zip(b.bytes())
                    .fold(0u8, |acc, (x, y)| acc | (x ^ y))
                    == 0
        };
        same(&self.id, id) & same(&self.secret, secret)
    }
}

/// The workload identity federation subject tokens' files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WifFiles {
    /// `wif/token`: accepted.
    pub token: PathBuf,
    /// `wif/token-untrusted`: a JWT of an issuer no domain trusts (400 `invalid_grant`).
    pub untrusted_token: PathBuf,
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> MockError {
    MockError::Io(format!("{}: {e}", path.display()))
}

fn key_err(what: &str, e: impl std::fmt::Debug) -> MockError {
    MockError::Key(format!("{what}: {e:?}"))
}

/// Colon-separated hex of a digest, lowercase.
pub fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// SHA-256 of a certificate's DER as lowercase colon-separated hex (the `fed-x509-sha256`
/// keyId's fingerprint).
pub fn cert_fingerprint_sha256(der: &[u8]) -> String {
    colon_hex(digest::digest(&digest::SHA256, der).as_ref())
}

/// SHA-1 of a certificate's DER as colon-separated hex (the legacy `fed-x509` keyId the Python
/// SDK sends; compared case-insensitively).
pub fn cert_fingerprint_sha1(der: &[u8]) -> String {
    colon_hex(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, der).as_ref())
}

/// A PEM's body: base64 without armor or newlines (as federation bodies carry certificates and
/// keys).
pub fn pem_body(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect()
}

fn rsa_2048() -> Result<rcgen::KeyPair, MockError> {
    rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        .map_err(|e| key_err("RSA key generation", e))
}

fn ca_params(cn: &str, serial: u64) -> Result<rcgen::CertificateParams, MockError> {
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new())
        .map_err(|e| key_err("certificate parameters", e))?;
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    p.distinguished_name
        .push(rcgen::DnType::OrganizationName, "oci-identity-mock");
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    p.serial_number = Some(rcgen::SerialNumber::from(serial));
    p.not_before = rcgen::date_time_ymd(2024, 1, 1);
    p.not_after = rcgen::date_time_ymd(2049, 12, 31);
    Ok(p)
}

/// Generates the chain: root CA → intermediate → instance leaf (RSA 2048 each).
fn generate_chain(tenancy: &str, instance: &str) -> Result<[String; 4], MockError> {
    // The CAs sign with ECDSA P-256 (fast to generate; clients do not verify the chain), the
    // instance's own key is RSA 2048 as in OCI.
    let ecdsa = || rcgen::KeyPair::generate().map_err(|e| key_err("ECDSA key generation", e));
    let root_key = ecdsa()?;
    let root_params = ca_params("oci-identity-mock root CA", 1)?;
    let root_cert = root_params
        .self_signed(&root_key)
        .map_err(|e| key_err("root CA", e))?;
    let root = rcgen::Issuer::new(root_params, &root_key);
    let int_key = ecdsa()?;
    let int_params = ca_params("oci-identity-mock PKISVC intermediate", 2)?;
    let int_cert = int_params
        .signed_by(&int_key, &root)
        .map_err(|e| key_err("intermediate CA", e))?;
    let intermediate = rcgen::Issuer::new(int_params, &int_key);
    let leaf_key = rsa_2048()?;
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new())
        .map_err(|e| key_err("certificate parameters", e))?;
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name
        .push(rcgen::DnType::CommonName, instance);
    p.distinguished_name.push(
        rcgen::DnType::OrganizationalUnitName,
        format!("opc-tenant:{tenancy}"),
    );
    // A second OU (rcgen keeps one value per attribute type: the OU OID as a custom type).
    p.distinguished_name.push(
        rcgen::DnType::CustomDnType(vec![2, 5, 4, 11]),
        format!("opc-instance:{instance}"),
    );
    p.distinguished_name.push(
        rcgen::DnType::OrganizationName,
        format!("opc-tenant:{tenancy}"),
    );
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
    ];
    p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    p.serial_number = Some(rcgen::SerialNumber::from(3u64));
    p.not_before = rcgen::date_time_ymd(2024, 1, 1);
    p.not_after = rcgen::date_time_ymd(2049, 12, 31);
    let leaf_cert = p
        .signed_by(&leaf_key, &intermediate)
        .map_err(|e| key_err("instance certificate", e))?;
    Ok([
        root_cert.pem(),
        int_cert.pem(),
        leaf_cert.pem(),
        pem_encode("PRIVATE KEY", &leaf_key.serialize_der()),
    ])
}

/// The SPKI DER of an RSA private key (PKCS#8 DER).
fn spki_of_pkcs8(pkcs8: &[u8]) -> Result<Vec<u8>, MockError> {
    let pair =
        aws_lc_rs::rsa::KeyPair::from_pkcs8(pkcs8).map_err(|e| key_err("RSA private key", e))?;
    Ok(pair
        .public_key()
        .as_der()
        .map_err(|e| key_err("public key encoding", e))?
        .as_ref()
        .to_vec())
}

/// The JWK (`kty`, `n`, `e`, `kid`) of an RSA SubjectPublicKeyInfo.
pub fn jwk_of_spki(spki: &[u8], kid: &str) -> Option<Value> {
    let key = aws_lc_rs::rsa::PublicKey::from_der(spki).ok()?;
    let c = aws_lc_rs::rsa::PublicKeyComponents::<Vec<u8>>::from(&key);
    Some(json!({
        "kty": "RSA",
        "n": URL_SAFE_NO_PAD.encode(&c.n),
        "e": URL_SAFE_NO_PAD.encode(&c.e),
        "kid": kid,
    }))
}

/// The SPKI DER of a JWK's RSA key.
fn spki_of_jwk(jwk: &Value) -> Option<Vec<u8>> {
    if jwk.get("kty")?.as_str()? != "RSA" {
        return None;
    }
    let n = URL_SAFE_NO_PAD.decode(jwk.get("n")?.as_str()?).ok()?;
    let e = URL_SAFE_NO_PAD.decode(jwk.get("e")?.as_str()?).ok()?;
    let n: Vec<u8> = n.into_iter().skip_while(|b| *b == 0).collect();
    let e: Vec<u8> = e.into_iter().skip_while(|b| *b == 0).collect();
    let c = aws_lc_rs::rsa::PublicKeyComponents { n, e };
    Some(c.as_der().ok()?.as_ref().to_vec())
}

fn read_text(path: &Path) -> Result<Option<String>, MockError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(path, e)),
    }
}

fn write(path: &Path, text: &str, mode: u32) -> Result<(), MockError> {
    write_atomic(path, text.as_bytes(), mode).map_err(|e| io_err(path, e))
}

fn mkdir(path: &Path) -> Result<(), MockError> {
    std::fs::create_dir_all(path).map_err(|e| io_err(path, e))
}

impl Platform {
    /// Loads (or generates) the platform's material under `dir` and writes a fresh resource
    /// principal pair. Blocking: may generate RSA keys.
    pub(crate) fn open(
        dir: &Path,
        tenancy: &str,
        session_ttl_s: u64,
    ) -> Result<Platform, MockError> {
        let pdir = dir.join("platform");
        mkdir(&pdir)?;
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&pdir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| io_err(&pdir, e))?;
        }
        let rec_path = pdir.join("platform.json");
        let rec: PlatformRec = match read_text(&rec_path)? {
            Some(t) => serde_json::from_str(&t).map_err(|e| io_err(&rec_path, e))?,
            None => {
                let rec = PlatformRec {
                    instance_ocid: ids::ocid("instance"),
                    resource_ocid: ids::ocid("fnfunc"),
                    region: DEFAULT_REGION.into(),
                };
                let text = serde_json::to_string_pretty(&rec).map_err(|e| io_err(&rec_path, e))?;
                write(&rec_path, &text, 0o644)?;
                rec
            }
        };
        let der = |label: &str, pem: &str, f: &Path| {
            pem_decode(label, pem).ok_or_else(|| io_err(f, format!("no {label} PEM block")))
        };
        let jwt_path = pdir.join("jwt-signing-key.pem");
        let jwt_pkcs8 = match read_text(&jwt_path)? {
            Some(t) => der("PRIVATE KEY", &t, &jwt_path)?,
            None => {
                let k = crate::keys::generate_rsa_2048().map_err(MockError::Key)?;
                write(&jwt_path, &pem_encode("PRIVATE KEY", &k.pkcs8_der), 0o600)?;
                k.pkcs8_der
            }
        };
        let jwt_key = aws_lc_rs::rsa::KeyPair::from_pkcs8(&jwt_pkcs8)
            .map_err(|e| key_err("JWT signing key", e))?;
        let jwt_spki = spki_of_pkcs8(&jwt_pkcs8)?;
        let mut platform = Platform {
            tenancy: tenancy.to_string(),
            instance_ocid: rec.instance_ocid,
            resource_ocid: rec.resource_ocid,
            parent_ocids: vec![ids::ocid("datasciencejob"), ids::ocid("datascienceproject")],
            region: rec.region,
            chain: Mutex::new(None),
            jwt_key,
            jwt_spki,
            session_ttl_s: session_ttl_s.max(1),
            sessions: Mutex::new(Sessions::default()),
            dir: dir.to_path_buf(),
            oke_tokens: Vec::new(),
            oke: Mutex::new(None),
            rp_lock: Mutex::new(()),
            wif_clients: Vec::new(),
        };
        platform.oke_tokens = vec![
            platform.service_account_token("terraform")?,
            platform.service_account_token("no-policy")?,
        ];
        platform.write_resource_principal(false)?;
        Ok(platform)
    }

    /// The instance's certificate chain: read from `DIR/platform/`, or generated there on first
    /// use. Blocking the first time (RSA key generation).
    pub fn chain(&self) -> Result<Arc<Chain>, MockError> {
        let mut slot = lock(&self.chain);
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let pdir = self.dir.join("platform");
        let files = [
            pdir.join("root-ca.pem"),
            pdir.join("intermediate.pem"),
            pdir.join("instance-cert.pem"),
            pdir.join("instance-key.pem"),
        ];
        let mut texts = Vec::new();
        for f in &files {
            texts.push(read_text(f)?);
        }
        let chain: Vec<String> = if texts.iter().all(Option::is_some) {
            texts.into_iter().flatten().collect()
        } else {
            let chain = generate_chain(&self.tenancy, &self.instance_ocid)?;
            for (f, text) in files.iter().zip(&chain) {
                let mode = if f.ends_with("instance-key.pem") {
                    0o600
                } else {
                    0o644
                };
                write(f, text, mode)?;
            }
            chain.to_vec()
        };
        let [root_ca_pem, intermediate_pem, leaf_cert_pem, leaf_key_pem]: [String; 4] = chain
            .try_into()
            .map_err(|_| MockError::State("platform chain".into()))?;
        let der = |label: &str, pem: &str, f: &Path| {
            pem_decode(label, pem).ok_or_else(|| io_err(f, format!("no {label} PEM block")))
        };
        let c = Arc::new(Chain {
            leaf_cert_der: der("CERTIFICATE", &leaf_cert_pem, &files[2])?,
            intermediate_der: der("CERTIFICATE", &intermediate_pem, &files[1])?,
            leaf_spki: spki_of_pkcs8(&der("PRIVATE KEY", &leaf_key_pem, &files[3])?)?,
            leaf_cert_pem,
            leaf_key_pem,
            intermediate_pem,
            root_ca_pem,
        });
        *slot = Some(c.clone());
        Ok(c)
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A Kubernetes service-account token (a JWT, as the SDKs expect: the Python SDK decodes
    /// it and checks `exp`) for `default/<name>`, valid for a year. Not a session token.
    fn service_account_token(&self, name: &str) -> Result<String, MockError> {
        self.service_account_token_of(SERVICE_ACCOUNT_ISSUER, name)
    }

    fn service_account_token_of(&self, issuer: &str, name: &str) -> Result<String, MockError> {
        let now = chrono::Utc::now().timestamp();
        self.sign_jwt(&json!({
            "iss": issuer,
            "sub": format!("system:serviceaccount:default:{name}"),
            "aud": ["https://kubernetes.default.svc.cluster.local"],
            "iat": now,
            "nbf": now,
            "exp": now + 365 * 24 * 3600,
            "jti": ids::hex_lower(32),
            "kubernetes.io": {"namespace": "default", "serviceaccount": {"name": name}},
        }))
        .map_err(MockError::Key)
    }

    /// Signs `claims` as an RS256 JWT with the mock's key.
    fn sign_jwt(&self, claims: &Value) -> Result<String, String> {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": "mock"});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut sig = vec![0u8; self.jwt_key.public_modulus_len()];
        self.jwt_key
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                signing_input.as_bytes(),
                &mut sig,
            )
            .map_err(|_| "JWT signing failed")?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }

    /// Mints a session token for `ocid` (`ptype` = `instance` | `resource`) bound to the
    /// session public key `session_spki`.
    pub fn mint(&self, ocid: &str, ptype: &str, session_spki: &[u8]) -> Result<String, String> {
        self.mint_with(ocid, ptype, ptype, session_spki)
    }

    /// [`Platform::mint`] with a `res_type` claim of its own (workload identity federation's
    /// `res_type`).
    pub fn mint_with(
        &self,
        ocid: &str,
        ptype: &str,
        res_type: &str,
        session_spki: &[u8],
    ) -> Result<String, String> {
        let jti = ids::hex_lower(32);
        let jwk = jwk_of_spki(session_spki, &format!("{ptype}-session"))
            .ok_or("the session public key is not an RSA SubjectPublicKeyInfo")?;
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(self.session_ttl_s).unwrap_or(i64::MAX / 2);
        let claims = json!({
            "iss": "authService.oracle.com",
            "sub": ocid,
            "aud": "oci",
            "iat": now,
            "exp": now.saturating_add(ttl),
            "jti": jti,
            "ptype": ptype,
            "tenant": self.tenancy,
            "res_tenant": self.tenancy,
            "res_compartment": self.tenancy,
            "res_type": res_type,
            "jwk": jwk.to_string(),
        });
        let jwt = self.sign_jwt(&claims)?;
        lock(&self.sessions).minted.insert(jti);
        Ok(jwt)
    }

    /// Verifies a session token (the part after `ST$`) at `now` (Unix seconds).
    pub fn verify_session(&self, jwt: &str, now: i64) -> Result<Session, SessionError> {
        let claims = self.verify_jwt(jwt).ok_or(SessionError::Unknown)?;
        if claims["iss"] != "authService.oracle.com" {
            return Err(SessionError::Unknown);
        }
        let exp = claims["exp"].as_i64().ok_or(SessionError::Unknown)?;
        let jti = claims["jti"].as_str().unwrap_or_default();
        if lock(&self.sessions).revoked.contains(jti) {
            return Err(SessionError::Revoked);
        }
        if exp <= now {
            return Err(SessionError::Expired);
        }
        let jwk: Value = claims["jwk"]
            .as_str()
            .and_then(|j| serde_json::from_str(j).ok())
            .ok_or(SessionError::Unknown)?;
        let session_key_spki = spki_of_jwk(&jwk).ok_or(SessionError::Unknown)?;
        let str_claim = |k: &str| claims[k].as_str().unwrap_or_default().to_string();
        Ok(Session {
            principal: Principal {
                ocid: str_claim("sub"),
                ptype: str_claim("ptype"),
                tenancy: str_claim("res_tenant"),
            },
            session_key_spki,
            exp,
        })
    }

    /// The claims of a JWT signed with the mock's key (any JWT: session or service-account
    /// token), or None.
    fn verify_jwt(&self, jwt: &str) -> Option<Value> {
        let mut parts = jwt.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let sig = URL_SAFE_NO_PAD.decode(s).ok()?;
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.jwt_spki)
            .verify(format!("{h}.{p}").as_bytes(), &sig)
            .ok()?;
        URL_SAFE_NO_PAD
            .decode(p)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .filter(Value::is_object)
    }

    /// Checks a workload identity federation subject token at `now`: a service-account JWT
    /// the mock signed, of the trusted issuer, not expired, for a Kubernetes service account.
    /// Returns its `sub`; `Err` says why not (for the `invalid_grant` description, never the
    /// token).
    pub fn verify_service_account_token(&self, jwt: &str, now: i64) -> Result<String, String> {
        let claims = self
            .verify_jwt(jwt.trim())
            .ok_or("the subject token is not a JWT signed by a trusted issuer")?;
        if claims["iss"] != SERVICE_ACCOUNT_ISSUER {
            return Err("the subject token's issuer is not trusted by this domain".into());
        }
        match claims["exp"].as_i64() {
            Some(exp) if exp > now => {}
            _ => return Err("the subject token has expired".into()),
        }
        match claims["sub"].as_str() {
            Some(sub) if sub.starts_with("system:serviceaccount:") => Ok(sub.to_string()),
            _ => Err("the subject token's subject is not a service account".into()),
        }
    }

    /// Creates (or loads) the OAuth app of each of `domains` identity domains and writes the
    /// subject tokens (see the module docs). Blocking.
    pub(crate) fn open_wif(&mut self, domains: usize) -> Result<(), MockError> {
        let wif = self.dir.join("wif");
        mkdir(&wif)?;
        let mut clients = Vec::new();
        for index in 0..domains {
            let d = wif.join(format!("domain-{index}"));
            mkdir(&d)?;
            let id_file = d.join("client-id");
            let secret_file = d.join("client-secret");
            let (id, secret) = match (read_text(&id_file)?, read_text(&secret_file)?) {
                (Some(id), Some(secret)) if !id.trim().is_empty() && !secret.trim().is_empty() => {
                    (id.trim().to_string(), secret.trim().to_string())
                }
                _ => {
                    let id = ids::hex_lower(32);
                    let secret = format!("idcscs-{}", ids::hex_lower(36));
                    write(&secret_file, &secret, 0o600)?;
                    write(&id_file, &id, 0o600)?;
                    (id, secret)
                }
            };
            clients.push(WifClient {
                id,
                secret,
                id_file,
                secret_file,
            });
        }
        self.wif_clients = clients;
        let files = self.wif_files();
        write(
            &files.token,
            &self.service_account_token("terraform")?,
            0o600,
        )?;
        let untrusted =
            self.service_account_token_of("https://untrusted.example.invalid", "terraform")?;
        write(&files.untrusted_token, &untrusted, 0o600)?;
        Ok(())
    }

    /// The OAuth app of identity domain `index` (0 = Default).
    pub fn wif_client(&self, index: usize) -> Option<&WifClient> {
        self.wif_clients.get(index)
    }

    /// Every domain's OAuth app, in domain order.
    pub fn wif_clients(&self) -> &[WifClient] {
        &self.wif_clients
    }

    /// The subject tokens' files.
    pub fn wif_files(&self) -> WifFiles {
        let d = self.dir.join("wif");
        WifFiles {
            token: d.join("token"),
            untrusted_token: d.join("token-untrusted"),
        }
    }

    /// Resource principals 1.1 and 3.0: issues an opaque resource principal token and service
    /// principal session token, asked for by `requester` (its OCID), to be exchanged for a
    /// session token of `mint_as`.
    pub fn issue_rpt(&self, requester: &str, mint_as: &str) -> (String, String) {
        let rpt = format!("rpt-{}", ids::hex_lower(40));
        let spst = format!("spst-{}", ids::hex_lower(40));
        lock(&self.sessions).rpts.insert(
            rpt.clone(),
            IssuedRpt {
                spst: spst.clone(),
                mint_as: mint_as.to_string(),
                requester: requester.to_string(),
            },
        );
        (rpt, spst)
    }

    /// The principal a session token for `rpt` stands for, when `rpt` was issued with `spst`
    /// to `requester`.
    pub fn check_rpt(&self, rpt: &str, spst: &str, requester: &str) -> Option<String> {
        lock(&self.sessions)
            .rpts
            .get(rpt)
            .filter(|i| i.spst == spst && i.requester == requester)
            .map(|i| i.mint_as.clone())
    }

    /// Resource principal 3.0's chain: the resource principal pair's resource, then its parents
    /// (`parent_ocids`, new at every start).
    pub fn resource_chain(&self) -> Vec<String> {
        std::iter::once(self.resource_ocid.clone())
            .chain(self.parent_ocids.iter().cloned())
            .collect()
    }

    /// Revokes every token minted so far (by this process); returns how many.
    pub fn revoke_all(&self) -> usize {
        let mut s = lock(&self.sessions);
        let minted = std::mem::take(&mut s.minted);
        let n = minted.len();
        s.revoked.extend(minted);
        n
    }

    /// The resource principal pair's paths.
    pub fn rp_files(&self) -> RpFiles {
        let d = self.dir.join("rp");
        RpFiles {
            rpst: d.join("rpst"),
            private_pem: d.join("private.pem"),
            private_encrypted_pem: d.join("private-encrypted.pem"),
            passphrase: d.join("passphrase"),
        }
    }

    /// Writes a fresh resource principal 2.2 pair (new key, new RPST) into `rp/`. The key is
    /// written before the token, so a reader that sees the new token sees its key.
    pub fn rotate_resource_principal(&self) -> Result<(), MockError> {
        self.write_resource_principal(true)
    }

    /// Writes the resource principal files with a new token; with a new key too when
    /// `new_key` or when there is none yet (a restart keeps the key, sparing a key generation).
    fn write_resource_principal(&self, new_key: bool) -> Result<(), MockError> {
        let _guard = lock(&self.rp_lock);
        let files = self.rp_files();
        let dir = self.dir.join("rp");
        mkdir(&dir)?;
        let existing = if new_key {
            None
        } else {
            read_text(&files.private_pem)?
                .and_then(|pem| pem_decode("PRIVATE KEY", &pem))
                .and_then(|der| spki_of_pkcs8(&der).ok().map(|spki| (der, spki)))
        };
        let (pkcs8, spki, fresh) = match existing {
            Some((der, spki)) => (der, spki, false),
            None => {
                let k = crate::keys::generate_rsa_2048().map_err(MockError::Key)?;
                (k.pkcs8_der, k.spki_der, true)
            }
        };
        let rpst = self
            .mint(&self.resource_ocid, "resource", &spki)
            .map_err(MockError::Key)?;
        if fresh || read_text(&files.private_encrypted_pem)?.is_none() {
            let passphrase = ids::hex_lower(24);
            let encrypted = encrypt_pkcs8(&pkcs8, &passphrase)?;
            write(&files.passphrase, &passphrase, 0o600)?;
            write(&files.private_encrypted_pem, &encrypted, 0o600)?;
            write(
                &files.private_pem,
                &pem_encode("PRIVATE KEY", &pkcs8),
                0o600,
            )?;
        }
        write(&files.rpst, &rpst, 0o600)?;
        Ok(())
    }

    /// The OKE endpoint, once bound.
    pub fn oke(&self) -> Option<OkeInfo> {
        lock(&self.oke).clone()
    }

    /// Checks a federation request body's certificates and session key: the leaf certificate
    /// must be the instance's, the intermediates must include the mock's intermediate. Returns
    /// the session key's SPKI DER. `Err((status, message))`.
    pub fn check_federation_body(&self, body: &Value) -> Result<Vec<u8>, (u16, String)> {
        let field = |k: &str| -> Result<&str, (u16, String)> {
            body.get(k)
                .and_then(Value::as_str)
                .ok_or((400, format!("{k} is required and must be a string")))
        };
        let b64 = |k: &str, v: &str| -> Result<Vec<u8>, (u16, String)> {
            let clean: String = v.split_whitespace().collect();
            STANDARD
                .decode(clean)
                .map_err(|_| (400, format!("{k} is not base64 DER")))
        };
        let cert = b64("certificate", field("certificate")?)?;
        let public_key = b64("publicKey", field("publicKey")?)?;
        if aws_lc_rs::rsa::PublicKey::from_der(&public_key).is_err() {
            return Err((400, "publicKey is not an RSA public key".into()));
        }
        let intermediates = match body.get("intermediateCertificates") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .ok_or((
                            400,
                            "intermediateCertificates must hold strings".to_string(),
                        ))
                        .and_then(|s| b64("intermediateCertificates", s))
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => {
                return Err((400, "intermediateCertificates must be an array".into()));
            }
        };
        match body.get("fingerprintAlgorithm") {
            None | Some(Value::Null) => {}
            Some(Value::String(a))
                if a.eq_ignore_ascii_case("SHA256") || a.eq_ignore_ascii_case("SHA1") => {}
            Some(_) => return Err((400, "fingerprintAlgorithm must be SHA256 or SHA1".into())),
        }
        let chain = self.chain().map_err(|e| (500, e.to_string()))?;
        if cert != chain.leaf_cert_der {
            return Err((401, "the certificate was not issued to an instance".into()));
        }
        if !intermediates.contains(&chain.intermediate_der) {
            return Err((401, "the certificate chain does not verify".into()));
        }
        Ok(public_key)
    }
}

/// PKCS#8 encrypted (PBES2: PBKDF2-SHA256, AES-256-CBC) PEM of a PKCS#8 DER key.
fn encrypt_pkcs8(pkcs8_der: &[u8], passphrase: &str) -> Result<String, MockError> {
    use pkcs8::der::pem::LineEnding;
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt).map_err(|e| key_err("random salt", e))?;
    aws_lc_rs::rand::fill(&mut iv).map_err(|e| key_err("random iv", e))?;
    let info = pkcs8::PrivateKeyInfo::try_from(pkcs8_der).map_err(|e| key_err("PKCS#8", e))?;
    let params = pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(2048, &salt, &iv)
        .map_err(|e| key_err("PBES2 parameters", e))?;
    let doc = info
        .encrypt_with_params(params, passphrase)
        .map_err(|e| key_err("PKCS#8 encryption", e))?;
    doc.to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .map(|z| z.to_string())
        .map_err(|e| key_err("PEM encoding", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mint_and_verify() {
        let dir = tempfile::tempdir().unwrap();
        let p = Platform::open(dir.path(), "ocid1.tenancy.oc1..t", 60).unwrap();
        let k = crate::keys::generate_rsa_2048().unwrap();
        let jwt = p
            .mint("ocid1.instance.oc1..i", "instance", &k.spki_der)
            .unwrap();
        let now = chrono::Utc::now().timestamp();
        let s = p.verify_session(&jwt, now).unwrap();
        assert_eq!(s.principal.ocid, "ocid1.instance.oc1..i");
        assert_eq!(s.principal.tenancy, "ocid1.tenancy.oc1..t");
        assert_eq!(s.session_key_spki, k.spki_der);
        assert_eq!(
            p.verify_session(&jwt, now + 61).unwrap_err(),
            SessionError::Expired
        );
        let mut forged = jwt.clone();
        forged.push('A');
        assert_eq!(
            p.verify_session(&forged, now).unwrap_err(),
            SessionError::Unknown
        );
        assert_eq!(
            p.verify_session("x.y", now).unwrap_err(),
            SessionError::Unknown
        );
        assert!(p.revoke_all() >= 2); // the RP pair's token and this one
        assert_eq!(
            p.verify_session(&jwt, now).unwrap_err(),
            SessionError::Revoked
        );
        // Material is stable across reopen.
        let cert = p.chain().unwrap().leaf_cert_pem.clone();
        drop(p);
        let p = Platform::open(dir.path(), "ocid1.tenancy.oc1..t", 60).unwrap();
        assert_eq!(p.chain().unwrap().leaf_cert_pem, cert);
        assert!(std::fs::read_to_string(p.rp_files().private_encrypted_pem)
            .unwrap()
            .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    }

    #[test]
    fn workload_identity_federation_material() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Platform::open(dir.path(), "ocid1.tenancy.oc1..t", 60).unwrap();
        p.open_wif(2).unwrap();
        let app = p.wif_client(1).unwrap().clone();
        let secret = std::fs::read_to_string(&app.secret_file).unwrap();
        assert!(app.matches(&app.id, &secret));
        assert!(!app.matches(&app.id, &format!("{secret}x")));
        assert!(!app.matches(&p.wif_client(0).unwrap().id, &secret));
        let shown = format!("{:?}", p.wif_clients());
        assert!(!shown.contains(&secret), "{shown}");
        // Kept across restarts.
        let mut again = Platform::open(dir.path(), "ocid1.tenancy.oc1..t", 60).unwrap();
        again.open_wif(2).unwrap();
        assert_eq!(again.wif_client(1), Some(&app));
        // Subject tokens.
        let now = chrono::Utc::now().timestamp();
        let files = p.wif_files();
        let token = std::fs::read_to_string(&files.token).unwrap();
        assert_eq!(
            again.verify_service_account_token(&token, now).unwrap(),
            "system:serviceaccount:default:terraform"
        );
        let untrusted = std::fs::read_to_string(&files.untrusted_token).unwrap();
        assert!(p.verify_service_account_token(&untrusted, now).is_err());
        assert!(p
            .verify_service_account_token(&token, now + 400 * 24 * 3600)
            .is_err());
        // A service-account token is not a session token, nor the reverse.
        assert_eq!(
            p.verify_session(&token, now).unwrap_err(),
            SessionError::Unknown
        );
        let k = crate::keys::generate_rsa_2048().unwrap();
        let session = p
            .mint("ocid1.instance.oc1..i", "instance", &k.spki_der)
            .unwrap();
        assert!(p.verify_service_account_token(&session, now).is_err());
    }
}
