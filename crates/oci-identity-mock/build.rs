//! Looks for the external tools this crate's tests need (see `test-support`'s `tools`) and
//! sets `missing_oci_cli` / `missing_oci_sdk` when one is absent and `CI` is not set, so those tests
//! are ignored with a reason instead of passing without doing anything. Nothing else: the
//! crate itself does not depend on it.

#[allow(dead_code)]
#[path = "../test-support/src/tools.rs"]
mod tools;

use tools::Tool;

fn main() {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    tools::build_script(
        std::path::Path::new(&manifest_dir),
        &[Tool::OciCli, Tool::OciSdk],
    );
}
