//! Helpers shared by the tests of every crate in this workspace.

use std::path::{Path, PathBuf};

/// The workspace root (where `Cargo.lock`, `.venv`, `examples/` and `docs/` live).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/test-support sits two levels below the workspace root")
        .to_path_buf()
}

/// A file under `crates/oci-client/tests/fixtures/` (test keys and the like).
pub fn fixture(rel: &str) -> PathBuf {
    workspace_root()
        .join("crates/oci-client/tests/fixtures")
        .join(rel)
}
