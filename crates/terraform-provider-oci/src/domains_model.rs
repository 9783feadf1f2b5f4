//! Typed state of Identity Domains (SCIM) auth tokens: the one definition of their shape,
//! shared by the resources (`oci_identity_domains_auth_token`,
//! `oci_identity_domains_my_auth_token`), the data sources and the list resource.
//!
//! The attribute names and types are the official provider's. Arguments that the official
//! provider declares as nested blocks (`tags`, `user`, the self-change extension) are blocks
//! here too; read-only nested values (`meta`, `idcs_created_by`, `idcs_last_modified_by`)
//! are attributes of type list(object), as the official provider's SDK exposes them.

use oci_client::identity_domains::{
    ScimAuthToken, ScimMeta, ScimPrincipalRef, ScimSelfChange, ScimTag, ScimUserRef,
};
use tfplugin::cty::{Type, Value};
use tfplugin::cty_object;
use tfplugin::model::{Attr, CtyField, CtyObject, CtyType, Resolve};
use tfplugin::plan::PlanModifier;
use tfplugin::schema::{Attribute, Block, NestedBlock, Nesting};

cty_object! {
    /// One `tags` block.
    pub struct TagModel {
        pub key: Attr<String> = |a| a.required().description("Tag key."),
        pub value: Attr<String> = |a| a.required().description("Tag value."),
    }
}

cty_object! {
    /// The `urnietfparamsscimschemasoracleidcsextensionself_change_user` block.
    pub struct SelfChangeModel {
        pub allow_self_change: Attr<bool> = |a| a
            .optional()
            .computed()
            .use_state_for_unknown()
            .description("Lets a user act on its own token through the admin endpoint. Sent with the create request; the API never returns it, so the configured value is kept."),
    }
}

cty_object! {
    /// An element of `meta`.
    pub struct MetaModel {
        pub created: Attr<String>,
        pub last_modified: Attr<String>,
        pub location: Attr<String>,
        pub resource_type: Attr<String>,
        pub version: Attr<String>,
    }
}

/// Declares a struct of string attributes whose names may be Rust keywords (`ref`, `type`),
/// which `cty_object!` cannot spell: `field => "name"`.
macro_rules! string_object {
    ($(#[$meta:meta])* pub struct $name:ident { $($field:ident => $attr:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default)]
        pub struct $name {
            $(pub $field: Attr<String>),*
        }

        impl CtyObject for $name {
            fn from_value(v: &Value) -> Result<Self, String> {
                Ok($name {
                    $($field: <Attr<String> as CtyField>::from_cty(v.get($attr))
                        .map_err(|e| format!("{}: {e}", $attr))?),*
                })
            }
            fn to_value(&self) -> Value {
                Value::object([$(($attr, self.$field.to_cty())),*])
            }
        }

        impl CtyField for $name {
            fn from_cty(v: &Value) -> Result<Self, String> {
                <$name as CtyObject>::from_value(v)
            }
            fn to_cty(&self) -> Value {
                <$name as CtyObject>::to_value(self)
            }
        }

        impl CtyType for $name {
            fn cty_type() -> Type {
                Type::object([$(($attr, Type::String)),*])
            }
        }

        impl Resolve for $name {
            fn resolve_from(&mut self, decided: &Self) {
                $(self.$field.resolve_from(&decided.$field);)*
            }
        }
    };
}

string_object! {
    /// The `user` block: the token's owner.
    pub struct UserModel {
        ocid => "ocid",
        value => "value",
        display => "display",
        name => "name",
        reference => "ref",
    }
}

impl UserModel {
    /// The block's attributes: `ocid` and `value` pick the user (changing them replaces the
    /// token), the rest are read-only.
    pub fn schema_attributes() -> Vec<Attribute> {
        let pick = |name: &str, what: &str| {
            Attribute::string(name)
                .optional()
                .computed()
                .use_state_for_unknown()
                .requires_replace()
                .description(format!(
                    "{what} of the user. Changing it replaces the token."
                ))
        };
        let read_only = |name: &str, what: &str| {
            Attribute::string(name)
                .computed()
                .use_state_for_unknown()
                .description(format!("{what} of the user."))
        };
        vec![
            pick("ocid", "OCID"),
            pick("value", "SCIM id"),
            read_only("display", "Display name"),
            read_only("name", "User name"),
            read_only("ref", "URI"),
        ]
    }
}

string_object! {
    /// An element of `idcs_created_by` / `idcs_last_modified_by`.
    pub struct PrincipalModel {
        display => "display",
        ocid => "ocid",
        reference => "ref",
        kind => "type",
        value => "value",
    }
}

/// The value of a list of nested blocks: null (an imported state, before its first read) or
/// the blocks. Unlike `Attr<Vec<T>>`, blocks whose computed attributes are still unknown
/// stay blocks (each attribute unknown on its own), so a plan's configured parts are kept.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Blocks<T> {
    #[default]
    Null,
    Known(Vec<T>),
}

impl<T> Blocks<T> {
    pub fn known(&self) -> Option<&Vec<T>> {
        match self {
            Blocks::Known(v) => Some(v),
            Blocks::Null => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Blocks::Null)
    }
}

impl<T: CtyField> CtyField for Blocks<T> {
    fn from_cty(v: &Value) -> Result<Self, String> {
        match v {
            // A wholly unknown list of blocks (e.g. from a `dynamic` block) is read as none.
            Value::Null | Value::Unknown => Ok(Blocks::Null),
            v => Vec::<T>::from_cty(v).map(Blocks::Known),
        }
    }
    fn to_cty(&self) -> Value {
        match self {
            Blocks::Null => Value::Null,
            Blocks::Known(v) => v.to_cty(),
        }
    }
}

impl<T: CtyType> CtyType for Blocks<T> {
    fn cty_type() -> Type {
        Type::list(T::cty_type())
    }
}

impl<T: Resolve + Default> Resolve for Blocks<T> {
    fn resolve_from(&mut self, decided: &Self) {
        if let Blocks::Known(v) = self {
            let none = Vec::new();
            v.resolve_from(decided.known().unwrap_or(&none));
        }
    }
}

/// The name of the self-change extension block (the official provider's spelling).
pub const SELF_CHANGE_BLOCK: &str = "urnietfparamsscimschemasoracleidcsextensionself_change_user";

cty_object! {
    /// State of an `oci_identity_domains_auth_token` (and, through [`MyAuthTokenModel`],
    /// the shape of `oci_identity_domains_my_auth_token`).
    pub struct DomainsAuthTokenModel {
        pub id: Attr<String> = |a| a
            .computed()
            .use_state_for_unknown()
            .description("SCIM id of the auth token."),
        pub idcs_endpoint: Attr<String> = |a| a
            .required()
            .requires_replace()
            .description("URL of the identity domain, e.g. `https://idcs-<hex>.identity.oraclecloud.com` (the domain's `url`). Changing it replaces the token."),
        pub schemas: Attr<Vec<String>> = |a| a
            .required()
            .requires_replace()
            .description("SCIM schemas of the resource: `[\"urn:ietf:params:scim:schemas:oracle:idcs:authToken\"]`."),
        pub attribute_sets: Attr<Vec<String>> = |a| a
            .optional()
            .description("Attribute sets to return when reading the token: `all`, `always`, `never`, `request`, `default`. Changes need no API call."),
        pub attributes: Attr<String> = |a| a
            .optional()
            .description("Comma-separated attributes to return when reading the token. Changes need no API call."),
        pub authorization: Attr<String> = |a| a
            .optional()
            .sensitive()
            .description("Accepted for compatibility with the official provider. Requests are signed with the provider's API key, whose signature replaces this header, so it has no effect."),
        pub resource_type_schema_version: Attr<String> = |a| a
            .optional()
            .description("Sent as the `resource_type_schema_version` header; the latest version when unset."),
        pub description: Attr<String> = |a| a
            .optional()
            .computed()
            .use_state_for_unknown()
            .description("What the token is for. Updated in place (SCIM PATCH)."),
        pub expires_on: Attr<String> = |a| a
            .optional()
            .computed()
            .use_state_for_unknown()
            .plan_modifier(PlanModifier::requires_replace_if(
                "Changing the expiry replaces the token; the same instant spelt differently (`…00Z`, `…00.000Z`) does not.",
                |req, planned| match (req.prior.and_then(Value::as_str), planned.as_str()) {
                    (Some(prior), Some(planned)) => !same_instant(prior, planned),
                    _ => true,
                },
            ))
            .description("When the token expires (RFC 3339, e.g. `2030-01-01T00:00:00Z`). Immutable: changing it replaces the token."),
        pub ocid: Attr<String> = |a| a
            .optional()
            .computed()
            .use_state_for_unknown()
            .requires_replace()
            .description("OCID of the auth token."),
        pub status: Attr<String> = |a| a
            .optional()
            .computed()
            .use_state_for_unknown()
            .description("`ACTIVE` or `INACTIVE`. Updated in place (SCIM PATCH). The API never returns it, so the configured value is kept in state (no `ignore_changes` needed)."),
        pub compartment_ocid: Attr<String> = |a| a
            .computed()
            .use_state_for_unknown()
            .description("OCID of the domain's compartment."),
        pub delete_in_progress: Attr<bool> = |a| a
            .computed()
            .use_state_for_unknown()
            .description("Whether the token is being deleted."),
        pub domain_ocid: Attr<String> = |a| a
            .computed()
            .use_state_for_unknown()
            .description("OCID of the identity domain."),
        pub tenancy_ocid: Attr<String> = |a| a
            .computed()
            .use_state_for_unknown()
            .description("OCID of the tenancy."),
        pub idcs_created_by: Attr<Vec<PrincipalModel>> = |a| a
            .computed()
            .use_state_for_unknown()
            .description("Who created the token: `value`, `display`, `ocid`, `type` (`User` or `App`), `ref`."),
        pub idcs_last_modified_by: Attr<Vec<PrincipalModel>> = |a| a
            .computed()
            .description("Who last changed the token (same fields as `idcs_created_by`)."),
        pub idcs_last_upgraded_in_release: Attr<String> = |a| a
            .computed()
            .use_state_for_unknown()
            .description("The release in which the token was last upgraded (returned only on request, e.g. with `attribute_sets = [\"all\"]`)."),
        pub idcs_prevented_operations: Attr<Vec<String>> = |a| a
            .computed()
            .use_state_for_unknown()
            .description("Operations not allowed on the token: `replace`, `update`, `delete` (returned only on request)."),
        pub meta: Attr<Vec<MetaModel>> = |a| a
            .computed()
            .description("SCIM metadata: `created`, `last_modified`, `location`, `resource_type`, `version`."),
        pub token: Attr<String> = |a| a
            .computed()
            .sensitive()
            .use_state_for_unknown()
            .description("The token itself. The API returns it only at create, so it is kept from state afterwards; it is null for imported tokens."),
        /// Block `tags`.
        pub tags: Blocks<TagModel>,
        /// Block `urnietfparamsscimschemasoracleidcsextensionself_change_user`.
        pub urnietfparamsscimschemasoracleidcsextensionself_change_user: Blocks<SelfChangeModel>,
        /// Block `user`.
        pub user: Blocks<UserModel>,
    }
}

cty_object! {
    /// State of an `oci_identity_domains_my_auth_token`: the admin token's attributes
    /// without `attribute_sets`, `attributes` and the self-change extension.
    pub struct MyAuthTokenModel {
        pub id: Attr<String>,
        pub idcs_endpoint: Attr<String>,
        pub schemas: Attr<Vec<String>>,
        pub authorization: Attr<String>,
        pub resource_type_schema_version: Attr<String>,
        pub description: Attr<String>,
        pub expires_on: Attr<String>,
        pub ocid: Attr<String>,
        pub status: Attr<String>,
        pub compartment_ocid: Attr<String>,
        pub delete_in_progress: Attr<bool>,
        pub domain_ocid: Attr<String>,
        pub tenancy_ocid: Attr<String>,
        pub idcs_created_by: Attr<Vec<PrincipalModel>>,
        pub idcs_last_modified_by: Attr<Vec<PrincipalModel>>,
        pub idcs_last_upgraded_in_release: Attr<String>,
        pub idcs_prevented_operations: Attr<Vec<String>>,
        pub meta: Attr<Vec<MetaModel>>,
        pub token: Attr<String>,
        pub tags: Blocks<TagModel>,
        pub user: Blocks<UserModel>,
    }
}

/// The attributes the my_ variant does not have.
const NOT_IN_MY: [&str; 3] = ["attribute_sets", "attributes", SELF_CHANGE_BLOCK];

/// The `tags` block.
pub fn tags_block() -> NestedBlock {
    NestedBlock::new(
        "tags",
        Nesting::List,
        Block::new()
            .description("A tag of the token (`key`, `value`). Updated in place (SCIM PATCH). Returned by the API only on request, so the configured tags are kept unless a read returns tags.")
            .with_attributes(TagModel::schema_attributes()),
    )
}

/// The `user` block (at most one).
pub fn user_block(description: &str) -> NestedBlock {
    let mut b = NestedBlock::new(
        "user",
        Nesting::List,
        Block::new()
            .description(description)
            .with_attributes(UserModel::schema_attributes()),
    );
    b.max_items = 1;
    b
}

/// The self-change extension block (at most one).
pub fn self_change_block() -> NestedBlock {
    let mut b = NestedBlock::new(
        SELF_CHANGE_BLOCK,
        Nesting::List,
        Block::new()
            .description("The `urn:ietf:params:scim:schemas:oracle:idcs:extension:selfChange:User` extension. Write-only: sent at create, never returned; its configured value is kept and a change needs no API call.")
            .with_attributes(SelfChangeModel::schema_attributes()),
    );
    b.max_items = 1;
    b
}

/// The attributes of `oci_identity_domains_auth_token` (resource), in order.
pub fn resource_attributes() -> Vec<Attribute> {
    DomainsAuthTokenModel::schema_attributes()
}

/// The attributes of `oci_identity_domains_my_auth_token`, in order.
pub fn my_resource_attributes() -> Vec<Attribute> {
    resource_attributes()
        .into_iter()
        .filter(|a| !NOT_IN_MY.contains(&a.name.as_str()))
        .collect()
}

/// The resource's block: its attributes and its three nested blocks.
pub fn resource_block(description: &str) -> Block {
    Block::new()
        .description(description)
        .with_attributes(resource_attributes())
        .block(tags_block())
        .block(self_change_block())
        .block(user_block("The user the token belongs to: `value` (SCIM id) and/or `ocid`. Changing it replaces the token."))
}

/// The my_ resource's block.
pub fn my_resource_block(description: &str) -> Block {
    Block::new()
        .description(description)
        .with_attributes(my_resource_attributes())
        .block(tags_block())
        .block(user_block("The user the token belongs to: for `MyAuthTokens` only the calling user. Usually left out."))
}

/// The same instant spelt two ways (`…00Z` and `…00.000Z`, upper or lower case): the API
/// may echo `expires_on` normalized.
pub fn same_instant(a: &str, b: &str) -> bool {
    fn norm(s: &str) -> String {
        let s = s.trim().to_ascii_uppercase();
        let s = s.replace("+00:00", "Z");
        match s.split_once('.') {
            Some((head, frac)) => {
                let digits: String = frac.chars().take_while(char::is_ascii_digit).collect();
                let rest = &frac[digits.len()..];
                let digits = digits.trim_end_matches('0');
                if digits.is_empty() {
                    format!("{head}{rest}")
                } else {
                    format!("{head}.{digits}{rest}")
                }
            }
            None => s,
        }
    }
    norm(a) == norm(b)
}

fn principal(p: &Option<ScimPrincipalRef>) -> Attr<Vec<PrincipalModel>> {
    Attr::Known(
        p.iter()
            .map(|p| PrincipalModel {
                display: Attr::from_option(p.display.clone()),
                ocid: Attr::from_option(p.ocid.clone()),
                reference: Attr::from_option(p.reference.clone()),
                kind: Attr::from_option(p.kind.clone()),
                value: Attr::from_option(p.value.clone()),
            })
            .collect(),
    )
}

fn meta(m: &Option<ScimMeta>) -> Attr<Vec<MetaModel>> {
    Attr::Known(
        m.iter()
            .map(|m| MetaModel {
                created: Attr::from_option(m.created.clone()),
                last_modified: Attr::from_option(m.last_modified.clone()),
                location: Attr::from_option(m.location.clone()),
                resource_type: Attr::from_option(m.resource_type.clone()),
                version: Attr::from_option(m.version.clone()),
            })
            .collect(),
    )
}

fn user(u: &ScimUserRef) -> UserModel {
    UserModel {
        ocid: Attr::from_option(u.ocid.clone()),
        value: Attr::from_option(u.value.clone()),
        display: Attr::from_option(u.display.clone()),
        name: Attr::from_option(u.name.clone()),
        reference: Attr::from_option(u.reference.clone()),
    }
}

fn tags(t: &[ScimTag]) -> Vec<TagModel> {
    t.iter()
        .map(|t| TagModel {
            key: Attr::Known(t.key.clone()),
            value: Attr::Known(t.value.clone()),
        })
        .collect()
}

fn known_strings(v: &Option<Vec<String>>) -> Attr<Vec<String>> {
    Attr::Known(v.clone().unwrap_or_default())
}

impl DomainsAuthTokenModel {
    /// A token as the API describes it, for the fields the API returns (arguments that are
    /// only configured — `idcs_endpoint`, the read options — stay null). The secret is
    /// there only in a create response.
    pub fn from_api(t: &ScimAuthToken) -> Self {
        DomainsAuthTokenModel {
            id: Attr::Known(t.id.clone()),
            schemas: Attr::Known(t.schemas.clone()),
            description: Attr::from_option(t.description.clone()),
            expires_on: Attr::from_option(t.expires_on.clone()),
            ocid: Attr::from_option(t.ocid.clone()),
            status: Attr::from_option(t.status.clone()),
            compartment_ocid: Attr::from_option(t.compartment_ocid.clone()),
            delete_in_progress: Attr::from_option(t.delete_in_progress),
            domain_ocid: Attr::from_option(t.domain_ocid.clone()),
            tenancy_ocid: Attr::from_option(t.tenancy_ocid.clone()),
            idcs_created_by: principal(&t.idcs_created_by),
            idcs_last_modified_by: principal(&t.idcs_last_modified_by),
            idcs_last_upgraded_in_release: Attr::from_option(
                t.idcs_last_upgraded_in_release.clone(),
            ),
            idcs_prevented_operations: known_strings(&t.idcs_prevented_operations),
            meta: meta(&t.meta),
            token: Attr::from_option(t.token.clone().filter(|s| !s.is_empty())),
            tags: Blocks::Known(tags(t.tags.as_deref().unwrap_or_default())),
            urnietfparamsscimschemasoracleidcsextensionself_change_user: Blocks::Known(
                t.self_change
                    .iter()
                    .map(|s| SelfChangeModel {
                        allow_self_change: Attr::from_option(s.allow_self_change),
                    })
                    .collect(),
            ),
            user: Blocks::Known(t.user.iter().map(user).collect()),
            ..Default::default()
        }
    }

    /// A data source or list item: every field the API returned, with `idcs_endpoint`; the
    /// secret is never in a listed or read token, so `token` is null.
    pub fn item(t: &ScimAuthToken, idcs_endpoint: &str) -> Self {
        let mut m = Self::from_api(t);
        m.idcs_endpoint = Attr::Known(idcs_endpoint.to_owned());
        m.token = Attr::Null;
        m
    }

    /// Refreshes state from a read (GET) response. Fields the response carries replace the
    /// state's (drift shows); fields it leaves out — never returned (`status`, the
    /// self-change extension), returned only on request (`tags`, …) or left out by
    /// `attributes` — keep their state values, and so does the secret. A `user` or `tags`
    /// block that state has as empty (not configured) stays empty; a null one (after import)
    /// is filled.
    pub fn refresh(&mut self, t: &ScimAuthToken) {
        let api = Self::from_api(t);
        self.id = api.id;
        if !t.schemas.is_empty() {
            self.schemas = api.schemas;
        }
        macro_rules! present {
            ($($field:ident),*) => {$(
                if !api.$field.is_null() {
                    self.$field = api.$field.clone();
                }
            )*};
        }
        present!(
            description,
            ocid,
            compartment_ocid,
            delete_in_progress,
            domain_ocid,
            tenancy_ocid,
            idcs_last_upgraded_in_release
        );
        if let (Some(state), Some(api)) = (self.expires_on.as_str(), t.expires_on.as_deref()) {
            if !same_instant(state, api) {
                self.expires_on = Attr::Known(api.to_owned());
            }
        } else if t.expires_on.is_some() {
            self.expires_on = api.expires_on.clone();
        }
        if t.idcs_created_by.is_some() {
            self.idcs_created_by = api.idcs_created_by.clone();
        }
        if t.idcs_last_modified_by.is_some() {
            self.idcs_last_modified_by = api.idcs_last_modified_by.clone();
        }
        if t.meta.is_some() {
            self.meta = api.meta.clone();
        }
        if t.idcs_prevented_operations.is_some() || self.idcs_prevented_operations.is_null() {
            self.idcs_prevented_operations = api.idcs_prevented_operations.clone();
        }
        if t.tags.is_some() || self.tags.is_null() {
            // Tags are a set to the API: the same tags in another order are no drift.
            let key = |v: &Vec<TagModel>| {
                let mut pairs: Vec<(Option<String>, Option<String>)> = v
                    .iter()
                    .map(|t| {
                        (
                            t.key.as_str().map(str::to_owned),
                            t.value.as_str().map(str::to_owned),
                        )
                    })
                    .collect();
                pairs.sort();
                pairs
            };
            let same = match (self.tags.known(), api.tags.known()) {
                (Some(state), Some(api)) => key(state) == key(api),
                _ => false,
            };
            if !same {
                self.tags = api.tags.clone();
            }
        }
        if self
            .urnietfparamsscimschemasoracleidcsextensionself_change_user
            .is_null()
        {
            self.urnietfparamsscimschemasoracleidcsextensionself_change_user =
                Blocks::Known(vec![]);
        }
        self.user = match (&self.user, t.user.as_ref()) {
            (Blocks::Known(v), _) if v.is_empty() => Blocks::Known(vec![]),
            (_, Some(u)) => {
                // Keep a form of the user the configuration gave (value and/or ocid) when
                // the API did not echo it.
                let mut fresh = user(u);
                if let Some(Some(prior)) = self.user.known().map(|v| v.first()) {
                    if fresh.ocid.is_null() {
                        fresh.ocid = prior.ocid.clone();
                    }
                    if fresh.value.is_null() {
                        fresh.value = prior.value.clone();
                    }
                }
                Blocks::Known(vec![fresh])
            }
            (Blocks::Null, None) => Blocks::Known(vec![]),
            (other, None) => other.clone(),
        };
        for list in [&mut self.idcs_created_by, &mut self.idcs_last_modified_by] {
            if list.is_null() {
                *list = Attr::Known(vec![]);
            }
        }
        if self.meta.is_null() {
            self.meta = Attr::Known(vec![]);
        }
    }

    /// The SCIM create body for this plan: every configured argument.
    pub fn create_body(&self) -> ScimAuthToken {
        let user = self
            .user
            .known()
            .and_then(|v| v.first())
            .map(|u| ScimUserRef {
                value: u.value.as_str().map(str::to_owned),
                ocid: u.ocid.as_str().map(str::to_owned),
                ..Default::default()
            });
        let self_change = self
            .urnietfparamsscimschemasoracleidcsextensionself_change_user
            .known()
            .and_then(|v| v.first())
            .and_then(|s| s.allow_self_change.known().copied())
            .map(|allow| ScimSelfChange {
                allow_self_change: Some(allow),
            });
        ScimAuthToken {
            schemas: self.schemas.known().cloned().unwrap_or_default(),
            ocid: self.ocid.as_str().map(str::to_owned),
            description: self.description.as_str().map(str::to_owned),
            status: self.status.as_str().map(str::to_owned),
            expires_on: self.expires_on.as_str().map(str::to_owned),
            user,
            tags: self.tag_list(),
            self_change,
            ..Default::default()
        }
    }

    /// The configured tags as SCIM tags (`None` when none are configured).
    pub fn tag_list(&self) -> Option<Vec<ScimTag>> {
        let tags: Vec<ScimTag> = self
            .tags
            .known()
            .map(|v| {
                v.iter()
                    .filter_map(|t| {
                        Some(ScimTag {
                            key: t.key.as_str()?.to_owned(),
                            value: t.value.as_str()?.to_owned(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        (!tags.is_empty()).then_some(tags)
    }

    pub fn endpoint(&self) -> &str {
        self.idcs_endpoint.as_str().unwrap_or_default()
    }

    pub fn token_id(&self) -> &str {
        self.id.as_str().unwrap_or_default()
    }
}

impl MyAuthTokenModel {
    /// The my_ view of an admin-shaped model (dropping what the my_ type lacks).
    pub fn from_full(m: &DomainsAuthTokenModel) -> Self {
        MyAuthTokenModel {
            id: m.id.clone(),
            idcs_endpoint: m.idcs_endpoint.clone(),
            schemas: m.schemas.clone(),
            authorization: m.authorization.clone(),
            resource_type_schema_version: m.resource_type_schema_version.clone(),
            description: m.description.clone(),
            expires_on: m.expires_on.clone(),
            ocid: m.ocid.clone(),
            status: m.status.clone(),
            compartment_ocid: m.compartment_ocid.clone(),
            delete_in_progress: m.delete_in_progress.clone(),
            domain_ocid: m.domain_ocid.clone(),
            tenancy_ocid: m.tenancy_ocid.clone(),
            idcs_created_by: m.idcs_created_by.clone(),
            idcs_last_modified_by: m.idcs_last_modified_by.clone(),
            idcs_last_upgraded_in_release: m.idcs_last_upgraded_in_release.clone(),
            idcs_prevented_operations: m.idcs_prevented_operations.clone(),
            meta: m.meta.clone(),
            token: m.token.clone(),
            tags: m.tags.clone(),
            user: m.user.clone(),
        }
    }

    /// The admin-shaped model of this my_ model (the missing fields null or empty), so one
    /// implementation serves both resources.
    pub fn to_full(&self) -> DomainsAuthTokenModel {
        DomainsAuthTokenModel {
            id: self.id.clone(),
            idcs_endpoint: self.idcs_endpoint.clone(),
            schemas: self.schemas.clone(),
            attribute_sets: Attr::Null,
            attributes: Attr::Null,
            authorization: self.authorization.clone(),
            resource_type_schema_version: self.resource_type_schema_version.clone(),
            description: self.description.clone(),
            expires_on: self.expires_on.clone(),
            ocid: self.ocid.clone(),
            status: self.status.clone(),
            compartment_ocid: self.compartment_ocid.clone(),
            delete_in_progress: self.delete_in_progress.clone(),
            domain_ocid: self.domain_ocid.clone(),
            tenancy_ocid: self.tenancy_ocid.clone(),
            idcs_created_by: self.idcs_created_by.clone(),
            idcs_last_modified_by: self.idcs_last_modified_by.clone(),
            idcs_last_upgraded_in_release: self.idcs_last_upgraded_in_release.clone(),
            idcs_prevented_operations: self.idcs_prevented_operations.clone(),
            meta: self.meta.clone(),
            token: self.token.clone(),
            tags: self.tags.clone(),
            urnietfparamsscimschemasoracleidcsextensionself_change_user: Blocks::Known(vec![]),
            user: self.user.clone(),
        }
    }
}

/// The cty type of a data source item: the resource's attributes and blocks, all computed.
pub fn item_type() -> Type {
    DomainsAuthTokenModel::cty_type()
}

/// A token as a data source item value.
#[allow(dead_code)] // For the list data sources and the list resource.
pub fn token_item(t: &ScimAuthToken, idcs_endpoint: &str) -> Value {
    DomainsAuthTokenModel::item(t, idcs_endpoint).to_value()
}

/// The data source item attributes: every resource attribute and block as a computed
/// attribute of the same name and type (what the official provider's data sources expose).
#[allow(dead_code)] // For the list data sources.
pub fn item_attributes() -> Vec<Attribute> {
    let ty = item_type();
    DomainsAuthTokenModel::FIELDS
        .iter()
        .map(|name| {
            Attribute::new(*name, ty.attribute(name).cloned().unwrap_or(Type::Dynamic)).computed()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::schema::Schema;

    fn api() -> ScimAuthToken {
        serde_json::from_value(serde_json::json!({
            "schemas": ["urn:ietf:params:scim:schemas:oracle:idcs:authToken"],
            "id": "abc", "ocid": "ocid1.credential.oc1..t", "description": "d",
            "expiresOn": "2030-01-01T00:00:00Z", "token": "s3cret",
            "user": {"value": "u1", "ocid": "ocid1.user.oc1..u", "display": "Ada", "name": "ada", "$ref": "r"},
            "meta": {"resourceType": "AuthToken", "created": "c", "lastModified": "l", "location": "loc", "version": "v1"},
            "idcsCreatedBy": {"value": "u0", "type": "User"},
            "deleteInProgress": false, "domainOcid": "ocid1.domain.oc1..d",
            "compartmentOcid": "ocid1.compartment.oc1..c", "tenancyOcid": "ocid1.tenancy.oc1..t"
        }))
        .unwrap()
    }

    #[test]
    fn the_model_type_is_the_schema_type() {
        let schema = Schema::new(resource_block("x"));
        assert_eq!(DomainsAuthTokenModel::cty_type(), schema.ty());
        let my = Schema::new(my_resource_block("x"));
        assert_eq!(MyAuthTokenModel::cty_type(), my.ty());
        let v = DomainsAuthTokenModel::from_api(&api()).to_value();
        tfplugin::cty::msgpack::encode(&v, &schema.ty()).unwrap();
        assert_eq!(item_attributes().len(), DomainsAuthTokenModel::FIELDS.len());
        for a in item_attributes() {
            assert!(a.computed && !a.optional && !a.required, "{}", a.name);
        }
    }

    #[test]
    fn refresh_keeps_what_is_not_returned_and_shows_drift() {
        let mut state = DomainsAuthTokenModel::from_api(&api());
        state.status = Attr::Known("ACTIVE".into());
        state.expires_on = Attr::Known("2030-01-01T00:00:00.000Z".into());
        state.tags = Blocks::Known(vec![TagModel {
            key: Attr::Known("k".into()),
            value: Attr::Known("v".into()),
        }]);
        state.urnietfparamsscimschemasoracleidcsextensionself_change_user =
            Blocks::Known(vec![SelfChangeModel {
                allow_self_change: Attr::Known(false),
            }]);
        let mut read = api();
        read.token = None;
        read.description = Some("changed".into());
        state.refresh(&read);
        assert_eq!(state.token.as_str(), Some("s3cret"));
        assert_eq!(state.status.as_str(), Some("ACTIVE"));
        assert_eq!(state.description.as_str(), Some("changed"));
        assert_eq!(
            state.expires_on.as_str(),
            Some("2030-01-01T00:00:00.000Z"),
            "the same instant keeps its configured spelling"
        );
        assert_eq!(state.tags.known().unwrap().len(), 1);
        assert_eq!(
            state
                .urnietfparamsscimschemasoracleidcsextensionself_change_user
                .known()
                .unwrap()
                .len(),
            1
        );
        read.tags = Some(vec![
            ScimTag {
                key: "k2".into(),
                value: "v2".into(),
            },
            ScimTag {
                key: "k".into(),
                value: "v".into(),
            },
        ]);
        state.tags = Blocks::Known(vec![
            TagModel {
                key: Attr::Known("k".into()),
                value: Attr::Known("v".into()),
            },
            TagModel {
                key: Attr::Known("k2".into()),
                value: Attr::Known("v2".into()),
            },
        ]);
        state.refresh(&read);
        assert_eq!(
            state.tags.known().unwrap()[0].key.as_str(),
            Some("k"),
            "the same tags in another order keep the state's order"
        );
        read.tags = Some(vec![]);
        state.refresh(&read);
        assert!(
            state.tags.known().unwrap().is_empty(),
            "returned tags are drift"
        );
    }

    #[test]
    fn an_unconfigured_user_block_stays_empty_and_an_imported_one_is_filled() {
        let mut state = DomainsAuthTokenModel::from_api(&api());
        state.user = Blocks::Known(vec![]);
        state.refresh(&api());
        assert!(state.user.known().unwrap().is_empty());
        let mut imported = DomainsAuthTokenModel {
            id: Attr::Known("abc".into()),
            ..Default::default()
        };
        imported.refresh(&api());
        let user = &imported.user.known().unwrap()[0];
        assert_eq!(user.value.as_str(), Some("u1"));
        assert_eq!(user.name.as_str(), Some("ada"));
        assert!(imported.token.is_null());
        assert!(imported.to_value().is_wholly_known());
    }

    #[test]
    fn the_create_body_has_every_configured_argument() {
        let plan = DomainsAuthTokenModel {
            schemas: Attr::Known(vec!["s".into()]),
            description: Attr::Known("d".into()),
            status: Attr::Known("INACTIVE".into()),
            expires_on: Attr::Known("2030-01-01T00:00:00Z".into()),
            ocid: Attr::Unknown,
            user: Blocks::Known(vec![UserModel {
                value: Attr::Known("u1".into()),
                ocid: Attr::Unknown,
                ..Default::default()
            }]),
            tags: Blocks::Known(vec![TagModel {
                key: Attr::Known("k".into()),
                value: Attr::Known("v".into()),
            }]),
            urnietfparamsscimschemasoracleidcsextensionself_change_user: Blocks::Known(vec![
                SelfChangeModel {
                    allow_self_change: Attr::Known(true),
                },
            ]),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(plan.create_body()).unwrap(),
            serde_json::json!({
                "schemas": ["s"], "description": "d", "status": "INACTIVE",
                "expiresOn": "2030-01-01T00:00:00Z", "user": {"value": "u1"},
                "tags": [{"key": "k", "value": "v"}],
                "urn:ietf:params:scim:schemas:oracle:idcs:extension:selfChange:User": {"allowSelfChange": true}
            })
        );
    }

    #[test]
    fn instants() {
        assert!(same_instant(
            "2030-01-01T00:00:00.000Z",
            "2030-01-01T00:00:00Z"
        ));
        assert!(same_instant(
            "2030-01-01t00:00:00z",
            "2030-01-01T00:00:00+00:00"
        ));
        assert!(same_instant(
            "2030-01-01T00:00:00.500Z",
            "2030-01-01T00:00:00.5Z"
        ));
        assert!(!same_instant(
            "2030-01-01T00:00:00.5Z",
            "2030-01-01T00:00:00Z"
        ));
        assert!(!same_instant(
            "2030-01-02T00:00:00Z",
            "2030-01-01T00:00:00Z"
        ));
    }

    #[test]
    fn items_never_carry_the_secret() {
        let item = token_item(&api(), "http://127.0.0.1:1");
        assert!(item.get("token").is_null());
        assert_eq!(item.get_str("idcs_endpoint"), Some("http://127.0.0.1:1"));
        tfplugin::cty::msgpack::encode(&item, &item_type()).unwrap();
    }
}
