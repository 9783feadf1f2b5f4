//! Typed state of auth tokens, shared by the resource, the data source and the list resource.

use std::time::Duration;

use oci_client::identity::AuthToken;
use tfplugin::cty::{Type, Value};
use tfplugin::cty_object;
use tfplugin::model::{Attr, CtyObject, CtyType};

use super::common::{description_validator, ocid_validator, parse_duration, DEFAULT_TIMEOUT};

cty_object! {
    /// The `timeouts` block.
    pub struct Timeouts {
        pub create: Attr<String>,
        pub update: Attr<String>,
        pub delete: Attr<String>,
    }
}

cty_object! {
    /// State of an `oci_identity_auth_token`, and the one definition of its attributes: the
    /// resource schema, the data source's token items and the list results derive from it.
    pub struct AuthTokenModel {
        pub id: Attr<String> = |a| a
            .computed()
            .use_state_for_unknown()
            .description("OCID of the auth token."),
        pub user_id: Attr<String> = |a| a
            .required()
            .requires_replace()
            .validator(ocid_validator("user"))
            .description("OCID of the user. Changing it replaces the token."),
        pub description: Attr<String> = |a| a
            .required()
            .validator(description_validator())
            .description("What the token is for. May be empty; changes are applied in place."),
        pub token: Attr<String> = |a| a
            .computed()
            .sensitive()
            .use_state_for_unknown()
            .description("The token itself. The API returns it only at create, so it is kept from state afterwards; it is null for imported tokens."),
        pub state: Attr<String> = |a| a
            .computed()
            .use_state_for_unknown()
            .description("Lifecycle state: `CREATING`, `ACTIVE`, `INACTIVE`, `DELETING` or `DELETED`."),
        pub inactive_state: Attr<String> = |a| a
            .computed()
            .use_state_for_unknown()
            .description("Detailed status of an `INACTIVE` token, as a decimal string."),
        pub time_created: Attr<String> = |a| a
            .computed()
            .use_state_for_unknown()
            .description("When the token was created (RFC 3339)."),
        pub time_expires: Attr<String> = |a| a
            .computed()
            .use_state_for_unknown()
            .description("When the token expires (RFC 3339); null when it never expires."),
        /// The `timeouts` block (a nested block, not an attribute: see `schema()`).
        pub timeouts: Attr<Timeouts>,
    }
}

/// The fields of a data source token item: the resource's attributes (not its `timeouts`
/// block).
pub fn item_fields() -> impl Iterator<Item = &'static str> {
    AuthTokenModel::SCHEMA_FIELDS.iter().copied()
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

/// The cty type of one item of the data source's `tokens` list.
pub fn item_type() -> Type {
    let model = AuthTokenModel::cty_type();
    Type::object(item_fields().map(|f| (f, model.attribute(f).cloned().unwrap_or(Type::Dynamic))))
}

/// A listed token as a data source item (lists never carry the secret).
pub fn token_item(t: &AuthToken) -> Value {
    let mut m = AuthTokenModel::from_api(t);
    m.token = Attr::Null;
    let all = m.to_value();
    Value::object(item_fields().map(|f| (f, all.get(f).clone())))
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

    /// Each model's default (all null) value encodes against its schema's type, and the
    /// model's own type is the schema's: a field the schema lacks, or the other way round,
    /// fails here.
    #[test]
    fn models_encode_against_their_schemas() {
        use tfplugin::cty::msgpack;
        let resource = crate::auth_token::schema();
        msgpack::encode(&AuthTokenModel::default().to_value(), &resource.ty()).unwrap();
        assert_eq!(AuthTokenModel::cty_type(), resource.ty());

        let timeouts = crate::common::timeouts_block();
        msgpack::encode(&Timeouts::default().to_value(), &timeouts.block.ty()).unwrap();
        assert_eq!(Timeouts::cty_type(), timeouts.block.ty());

        let item = token_item(&token());
        msgpack::encode(&item, &item_type()).unwrap();
        assert!(item.get("token").is_null(), "items never carry the secret");
    }

    #[test]
    fn data_source_items_have_the_resource_attributes() {
        let names: Vec<&str> = item_fields().collect();
        assert_eq!(
            names,
            [
                "id",
                "user_id",
                "description",
                "token",
                "state",
                "inactive_state",
                "time_created",
                "time_expires"
            ]
        );
        assert_eq!(
            item_type(),
            Type::object(names.iter().map(|n| (*n, Type::String)))
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
