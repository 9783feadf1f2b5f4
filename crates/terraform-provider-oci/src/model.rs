//! Typed state of auth tokens, shared by the resource, the data source and the list resource.

use std::time::Duration;

use oci_client::identity::AuthToken;
use tfplugin::cty_object;
use tfplugin::model::Attr;

use super::common::{parse_duration, DEFAULT_TIMEOUT};

cty_object! {
    /// The `timeouts` block.
    pub struct Timeouts {
        pub create: Attr<String>,
        pub update: Attr<String>,
        pub delete: Attr<String>,
    }
}

cty_object! {
    /// State of an `oci_identity_auth_token`.
    pub struct AuthTokenModel {
        pub id: Attr<String>,
        pub user_id: Attr<String>,
        pub description: Attr<String>,
        pub token: Attr<String>,
        pub state: Attr<String>,
        pub inactive_state: Attr<String>,
        pub time_created: Attr<String>,
        pub time_expires: Attr<String>,
        pub timeouts: Attr<Timeouts>,
    }
}

cty_object! {
    /// One item of the data source's `tokens` list.
    pub struct TokenItem {
        pub id: Attr<String>,
        pub user_id: Attr<String>,
        pub description: Attr<String>,
        pub token: Attr<String>,
        pub state: Attr<String>,
        pub inactive_state: Attr<String>,
        pub time_created: Attr<String>,
        pub time_expires: Attr<String>,
    }
}

impl AuthTokenModel {
    /// A token as the API describes it. The secret is there only in a create response.
    pub fn from_api(t: &AuthToken) -> Self {
        AuthTokenModel {
            id: Attr::Known(t.id.clone()),
            user_id: Attr::Known(t.user_id.clone()),
            description: Attr::Known(t.description.clone().unwrap_or_default()),
            token: Attr::from_option(t.token.clone().filter(|s| !s.is_empty())),
            state: Attr::Known(t.lifecycle_state.clone()),
            inactive_state: Attr::from_option(t.inactive_status.map(|s| s.to_string())),
            time_created: Attr::from_option(t.time_created.clone()),
            time_expires: Attr::from_option(t.time_expires.clone()),
            timeouts: Attr::Null,
        }
    }

    /// Fills what the plan left unknown from what apply decided; known planned values stay.
    pub fn resolve(&mut self, decided: &AuthTokenModel) {
        self.id.resolve(decided.id.clone());
        self.user_id.resolve(decided.user_id.clone());
        self.description.resolve(decided.description.clone());
        self.token.resolve(decided.token.clone());
        self.state.resolve(decided.state.clone());
        self.inactive_state.resolve(decided.inactive_state.clone());
        self.time_created.resolve(decided.time_created.clone());
        self.time_expires.resolve(decided.time_expires.clone());
        for a in [
            &mut self.id,
            &mut self.user_id,
            &mut self.description,
            &mut self.token,
            &mut self.state,
            &mut self.inactive_state,
            &mut self.time_created,
            &mut self.time_expires,
        ] {
            a.unknown_to_null();
        }
    }

    /// Refreshes from a listed token: drift in the description and the lifecycle fields
    /// shows; the secret (never listed), the user's form of `user_id` and the timeouts stay.
    pub fn refresh(&mut self, t: &AuthToken) {
        let api = AuthTokenModel::from_api(t);
        self.id = api.id;
        if t.description.is_some() {
            self.description = api.description;
        }
        self.state = api.state;
        self.inactive_state = api.inactive_state;
        self.time_created = api.time_created;
        self.time_expires = api.time_expires;
    }

    /// The configured timeout of an operation (`create`, `update`, `delete`), or 20 minutes.
    pub fn timeout(&self, op: &str) -> Duration {
        let Some(t) = self.timeouts.known() else {
            return DEFAULT_TIMEOUT;
        };
        let value = match op {
            "create" => &t.create,
            "update" => &t.update,
            _ => &t.delete,
        };
        value
            .as_str()
            .and_then(|s| parse_duration(s).ok())
            .unwrap_or(DEFAULT_TIMEOUT)
    }

    pub fn user(&self) -> &str {
        self.user_id.as_str().unwrap_or_default()
    }

    pub fn token_id(&self) -> &str {
        self.id.as_str().unwrap_or_default()
    }
}

impl From<&AuthToken> for TokenItem {
    /// A listed token (lists never carry the secret).
    fn from(t: &AuthToken) -> Self {
        let m = AuthTokenModel::from_api(t);
        TokenItem {
            id: m.id,
            user_id: m.user_id,
            description: m.description,
            token: Attr::Null,
            state: m.state,
            inactive_state: m.inactive_state,
            time_created: m.time_created,
            time_expires: m.time_expires,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::model::CtyObject;

    fn token() -> AuthToken {
        serde_json::from_value(serde_json::json!({
            "id": "ocid1.credential.oc1..t", "userId": "ocid1.user.oc1..u", "description": "d",
            "timeCreated": "2026-01-01T00:00:00.000Z", "lifecycleState": "ACTIVE", "token": "s3cret"
        }))
        .unwrap()
    }

    #[test]
    fn resolve_fills_only_unknowns_and_leaves_nothing_unknown() {
        let mut planned = AuthTokenModel {
            user_id: Attr::Known("ocid1.user.oc1..U-as-typed".into()),
            description: Attr::Known("d".into()),
            id: Attr::Unknown,
            token: Attr::Unknown,
            state: Attr::Unknown,
            inactive_state: Attr::Unknown,
            time_created: Attr::Unknown,
            time_expires: Attr::Unknown,
            timeouts: Attr::Null,
        };
        planned.resolve(&AuthTokenModel::from_api(&token()));
        assert_eq!(planned.user_id.as_str(), Some("ocid1.user.oc1..U-as-typed"));
        assert_eq!(planned.token.as_str(), Some("s3cret"));
        assert!(planned.inactive_state.is_null());
        assert!(planned.to_value().is_wholly_known());
    }

    #[test]
    fn refresh_keeps_the_secret_and_reports_description_drift() {
        let mut state = AuthTokenModel::from_api(&token());
        let mut listed = token();
        listed.token = None;
        listed.description = Some("changed".into());
        state.refresh(&listed);
        assert_eq!(state.token.as_str(), Some("s3cret"));
        assert_eq!(state.description.as_str(), Some("changed"));
        listed.description = None;
        state.refresh(&listed);
        assert_eq!(
            state.description.as_str(),
            Some("changed"),
            "a missing description is not drift"
        );
    }

    #[test]
    fn timeouts_default_to_20_minutes() {
        let mut m = AuthTokenModel::default();
        assert_eq!(m.timeout("create"), DEFAULT_TIMEOUT);
        m.timeouts = Attr::Known(Timeouts {
            create: Attr::Known("90s".into()),
            ..Default::default()
        });
        assert_eq!(m.timeout("create"), Duration::from_secs(90));
        assert_eq!(m.timeout("delete"), DEFAULT_TIMEOUT);
    }
}
