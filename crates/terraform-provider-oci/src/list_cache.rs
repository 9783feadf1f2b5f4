//! One `ListAuthTokens` call per user per provider process: concurrent reads of the same user
//! share the call in flight, later reads reuse its result, and any write to a user's tokens
//! drops that user's entry. Terraform starts a fresh provider process for each command, so
//! a cached list never outlives the refresh it serves.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use oci_client::error::OciError;
use oci_client::identity::{AuthToken, IdentityClient};

#[derive(Default)]
pub struct ListCache {
    entries: Mutex<HashMap<String, Arc<OnceCell<Vec<AuthToken>>>>>,
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

    /// Forgets the cached list of a user whose tokens changed.
    pub fn invalidate(&self, user_id: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(user_id);
    }
}
