//! Terraform plugin protocol v6 plumbing. Nothing in here knows about any one provider.

pub mod convert;
pub mod cty;
pub mod diag;
pub mod docs;
mod engine;
pub mod framework;
pub mod handshake;
pub mod logging;
pub mod model;
mod private;
pub mod proto;
pub mod schema;
pub mod serve;
pub mod server;
pub mod tls;
