//! The mock's state: [`MockState`], shared by every API router and middleware (the store, the
//! request counters, the fault queue, the rate limit and the timing options), and the persistent `Store`
//! (tenancy, users and their API keys, auth tokens and retry-token records), which lives in
//! `DIR/state.json` plus the journal of changes since (`DIR/journal.jsonl`, see [`journal`]).

mod journal;

use std::collections::HashMap;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine as _;
use chrono::{DateTime, Duration, DurationRound as _, Utc};
use serde::{Deserialize, Serialize};

use super::faults::{Fault, Faults};
use super::ratelimit::RateLimit;
use super::stats::Stats;
use super::{ids, keys, MockError, MockOptions};
use journal::{Change, Journal};

/// Locks a mutex, ignoring poisoning (a panicked handler leaves consistent data behind: every
/// mutation is a single assignment, or the store's journal-then-apply commit, whose apply
/// cannot panic).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) struct Shared {
    pub(crate) store: Mutex<Store>,
    pub(crate) stats: Mutex<Stats>,
    pub(crate) faults: Mutex<Faults>,
    pub(crate) rate_limit: Mutex<RateLimit>,
    pub(crate) token_limit: usize,
    pub(crate) latency: std::time::Duration,
    pub(crate) list_lag: Duration,
    pub(crate) activation: Duration,
    /// Each identity domain's URL (`http://127.0.0.1:PORT`), by domain index, once its
    /// listener is bound.
    pub(crate) domain_urls: Mutex<Vec<String>>,
    /// The platform: instance, auth service, resource principal pair, OKE endpoint.
    pub(crate) platform: crate::platform::Platform,
}

/// The shared state behind a mock server (cheap to clone): what every API router and middleware
/// layer works on.
#[derive(Clone)]
pub struct MockState {
    pub(crate) inner: Arc<Shared>,
}

impl MockState {
    /// Opens (or initialises) the data directory. Blocking: may generate RSA keys.
    pub fn open(opts: &MockOptions) -> Result<MockState, MockError> {
        if !opts.fault_rate.is_finite() || !(0.0..=1.0).contains(&opts.fault_rate) {
            return Err(MockError::Options(format!(
                "fault rate must be between 0 and 1, got {}",
                opts.fault_rate
            )));
        }
        let store = Store::open(&opts.data_dir, opts.users, opts.domains)?;
        let mut platform =
            crate::platform::Platform::open(&store.dir, store.tenancy_ocid(), opts.session_ttl_s)?;
        platform.open_wif(store.domains().len())?;
        Ok(MockState {
            inner: Arc::new(Shared {
                store: Mutex::new(store),
                stats: Mutex::new(Stats::default()),
                faults: Mutex::new(Faults::new(opts.fault_rate, opts.seed)),
                rate_limit: Mutex::new(RateLimit::new(opts.rate_limit)),
                token_limit: opts.token_limit,
                latency: std::time::Duration::from_millis(opts.latency_ms),
                list_lag: Duration::milliseconds(
                    i64::try_from(opts.list_lag_ms).unwrap_or(i64::MAX / 1_000_000),
                ),
                activation: Duration::milliseconds(
                    i64::try_from(opts.activation_ms).unwrap_or(i64::MAX / 1_000_000),
                ),
                domain_urls: Mutex::new(Vec::new()),
                platform,
            }),
        })
    }

    pub fn config_file(&self) -> PathBuf {
        lock(&self.inner.store).config_file()
    }

    pub fn tenancy_ocid(&self) -> String {
        lock(&self.inner.store).tenancy_ocid().to_string()
    }

    pub fn user_ocids(&self) -> Vec<String> {
        lock(&self.inner.store).user_ocids()
    }

    /// The platform (instance metadata, session tokens, resource principal files, OKE).
    pub fn platform(&self) -> &crate::platform::Platform {
        &self.inner.platform
    }

    /// Queues faults for the next API requests (same as `POST /_mock/faults`).
    pub fn queue_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        lock(&self.inner.faults).enqueue(faults);
    }

    /// Sets the random fault rate (clamped to 0..=1).
    pub fn set_fault_rate(&self, rate: f64) {
        lock(&self.inner.faults).set_rate(rate);
    }

    /// The same JSON as `GET /_mock/stats`.
    pub fn stats_json(&self) -> serde_json::Value {
        let live = lock(&self.inner.store).live_tokens();
        lock(&self.inner.stats).to_json(live)
    }
}

const STATE_VERSION: u32 = 1;
/// How long an `opc-retry-token` is remembered.
pub(crate) const RETRY_TOKEN_TTL_HOURS: i64 = 24;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Persisted {
    pub version: u32,
    pub tenancy_ocid: String,
    pub users: Vec<UserRec>,
    #[serde(default)]
    pub tokens: Vec<TokenRec>,
    #[serde(default)]
    pub retry_tokens: Vec<RetryRec>,
    /// The identity domains; the first is the tenancy's Default domain.
    #[serde(default)]
    pub domains: Vec<DomainRec>,
}

/// An identity domain. The Default domain's users are the IAM users ([`UserRec`]); the
/// users of the others are listed here.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DomainRec {
    pub ocid: String,
    pub display_name: String,
    pub time_created: DateTime<Utc>,
    #[serde(default)]
    pub users: Vec<DomainUserRec>,
}

/// A user of a secondary domain (no API key: only the administrator manages its tokens).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DomainUserRec {
    pub id: String,
    pub ocid: String,
    pub user_name: String,
}

/// A SCIM `{key, value}` tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TagRec {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct UserRec {
    pub ocid: String,
    /// File stem of the key files, e.g. `default`, `user1`.
    pub name: String,
    /// Profile name in the config file, e.g. `DEFAULT`, `USER1`.
    pub profile: String,
    pub key_file: PathBuf,
    pub public_key_file: PathBuf,
    pub fingerprint: String,
    /// SubjectPublicKeyInfo DER, base64.
    pub public_key_der: String,
    /// The user's SCIM id in the Default domain (32 lowercase hex).
    #[serde(default)]
    pub scim_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TokenRec {
    pub id: String,
    pub user_id: String,
    pub description: String,
    pub time_created: DateTime<Utc>,
    pub etag: String,
    /// `ACTIVE` or `INACTIVE` (the SCIM `status`).
    pub lifecycle_state: String,
    /// The SCIM id (32 lowercase hex); `id` is its OCID in both APIs.
    #[serde(default)]
    pub scim_id: String,
    /// `expiresOn` as given at create (SCIM), echoed unchanged.
    #[serde(default)]
    pub expires_on: Option<String>,
    #[serde(default)]
    pub tags: Vec<TagRec>,
    /// The OCID of the user whose request created / last modified it.
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub last_modified_by: Option<String>,
    #[serde(default)]
    pub last_modified: Option<DateTime<Utc>>,
    /// SHA-256 (hex) of the secret: the secret itself is never stored.
    #[serde(default)]
    pub secret_sha256: Option<String>,
    /// The SCIM self-change extension's `allowSelfChange` (write-only).
    #[serde(default)]
    pub allow_self_change: Option<bool>,
}

impl TokenRec {
    /// When it was last modified (its creation when never modified).
    pub(crate) fn modified(&self) -> DateTime<Utc> {
        self.last_modified.unwrap_or(self.time_created)
    }

    /// The parsed `expiresOn`, if any.
    pub(crate) fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.expires_on
            .as_deref()
            .and_then(|e| DateTime::parse_from_rfc3339(e).ok())
            .map(|d| d.with_timezone(&Utc))
    }
}

/// What a create sets on a new token.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewToken {
    pub user_id: String,
    pub description: String,
    /// `ACTIVE` (the default) or `INACTIVE`.
    pub status: Option<String>,
    pub expires_on: Option<String>,
    pub tags: Vec<TagRec>,
    pub created_by: Option<String>,
    pub allow_self_change: Option<bool>,
}

/// A create remembered for `opc-retry-token` replays. Its body holds the secret: Debug
/// leaves it out.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct RetryRec {
    pub retry_token: String,
    pub user_id: String,
    /// Canonical digest of the request body.
    pub request_digest: String,
    pub time: DateTime<Utc>,
    pub status: u16,
    pub etag: String,
    /// The original response body (contains the secret, as the real replay would).
    pub body: String,
}

impl std::fmt::Debug for RetryRec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetryRec")
            .field("user_id", &self.user_id)
            .field("time", &self.time)
            .field("status", &self.status)
            .field("body", &"(hidden)")
            .finish()
    }
}

/// Builds the retry record of a create from the new token and its secret.
pub(crate) type Remember<'a> = &'a dyn Fn(&TokenRec, &str) -> RetryRec;

/// Why a store operation failed; the API layer maps these to OCI errors.
#[derive(Debug)]
pub(crate) enum StoreError {
    /// The caller may not act on that user's tokens (answered like a missing user).
    NotAuthorized,
    UserNotFound,
    TokenNotFound,
    LimitExceeded(usize),
    EtagMismatch,
    Persist(String),
}

/// The in-memory state plus where it is persisted.
pub(crate) struct Store {
    dir: PathBuf,
    data: Persisted,
    journal: Journal,
    /// Size of the last snapshot written.
    snapshot_len: u64,
    /// keyId (`tenancy/user/fingerprint`) → SubjectPublicKeyInfo DER.
    key_ids: HashMap<String, Vec<u8>>,
}

fn io_err(path: &Path, e: std::io::Error) -> MockError {
    MockError::Io(format!("{}: {e}", path.display()))
}

/// Writes `bytes` to `path` via a temporary file and a rename, with the given mode.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    write_atomic_with(path, bytes, mode, true)
}

/// [`write_atomic`], with the fsync before the rename optional: without it the file still
/// survives a killed mock (the rename is atomic and the data is in the page cache); only a
/// machine crash could lose the last writes.
fn write_atomic_with(path: &Path, bytes: &[u8], mode: u32, fsync: bool) -> std::io::Result<()> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let tmp = path.with_file_name(format!(".{file_name}.tmp{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        f.write_all(bytes)?;
        if fsync {
            f.sync_all()?;
        }
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The snapshot's file name in the data directory.
const SNAPSHOT_FILE: &str = "state.json";

/// Writes `DIR/state.json` (compact, without fsync: see [`journal`]); returns its size.
fn persist(dir: &Path, data: &Persisted) -> Result<u64, String> {
    let path = dir.join(SNAPSHOT_FILE);
    let bytes = serde_json::to_vec(data).map_err(|e| e.to_string())?;
    write_atomic_with(&path, &bytes, 0o600, false)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(bytes.len() as u64)
}

fn profile_for(index: usize) -> (String, String) {
    if index == 0 {
        ("DEFAULT".into(), "default".into())
    } else {
        (format!("USER{index}"), format!("user{index}"))
    }
}

impl Store {
    /// Loads the state in `dir` (creating the directory, tenancy and users as needed) and
    /// makes sure at least `users` users and `domains` identity domains exist (each secondary
    /// domain with at least `users` users of its own). Rewrites the config file.
    pub(crate) fn open(dir: &Path, users: usize, domains: usize) -> Result<Store, MockError> {
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        let dir = std::fs::canonicalize(dir).map_err(|e| io_err(dir, e))?;
        let keys_dir = dir.join("keys");
        std::fs::create_dir_all(&keys_dir).map_err(|e| io_err(&keys_dir, e))?;
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&keys_dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| io_err(&keys_dir, e))?;
        }
        let state_path = dir.join(SNAPSHOT_FILE);
        let mut data = match std::fs::read(&state_path) {
            Ok(bytes) => {
                let data: Persisted = serde_json::from_slice(&bytes)
                    .map_err(|e| MockError::State(format!("{}: {e}", state_path.display())))?;
                if data.version != STATE_VERSION {
                    return Err(MockError::State(format!(
                        "{}: unsupported state version {}",
                        state_path.display(),
                        data.version
                    )));
                }
                data
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Persisted {
                version: STATE_VERSION,
                tenancy_ocid: ids::ocid("tenancy"),
                users: Vec::new(),
                tokens: Vec::new(),
                retry_tokens: Vec::new(),
                domains: Vec::new(),
            },
            Err(e) => return Err(io_err(&state_path, e)),
        };
        Journal::replay(&dir, &mut data).map_err(MockError::State)?;
        while data.users.len() < users.max(1) {
            let index = data.users.len();
            let (profile, name) = profile_for(index);
            let key = keys::generate_rsa_2048().map_err(MockError::Key)?;
            let key_file = keys_dir.join(format!("{name}.pem"));
            let public_key_file = keys_dir.join(format!("{name}_public.pem"));
            write_atomic(
                &key_file,
                keys::pem_encode("PRIVATE KEY", &key.pkcs8_der).as_bytes(),
                0o600,
            )
            .map_err(|e| io_err(&key_file, e))?;
            write_atomic(
                &public_key_file,
                keys::pem_encode("PUBLIC KEY", &key.spki_der).as_bytes(),
                0o644,
            )
            .map_err(|e| io_err(&public_key_file, e))?;
            data.users.push(UserRec {
                ocid: ids::ocid("user"),
                name,
                profile,
                key_file,
                public_key_file,
                fingerprint: keys::fingerprint(&key.spki_der),
                public_key_der: base64::engine::general_purpose::STANDARD.encode(&key.spki_der),
                scim_id: ids::hex_lower(32),
            });
        }
        for user in &mut data.users {
            if user.scim_id.is_empty() {
                user.scim_id = ids::hex_lower(32);
            }
        }
        for token in &mut data.tokens {
            if token.scim_id.is_empty() {
                token.scim_id = ids::hex_lower(32);
            }
        }
        let now = Utc::now()
            .duration_trunc(Duration::milliseconds(1))
            .unwrap_or_else(|_| Utc::now());
        while data.domains.len() < domains.max(1) {
            let index = data.domains.len();
            data.domains.push(DomainRec {
                ocid: ids::ocid("domain"),
                display_name: if index == 0 {
                    "Default".into()
                } else {
                    format!("Domain{}", index + 1)
                },
                time_created: now,
                users: Vec::new(),
            });
        }
        for (index, domain) in data.domains.iter_mut().enumerate().skip(1) {
            while domain.users.len() < users.max(1) {
                let n = domain.users.len();
                domain.users.push(DomainUserRec {
                    id: ids::hex_lower(32),
                    ocid: ids::ocid("user"),
                    user_name: format!("domain{}.user{n}", index + 1),
                });
            }
        }
        // A fresh snapshot with everything, then an empty journal.
        let snapshot_len = persist(&dir, &data).map_err(MockError::State)?;
        let journal = Journal::create(&dir).map_err(MockError::State)?;
        let mut store = Store {
            dir,
            data,
            journal,
            snapshot_len,
            key_ids: HashMap::new(),
        };
        store.rebuild_key_ids()?;
        store.write_config()?;
        Ok(store)
    }

    fn rebuild_key_ids(&mut self) -> Result<(), MockError> {
        self.key_ids.clear();
        for user in &self.data.users {
            let der = base64::engine::general_purpose::STANDARD
                .decode(&user.public_key_der)
                .map_err(|e| MockError::State(format!("bad public key for {}: {e}", user.ocid)))?;
            let key_id = format!(
                "{}/{}/{}",
                self.data.tenancy_ocid, user.ocid, user.fingerprint
            );
            self.key_ids.insert(key_id, der);
        }
        Ok(())
    }

    fn write_config(&self) -> Result<(), MockError> {
        let mut text = String::new();
        for user in &self.data.users {
            text.push_str(&format!(
                "[{}]\nuser={}\nfingerprint={}\nkey_file={}\ntenancy={}\nregion=us-ashburn-1\n\n",
                user.profile,
                user.ocid,
                user.fingerprint,
                user.key_file.display(),
                self.data.tenancy_ocid
            ));
        }
        let path = self.config_file();
        write_atomic(&path, text.as_bytes(), 0o600).map_err(|e| io_err(&path, e))
    }

    /// Journals `changes` and only then makes them current; compacts the journal into a new
    /// snapshot once it has outgrown the last one.
    fn commit(&mut self, changes: Vec<Change>) -> Result<(), StoreError> {
        self.journal.append(&changes).map_err(StoreError::Persist)?;
        for change in changes {
            change.apply(&mut self.data);
        }
        if self.journal.wants_compaction(self.snapshot_len) {
            // The changes are safe in the journal: a failed compaction is retried later.
            match persist(&self.dir, &self.data).and_then(|len| {
                self.journal.clear()?;
                Ok(len)
            }) {
                Ok(len) => self.snapshot_len = len,
                Err(why) => {
                    // Not again at every write: once the journal has doubled.
                    self.snapshot_len = self.journal.len();
                    tracing::warn!(%why, "could not compact the state journal");
                }
            }
        }
        Ok(())
    }

    pub(crate) fn config_file(&self) -> PathBuf {
        self.dir.join("config")
    }

    pub(crate) fn tenancy_ocid(&self) -> &str {
        &self.data.tenancy_ocid
    }

    pub(crate) fn user_ocids(&self) -> Vec<String> {
        self.data.users.iter().map(|u| u.ocid.clone()).collect()
    }

    /// The SubjectPublicKeyInfo DER registered for a keyId, if any.
    pub(crate) fn public_key_for(&self, key_id: &str) -> Option<&[u8]> {
        self.key_ids.get(key_id).map(|v| v.as_slice())
    }

    pub(crate) fn live_tokens(&self) -> usize {
        self.data.tokens.len()
    }

    /// An IAM user (the classic API's users; the Default domain's).
    pub(crate) fn check_user(&self, user_id: &str) -> Result<(), StoreError> {
        if self.data.users.iter().any(|u| u.ocid == user_id) {
            Ok(())
        } else {
            Err(StoreError::UserNotFound)
        }
    }

    /// Looks up a remembered create for this retry token (expired records are ignored).
    pub(crate) fn retry_record(&self, retry_token: &str, now: DateTime<Utc>) -> Option<&RetryRec> {
        self.data.retry_tokens.iter().find(|r| {
            r.retry_token == retry_token && now - r.time < Duration::hours(RETRY_TOKEN_TTL_HOURS)
        })
    }

    /// Creates a token with only a description (enforcing the per-user limit; 0 = unlimited).
    #[cfg(test)]
    pub(crate) fn create_token(
        &mut self,
        user_id: &str,
        description: &str,
        limit: usize,
        now: DateTime<Utc>,
        remember: Option<Remember<'_>>,
    ) -> Result<(TokenRec, String), StoreError> {
        let new = NewToken {
            user_id: user_id.to_string(),
            description: description.to_string(),
            ..NewToken::default()
        };
        self.create_token_with(new, limit, now, remember)
    }

    /// Creates a token (enforcing the per-user limit across both APIs; 0 = unlimited) for a
    /// user of any domain. `remember` builds the retry record from the new token and its
    /// secret, stored in the same atomic write.
    pub(crate) fn create_token_with(
        &mut self,
        new: NewToken,
        limit: usize,
        now: DateTime<Utc>,
        remember: Option<Remember<'_>>,
    ) -> Result<(TokenRec, String), StoreError> {
        if self.domain_of_user(&new.user_id).is_none() {
            return Err(StoreError::UserNotFound);
        }
        let time_created = now.duration_trunc(Duration::milliseconds(1)).unwrap_or(now);
        let held = self
            .data
            .tokens
            .iter()
            .filter(|t| t.user_id == new.user_id)
            .count();
        if limit > 0 && held >= limit {
            return Err(StoreError::LimitExceeded(limit));
        }
        let secret = ids::token_secret();
        let token = TokenRec {
            id: ids::ocid("credential"),
            user_id: new.user_id,
            description: new.description,
            time_created,
            etag: ids::hex_lower(32),
            lifecycle_state: new.status.unwrap_or_else(|| "ACTIVE".into()),
            scim_id: ids::hex_lower(32),
            expires_on: new.expires_on,
            tags: new.tags,
            last_modified_by: new.created_by.clone(),
            created_by: new.created_by,
            last_modified: None,
            secret_sha256: Some(crate::auth::sha256_hex(secret.as_bytes())),
            allow_self_change: new.allow_self_change,
        };
        let mut changes = vec![Change::PutToken {
            token: token.clone(),
        }];
        if let Some(remember) = remember {
            changes.push(Change::PutRetry {
                rec: remember(&token, &secret),
            });
        }
        self.commit(changes)?;
        Ok((token, secret))
    }

    /// Remembers a create for `opc-retry-token` replays (replacing an older record of the same
    /// token, dropping expired ones).
    pub(crate) fn remember_retry(&mut self, rec: RetryRec) -> Result<(), StoreError> {
        self.commit(vec![Change::PutRetry { rec }])
    }

    /// The administrator: the first user (the config file's DEFAULT profile), a member of the
    /// tenancy's Administrators group.
    pub(crate) fn admin_ocid(&self) -> &str {
        self.data.users.first().map_or("", |u| u.ocid.as_str())
    }

    /// Whether `caller` (a user OCID) may manage the tokens of `target`: its own, or anyone's
    /// for the administrator.
    pub(crate) fn may_manage(&self, caller: &str, target: &str) -> bool {
        caller == target || caller == self.admin_ocid()
    }

    /// The domains (index 0 = Default).
    pub(crate) fn domains(&self) -> &[DomainRec] {
        &self.data.domains
    }

    /// The users of domain `index` (for the Default domain, the IAM users).
    pub(crate) fn domain_users(&self, index: usize) -> Vec<DomainUserRec> {
        if index == 0 {
            self.data
                .users
                .iter()
                .map(|u| DomainUserRec {
                    id: u.scim_id.clone(),
                    ocid: u.ocid.clone(),
                    user_name: u.name.clone(),
                })
                .collect()
        } else {
            self.data
                .domains
                .get(index)
                .map(|d| d.users.clone())
                .unwrap_or_default()
        }
    }

    /// The domain a user (OCID) belongs to.
    pub(crate) fn domain_of_user(&self, user_ocid: &str) -> Option<usize> {
        if self.data.users.iter().any(|u| u.ocid == user_ocid) {
            return Some(0);
        }
        self.data
            .domains
            .iter()
            .position(|d| d.users.iter().any(|u| u.ocid == user_ocid))
            .filter(|&i| i > 0)
    }

    /// The tokens of domain `index`'s users, in creation order.
    pub(crate) fn domain_tokens(&self, index: usize) -> Vec<TokenRec> {
        self.data
            .tokens
            .iter()
            .filter(|t| self.domain_of_user(&t.user_id) == Some(index))
            .cloned()
            .collect()
    }

    /// A token of domain `index` by SCIM id or OCID.
    pub(crate) fn domain_token(&self, index: usize, id: &str) -> Option<TokenRec> {
        self.data
            .tokens
            .iter()
            .find(|t| {
                (t.scim_id == id || t.id == id) && self.domain_of_user(&t.user_id) == Some(index)
            })
            .cloned()
    }

    /// Replaces the token with `updated.id` (checking `if_match` against its current etag),
    /// with a new etag.
    pub(crate) fn replace_token(
        &mut self,
        mut updated: TokenRec,
        if_match: Option<&str>,
    ) -> Result<TokenRec, StoreError> {
        Self::check_token(&self.data, &updated.user_id, &updated.id, if_match)?;
        updated.etag = ids::hex_lower(32);
        self.commit(vec![Change::PutToken {
            token: updated.clone(),
        }])?;
        Ok(updated)
    }

    /// Deletes a token by OCID (checking `if_match`).
    pub(crate) fn remove_token(
        &mut self,
        token: &TokenRec,
        if_match: Option<&str>,
    ) -> Result<(), StoreError> {
        Self::check_token(&self.data, &token.user_id, &token.id, if_match)?;
        self.commit(vec![Change::RemoveToken {
            id: token.id.clone(),
        }])
    }

    /// Tokens of a user visible to List: those created at least `lag` ago.
    pub(crate) fn list_tokens(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
        lag: Duration,
    ) -> Result<Vec<TokenRec>, StoreError> {
        self.check_user(user_id)?;
        Ok(self
            .data
            .tokens
            .iter()
            .filter(|t| t.user_id == user_id && now - t.time_created >= lag)
            .cloned()
            .collect())
    }

    fn check_token(
        data: &Persisted,
        user_id: &str,
        token_id: &str,
        if_match: Option<&str>,
    ) -> Result<usize, StoreError> {
        let idx = data
            .tokens
            .iter()
            .position(|t| t.user_id == user_id && t.id == token_id)
            .ok_or(StoreError::TokenNotFound)?;
        if let Some(expected) = if_match {
            let expected = expected.trim().trim_matches('"');
            if expected != "*" && expected != data.tokens[idx].etag {
                return Err(StoreError::EtagMismatch);
            }
        }
        Ok(idx)
    }

    /// The user a registry login names: a user OCID, or `<tenancy>/<user name>` with the
    /// tenancy OCID or `tenancy_name` (user names are the key-file stems: `default`, `user1`…).
    pub(crate) fn login_user(&self, username: &str, tenancy_name: &str) -> Option<&str> {
        let user = match username.split_once('/') {
            None => self.data.users.iter().find(|u| u.ocid == username)?,
            Some((tenancy, name))
                if tenancy == tenancy_name || tenancy == self.data.tenancy_ocid =>
            {
                self.data.users.iter().find(|u| u.name == name)?
            }
            Some(_) => return None,
        };
        Some(&user.ocid)
    }

    /// The token of `user_id` whose secret is `secret`.
    pub(crate) fn token_by_secret(&self, user_id: &str, secret: &str) -> Option<&TokenRec> {
        let hash = crate::auth::sha256_hex(secret.as_bytes());
        self.data
            .tokens
            .iter()
            .find(|t| t.user_id == user_id && t.secret_sha256.as_deref() == Some(hash.as_str()))
    }

    pub(crate) fn update_token(
        &mut self,
        user_id: &str,
        token_id: &str,
        description: Option<&str>,
        if_match: Option<&str>,
        by: Option<&str>,
    ) -> Result<TokenRec, StoreError> {
        self.check_user(user_id)?;
        let idx = Self::check_token(&self.data, user_id, token_id, if_match)?;
        let mut token = self.data.tokens[idx].clone();
        if let Some(d) = description {
            token.description = d.to_string();
        }
        token.etag = ids::hex_lower(32);
        token.last_modified = Some(Utc::now());
        if let Some(by) = by {
            token.last_modified_by = Some(by.to_string());
        }
        self.commit(vec![Change::PutToken {
            token: token.clone(),
        }])?;
        Ok(token)
    }

    pub(crate) fn delete_token(
        &mut self,
        user_id: &str,
        token_id: &str,
        if_match: Option<&str>,
    ) -> Result<(), StoreError> {
        self.check_user(user_id)?;
        Self::check_token(&self.data, user_id, token_id, if_match)?;
        self.commit(vec![Change::RemoveToken {
            id: token_id.to_string(),
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_creates_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let (tenancy, users) = {
            let s = Store::open(dir.path(), 2, 1).unwrap();
            (s.tenancy_ocid().to_string(), s.user_ocids())
        };
        assert_eq!(users.len(), 2);
        let cfg = std::fs::read_to_string(dir.path().join("config")).unwrap();
        assert!(cfg.contains("[DEFAULT]\nuser=") && cfg.contains("[USER1]\n"));
        let mode = std::fs::metadata(dir.path().join("keys/default.pem")).unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(mode.permissions().mode() & 0o777, 0o600);

        let mut s = Store::open(dir.path(), 3, 1).unwrap();
        assert_eq!(s.tenancy_ocid(), tenancy);
        assert_eq!(&s.user_ocids()[..2], &users[..]);
        assert_eq!(s.user_ocids().len(), 3);

        let now = Utc::now();
        let (t, secret) = s.create_token(&users[0], "a", 2, now, None).unwrap();
        assert_eq!(secret.len(), 20);
        s.create_token(&users[0], "b", 2, now, None).unwrap();
        assert!(matches!(
            s.create_token(&users[0], "c", 2, now, None),
            Err(StoreError::LimitExceeded(2))
        ));
        assert!(matches!(
            s.create_token("ocid1.user.oc1..nope", "c", 2, now, None),
            Err(StoreError::UserNotFound)
        ));
        assert!(matches!(
            s.update_token(&users[0], &t.id, Some("x"), Some("wrong"), None),
            Err(StoreError::EtagMismatch)
        ));
        let u = s
            .update_token(&users[0], &t.id, Some("x"), Some(&t.etag), None)
            .unwrap();
        assert_ne!(u.etag, t.etag);
        assert_eq!(u.description, "x");
        drop(s);

        let mut s = Store::open(dir.path(), 1, 1).unwrap();
        assert_eq!(s.user_ocids().len(), 3);
        assert_eq!(s.live_tokens(), 2);
        let listed = s
            .list_tokens(&users[0], Utc::now(), Duration::zero())
            .unwrap();
        assert_eq!(
            listed.iter().find(|x| x.id == t.id).unwrap().description,
            "x"
        );
        s.delete_token(&users[0], &t.id, None).unwrap();
        assert!(matches!(
            s.delete_token(&users[0], &t.id, None),
            Err(StoreError::TokenNotFound)
        ));
        assert_eq!(s.live_tokens(), 1);
    }
}
