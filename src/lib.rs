//! `terraform-provider-oci`: a Terraform provider (plugin protocol v6) for OCI Identity auth
//! tokens, plus a mock of the OCI Identity API.
//!
//! Layers, bottom up, each unaware of the ones above it:
//! - [`tfplugin`]: Terraform plugin protocol plumbing (handshake, mTLS, gRPC services, cty
//!   values and their codecs, schema, diagnostics, plan rules). Knows nothing of OCI.
//! - [`oci`]: the OCI client (config, keys, request signing, HTTP with retries, errors,
//!   Identity API models). Knows nothing of Terraform.
//! - [`mock`]: a mock OCI Identity API server used by tests, the demo and users.
//! - [`provider`]: the `oci` provider, its resources, data sources and list resources.

pub mod mock;
pub mod oci;
pub mod provider;
pub mod tfplugin;
