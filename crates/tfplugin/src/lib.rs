//! # tfplugin
//!
//! Terraform providers in Rust: a counterpart of HashiCorp's
//! [terraform-plugin-framework](https://developer.hashicorp.com/terraform/plugin/framework)
//! and terraform-plugin-go. It speaks plugin protocol 6 (Terraform 1.0 and later, with
//! ephemeral resources for 1.10+, resource identity for 1.12+ and list resources for
//! `terraform query` in 1.14+), performs
//! go-plugin's handshake with automatic mTLS, and gives providers traits to implement instead
//! of protocol messages. Nothing in it knows about any one provider: names (program, provider
//! address, log targets) are passed in.
//!
//! ## Module map
//!
//! | module | what it holds |
//! |---|---|
//! | [`framework`] | what a provider implements: [`Provider`](framework::Provider), [`Resource`](framework::Resource), [`DataSource`](framework::DataSource), [`ListResource`](framework::ListResource), [`EphemeralResource`](framework::EphemeralResource), their request/response structs, [`Ctx`](framework::Ctx) (cancellation), [`PrivateState`](framework::PrivateState), [`RawState`](framework::RawState); the plan rules every resource gets |
//! | [`schema`] | declarative schemas: attributes, nested blocks, validators, identity schemas |
//! | [`cty`] | Terraform's values and types (null, unknown, exact numbers) with the msgpack and JSON codecs |
//! | [`model`] | typed structs converted to and from cty objects ([`cty_object!`]) |
//! | [`diag`] | diagnostics with attribute paths |
//! | [`serve`] | [`serve`](serve::serve): run a provider as Terraform's plugin process, or in debug mode |
//! | [`server`] | the tfplugin6 gRPC service ([`ProviderService`](server::ProviderService)), one module per RPC group, translating to the framework logic |
//! | [`handshake`], [`tls`] | go-plugin's handshake line, protocol negotiation, listener, auto-mTLS |
//! | [`logging`] | `tracing` events as the hclog JSON lines on stderr that go-plugin forwards to Terraform's log (`TF_LOG`, `TF_LOG_PROVIDER`) |
//! | [`docs`] | the "Schema" section of registry documentation pages, rendered from schemas |
//! | [`convert`], [`proto`] | protocol messages (generated from the tfplugin6 and go-plugin protos) and the conversions to them |
//!
//! The framework logic behind the RPCs (plan and apply orchestration, import by identity, state
//! upgrade, the list pump, ephemeral open/renew/close) works on plain values in a private module and is reached through
//! [`server`].
//!
//! ## Stability
//!
//! Nothing is published yet; the version is that of the workspace. Expect these to change:
//!
//! - **unstable:** the plan engine ([`framework::plan`], [`framework::Plan`],
//!   [`framework::PlanContext`], [`Resource::modify_plan`](framework::Resource::modify_plan))
//!   and its plan modifiers ([`plan::PlanModifier`], [`plan::CustomPlanModifier`],
//!   [`plan::ModifierRequest`], [`plan::ModifierResponse`]); [`model`] and the field syntax
//!   of its `cty_object!` macro; [`docs`]; [`logging::LogConfig`]; the error enums
//!   ([`serve::ServeError`], [`tls::TlsError`]), which may gain variants;
//! - **unstable, internal but public for tests and tools:** [`convert`], [`proto`],
//!   [`handshake`], [`tls`], and [`server::ProviderService`] as a tonic service;
//! - **meant to stay:** the four traits and their request/response structs, [`cty::Value`] and
//!   [`cty::Type`], [`diag::Diagnostics`], [`framework::PrivateState`],
//!   [`framework::RawState`], [`serve::serve`] and [`serve::ServeOptions`].
//!
//! ## A minimal provider
//!
//! One resource, `hello_greeting`, whose `text` the provider computes from `name`:
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use tfplugin::cty::Value;
//! use tfplugin::diag::Diagnostics;
//! use tfplugin::framework::{
//!     async_trait, ApplyResponse, ConfigureRequest, CreateRequest, DataSource, DeleteRequest,
//!     Provider, ReadRequest, ReadResponse, Resource, UpdateRequest,
//! };
//! use tfplugin::schema::{Attribute, Block, Schema};
//! use tfplugin::serve::{serve, ServeOptions};
//!
//! struct Greeting;
//!
//! impl Greeting {
//!     /// The planned state with what the "remote API" decided filled in.
//!     fn decided(planned: Value) -> Value {
//!         let mut state = planned;
//!         let name = state.get_str("name").unwrap_or_default().to_string();
//!         state.set("id", Value::from(name.as_str()));
//!         state.set("text", Value::from(format!("Hello, {name}!").as_str()));
//!         state
//!     }
//! }
//!
//! #[async_trait]
//! impl Resource for Greeting {
//!     fn type_name(&self) -> &'static str {
//!         "hello_greeting"
//!     }
//!
//!     fn schema(&self) -> Schema {
//!         Schema::new(
//!             Block::new()
//!                 .description("A greeting.")
//!                 .attribute(Attribute::string("id").computed())
//!                 .attribute(Attribute::string("name").required().description("Who to greet."))
//!                 .attribute(Attribute::string("text").computed()),
//!         )
//!     }
//!
//!     async fn create(&self, req: CreateRequest) -> ApplyResponse {
//!         ApplyResponse { state: Self::decided(req.planned), ..Default::default() }
//!     }
//!
//!     async fn read(&self, req: ReadRequest) -> ReadResponse {
//!         // Nothing remote to refresh: keep the state (Value::Null would mean "gone").
//!         ReadResponse { state: req.state, private: req.private, diagnostics: Diagnostics::new() }
//!     }
//!
//!     async fn update(&self, req: UpdateRequest) -> ApplyResponse {
//!         ApplyResponse { state: Self::decided(req.planned), ..Default::default() }
//!     }
//!
//!     async fn delete(&self, _req: DeleteRequest) -> Diagnostics {
//!         Diagnostics::new()
//!     }
//! }
//!
//! struct Hello;
//!
//! #[async_trait]
//! impl Provider for Hello {
//!     fn type_name(&self) -> &'static str {
//!         "hello"
//!     }
//!     fn schema(&self) -> Schema {
//!         Schema::new(Block::new())
//!     }
//!     async fn configure(&self, _req: ConfigureRequest) -> Diagnostics {
//!         Diagnostics::new()
//!     }
//!     fn resources(&self) -> Vec<Arc<dyn Resource>> {
//!         vec![Arc::new(Greeting)]
//!     }
//!     fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
//!         Vec::new()
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() {
//!     let debug = std::env::args().any(|a| a == "--debug");
//!     let opts = ServeOptions {
//!         provider_address: "registry.terraform.io/example/hello".into(),
//!         program_name: "terraform-provider-hello".into(),
//!         debug,
//!     };
//!     // Fails, with a message for stderr, when not started by Terraform, when Terraform
//!     // offers no protocol version 6, or when two resources share a type name.
//!     if let Err(e) = serve(Hello, opts).await {
//!         eprintln!("terraform-provider-hello: {e}");
//!         std::process::exit(1);
//!     }
//! }
//! ```

pub mod convert;
pub mod cty;
pub mod diag;
pub mod docs;
mod engine;
pub mod framework;
pub mod handshake;
pub mod logging;
pub mod model;
pub mod plan;
mod private;
pub mod proto;
mod routes;
pub mod schema;
pub mod serve;
pub mod server;
pub mod tls;
pub mod validate;
