//! `terraform-provider-oci`: started by Terraform, or by hand with `--debug`.

use terraform_provider_oci::{OciProvider, PROVIDER_ADDRESS};
use tfplugin::serve::{serve, ServeError, ServeOptions};

/// The release version: `TERRAFORM_PROVIDER_OCI_VERSION` at build time (set by
/// `scripts/release.sh VERSION …`), else the crate version.
const VERSION: &str = match option_env!("TERRAFORM_PROVIDER_OCI_VERSION") {
    Some(v) => v,
    None => env!("CARGO_PKG_VERSION"),
};

const USAGE: &str = "\
terraform-provider-oci: a Terraform provider for OCI Identity auth tokens (plugin protocol 6).

Terraform (or OpenTofu) starts this program; it is not meant to be run by hand.

Options:
  --debug     serve without Terraform's handshake and print a TF_REATTACH_PROVIDERS line
              to attach Terraform to this process (for debuggers)
  --version   print the version and exit
  --help      print this help and exit";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut debug = false;
    for arg in &args {
        match arg.as_str() {
            "--debug" | "-debug" => debug = true,
            "--version" | "-version" => {
                println!("terraform-provider-oci {VERSION}");
                return;
            }
            "--help" | "-help" | "-h" => {
                println!("{USAGE}");
                return;
            }
            other => {
                eprintln!("terraform-provider-oci: unknown argument {other:?}\n\n{USAGE}");
                std::process::exit(2);
            }
        }
    }

    tfplugin::logging::init(tfplugin::logging::LogConfig {
        provider_name: "oci".into(),
        own_targets: vec!["terraform_provider_oci".into(), "oci_client".into()],
        submodules: vec![("oci_client".into(), "oci".into())],
    });
    tracing::info!(
        version = VERSION,
        "terraform-provider-oci {VERSION} starting"
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("terraform-provider-oci: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let result = runtime.block_on(serve(
        OciProvider::new(),
        ServeOptions {
            provider_address: PROVIDER_ADDRESS.to_string(),
            program_name: "terraform-provider-oci".to_string(),
            debug,
        },
    ));
    match result {
        Ok(()) => std::process::exit(0),
        Err(e @ ServeError::NotStartedByTerraform { .. }) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("terraform-provider-oci: {e}");
            std::process::exit(1);
        }
    }
}
