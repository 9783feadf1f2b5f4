//! One `ListAuthTokens` call per user per provider process: concurrent reads of the same user
//! share the call in flight, later reads reuse its result, and any write to a user's tokens
//! drops that user's entry. Terraform starts a fresh provider process for each command, so
//! a cached list never outlives the refresh it serves.
//!
//! Waits (for a new token to be listed) need lists newer than their write: [`ListCache::poll`]
//! shares one call among the concurrent waits of a user whose call started after they began.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::OnceCell;

use oci_client::error::OciError;
use oci_client::identity::{AuthToken, IdentityClient};

type Shared = Arc<OnceCell<Result<Vec<AuthToken>, OciError>>>;

#[derive(Default)]
pub struct ListCache {
    entries: Mutex<HashMap<String, Arc<OnceCell<Vec<AuthToken>>>>>,
    /// Per user: the latest poll, with the instant it was started.
    polls: Mutex<HashMap<String, (Instant, Shared)>>,
}

impl ListCache {
    /// The user's tokens, from the cache or from one shared API call.
    pub async fn list(
        &self,
        client: &IdentityClient,
        user_id: &str,
    ) -> Result<Vec<AuthToken>, OciError> {
        let cell = {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            entries.entry(user_id.to_string()).or_default().clone()
        };
        match cell
            .get_or_try_init(|| client.list_auth_tokens(user_id))
            .await
        {
            Ok(tokens) => Ok(tokens.clone()),
            Err(e) => {
                // Errors are not cached: the next read tries again.
                let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
                if entries.get(user_id).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                    entries.remove(user_id);
                }
                Err(e)
            }
        }
    }

    /// A list of the user's tokens from a call started at or after `not_before`: joins such a
    /// call if one is in flight or just finished, else starts one. Concurrent waits of one user
    /// thus share each poll.
    pub async fn poll(
        &self,
        client: &IdentityClient,
        user_id: &str,
        not_before: Instant,
    ) -> Result<Vec<AuthToken>, OciError> {
        self.poll_with(user_id, not_before, || client.list_auth_tokens(user_id))
            .await
    }

    async fn poll_with<F, Fut>(
        &self,
        user_id: &str,
        not_before: Instant,
        call: F,
    ) -> Result<Vec<AuthToken>, OciError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Vec<AuthToken>, OciError>>,
    {
        let cell = {
            let mut polls = self.polls.lock().unwrap_or_else(|e| e.into_inner());
            match polls.get(user_id) {
                Some((started, cell)) if *started >= not_before => cell.clone(),
                _ => {
                    let cell = Shared::default();
                    polls.insert(user_id.to_string(), (Instant::now(), cell.clone()));
                    cell
                }
            }
        };
        cell.get_or_init(call).await.clone()
    }

    /// Forgets the cached list of a user whose tokens changed.
    pub fn invalidate(&self, user_id: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(user_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn concurrent_polls_of_a_user_share_one_call_and_later_waits_get_a_fresh_one() {
        let cache = Arc::new(ListCache::default());
        let calls = Arc::new(AtomicU32::new(0));
        let start = Instant::now();
        let poll = |user: &'static str, since: Instant| {
            let (cache, calls) = (cache.clone(), calls.clone());
            async move {
                cache
                    .poll_with(user, since, || async {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok(Vec::new())
                    })
                    .await
            }
        };
        let (a, b, c) = tokio::join!(poll("u1", start), poll("u1", start), poll("u2", start));
        assert!(a.is_ok() && b.is_ok() && c.is_ok());
        assert_eq!(calls.load(Ordering::SeqCst), 2, "one call per user");
        // A wait that began after that call started needs a new one.
        poll("u1", Instant::now()).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }
}
