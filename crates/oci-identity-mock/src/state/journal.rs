//! How the store persists: a snapshot (`state.json`) plus an append-only journal
//! (`journal.jsonl`, one [`Change`] per line) written before a change is made current.
//!
//! Rewriting the whole snapshot after every mutation cost about 14 ms under the store's lock
//! at 1,000 users and 2,000 tokens (a 3.4 MB document), which capped the mock near 70 writes a
//! second and made large benchmarks measure the mock. A journal line is a few hundred bytes.
//! The snapshot is rewritten (and the journal emptied) only when the journal has grown past
//! the snapshot's size, and at start-up. Every change is idempotent, so a journal replayed
//! over a snapshot that already holds it (a mock killed between the two steps of a
//! compaction) gives the same data. Nothing is fsynced: a killed mock loses nothing (the page
//! cache survives it); a machine crash may lose the changes since the last snapshot, or more.

use std::io::{BufRead as _, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::{Persisted, RetryRec, TokenRec, RETRY_TOKEN_TTL_HOURS};

/// The journal's file name in the data directory.
const FILE: &str = "journal.jsonl";

/// The journal is compacted once it is larger than the snapshot, and never below this size.
const MIN_COMPACT_BYTES: u64 = 1 << 20;

/// One change to the persisted data.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum Change {
    /// Replaces the token with this id, or appends it (creation order is list order).
    PutToken { token: TokenRec },
    /// Removes the token with this id, if present.
    RemoveToken { id: String },
    /// Remembers a create for replays: replaces any record of the same retry token and drops
    /// those older than the TTL at the record's time.
    PutRetry { rec: RetryRec },
}

impl Change {
    pub(crate) fn apply(self, data: &mut Persisted) {
        match self {
            Change::PutToken { token } => match data.tokens.iter_mut().find(|t| t.id == token.id) {
                Some(slot) => *slot = token,
                None => data.tokens.push(token),
            },
            Change::RemoveToken { id } => data.tokens.retain(|t| t.id != id),
            Change::PutRetry { rec } => {
                data.retry_tokens.retain(|r| {
                    r.retry_token != rec.retry_token
                        && rec.time - r.time < Duration::hours(RETRY_TOKEN_TTL_HOURS)
                });
                data.retry_tokens.push(rec);
            }
        }
    }
}

/// The open journal file.
pub(crate) struct Journal {
    path: PathBuf,
    file: std::fs::File,
    /// Bytes in the journal since the last compaction.
    len: u64,
}

impl Journal {
    /// Applies the journal in `dir` (if any) to `data`. A last line without its newline (a
    /// write cut short) is ignored; any other bad line is an error.
    pub(crate) fn replay(dir: &Path, data: &mut Persisted) -> Result<(), String> {
        let path = dir.join(FILE);
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let mut reader = std::io::BufReader::new(file);
        let mut line = Vec::new();
        for number in 1.. {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            if n == 0 || line.last() != Some(&b'\n') {
                break;
            }
            let change: Change = serde_json::from_slice(&line)
                .map_err(|e| format!("{} line {number}: {e}", path.display()))?;
            change.apply(data);
        }
        Ok(())
    }

    /// Opens an empty journal in `dir` (call after writing a snapshot that holds everything).
    pub(crate) fn create(dir: &Path) -> Result<Journal, String> {
        let path = dir.join(FILE);
        // Append mode, so that every write lands at the end even after `set_len`.
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        // It holds retry records with token secrets: owner-only, also if it already existed.
        {
            use std::os::unix::fs::PermissionsExt as _;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        let mut journal = Journal { path, file, len: 0 };
        journal.clear()?;
        Ok(journal)
    }

    /// Appends `changes` in one write. On failure the journal is cut back to where it was, so
    /// a half-written line cannot swallow the next one.
    pub(crate) fn append(&mut self, changes: &[Change]) -> Result<(), String> {
        let mut buf = Vec::with_capacity(512 * changes.len());
        for change in changes {
            serde_json::to_writer(&mut buf, change).map_err(|e| e.to_string())?;
            buf.push(b'\n');
        }
        if let Err(e) = self.file.write_all(&buf) {
            let _ = self.file.set_len(self.len);
            return Err(format!("{}: {e}", self.path.display()));
        }
        self.len += buf.len() as u64;
        Ok(())
    }

    /// Bytes written since the last compaction.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Whether the journal has outgrown a snapshot of `snapshot_len` bytes.
    pub(crate) fn wants_compaction(&self, snapshot_len: u64) -> bool {
        self.len > snapshot_len.max(MIN_COMPACT_BYTES)
    }

    /// Empties the journal (call after writing a snapshot that holds everything).
    pub(crate) fn clear(&mut self) -> Result<(), String> {
        self.file
            .set_len(0)
            .map_err(|e| format!("{}: {e}", self.path.display()))?;
        self.len = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Store, StoreError};
    use chrono::{Duration, Utc};

    fn descriptions(s: &Store, user: &str) -> Vec<String> {
        s.list_tokens(user, Utc::now(), Duration::zero())
            .unwrap()
            .into_iter()
            .map(|t| t.description)
            .collect()
    }

    #[test]
    fn changes_survive_a_killed_mock_and_the_journal_is_compacted() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("journal.jsonl");
        let mut s = Store::open(dir.path(), 1, 1).unwrap();
        let user = s.user_ocids()[0].clone();
        let (a, _) = s.create_token(&user, "a", 0, Utc::now(), None).unwrap();
        let (b, _) = s.create_token(&user, "b", 0, Utc::now(), None).unwrap();
        s.create_token(&user, "c", 0, Utc::now(), None).unwrap();
        s.update_token(&user, &a.id, Some("a2"), None, None)
            .unwrap();
        s.delete_token(&user, &b.id, None).unwrap();
        // A failed check journals nothing.
        assert!(matches!(
            s.delete_token(&user, &b.id, None),
            Err(StoreError::TokenNotFound)
        ));
        assert_eq!(
            std::fs::read_to_string(&journal).unwrap().lines().count(),
            5
        );
        // Not dropped cleanly: the process image is simply gone, the files are what is left.
        std::mem::forget(s);

        let mut s = Store::open(dir.path(), 1, 1).unwrap();
        assert_eq!(descriptions(&s, &user), ["a2", "c"]);
        assert_eq!(
            std::fs::metadata(&journal).unwrap().len(),
            0,
            "compacted at start"
        );

        // Thousands of writes: the journal never grows far past the snapshot.
        let snapshot = std::fs::metadata(dir.path().join("state.json"))
            .unwrap()
            .len();
        for i in 0..3000 {
            s.update_token(&user, &a.id, Some(&format!("a{i}")), None, None)
                .unwrap();
            let len = std::fs::metadata(&journal).unwrap().len();
            assert!(
                len <= snapshot.max(super::MIN_COMPACT_BYTES) + 4096,
                "{len}"
            );
        }
        drop(s);
        let s = Store::open(dir.path(), 1, 1).unwrap();
        assert_eq!(descriptions(&s, &user), ["a2999", "c"]);
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_a_bad_line_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("journal.jsonl");
        let user = {
            let mut s = Store::open(dir.path(), 1, 1).unwrap();
            let user = s.user_ocids()[0].clone();
            s.create_token(&user, "kept", 0, Utc::now(), None).unwrap();
            user
        };
        let mut text = std::fs::read(&journal).unwrap();
        let whole = text.clone();
        text.extend_from_slice(&whole[..whole.len() / 2]);
        std::fs::write(&journal, &text).unwrap();
        let s = Store::open(dir.path(), 1, 1).unwrap();
        assert_eq!(descriptions(&s, &user), ["kept"]);
        drop(s);

        // Replaying what the snapshot already has changes nothing (a compaction cut short).
        std::fs::write(&journal, &whole).unwrap();
        let s = Store::open(dir.path(), 1, 1).unwrap();
        assert_eq!(descriptions(&s, &user), ["kept"]);
        drop(s);

        std::fs::write(&journal, b"{\"op\":\"nonsense\"}\n").unwrap();
        let err = Store::open(dir.path(), 1, 1)
            .err()
            .expect("a bad journal is refused");
        assert!(err.to_string().contains("journal.jsonl line 1"), "{err}");
    }
}
