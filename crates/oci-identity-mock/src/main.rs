//! `oci-identity-mock`: a mock of the OCI Identity auth-token API.
//!
//! Prints one JSON line on stdout when ready; logs go to stderr. See `--help`.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use oci_identity_mock::{self as mock, MockOptions};

const USAGE: &str = "\
Usage: oci-identity-mock --data-dir DIR [options]

A mock of the OCI Identity auth-token API (/20160918/users/{userId}/authTokens) and of the
Identity Domains SCIM auth-token API (/admin/v1/AuthTokens, one listener per domain).
On first start it creates in DIR a tenancy, users with RSA API keys (DIR/keys/) and an OCI
config file (DIR/config: DEFAULT, USER1, USER2, ...). State persists in DIR/state.json
and DIR/journal.jsonl (the changes since, folded in at the next start).
When ready it prints one JSON line on stdout:
  {\"endpoint\": ..., \"config_file\": ..., \"tenancy_ocid\": ..., \"user_ocids\": [...],
   \"identity_domains\": [{\"idcs_endpoint\": ..., \"domain_ocid\": ..., \"display_name\": ...,
                          \"users\": [{\"id\": ..., \"ocid\": ..., \"user_name\": ...}]}],
   \"instance_principal\": {\"env\": {\"OCI_METADATA_BASE_URL\": ..., \"OCI_SDK_AUTH_CLIENT_REGION_URL\": ...},
                          \"instance_ocid\": ..., \"tenancy_ocid\": ..., \"region\": ...},
   \"resource_principal\": {\"env\": {\"OCI_RESOURCE_PRINCIPAL_VERSION\": \"2.2\",
                          \"OCI_RESOURCE_PRINCIPAL_RPST\": \"DIR/rp/rpst\",
                          \"OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM\": \"DIR/rp/private.pem\",
                          \"OCI_RESOURCE_PRINCIPAL_REGION\": ...}, \"resource_ocid\": ...,
                          \"private_pem_encrypted\": ..., \"private_pem_passphrase\": ...},
   \"resource_principal_1_1\": {\"env\": {\"OCI_RESOURCE_PRINCIPAL_VERSION\": \"1.1\",
                          \"OCI_RESOURCE_PRINCIPAL_RPT_ENDPOINT\": ..., \"OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT\": ...,
                          \"OCI_RESOURCE_PRINCIPAL_REGION\": ..., \"OCI_METADATA_BASE_URL\": ...,
                          \"OCI_SDK_AUTH_CLIENT_REGION_URL\": ...}, \"resource_ocid\": ...},
   \"resource_principal_3_0\": {\"env\": {\"OCI_RESOURCE_PRINCIPAL_VERSION\": \"3.0\",
                          \"OCI_RESOURCE_PRINCIPAL_VERSION_FOR_LEAF_RESOURCE\": \"2.2\",
                          \"OCI_RESOURCE_PRINCIPAL_RPST_FOR_LEAF_RESOURCE\": \"DIR/rp/rpst\",
                          \"OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_FOR_LEAF_RESOURCE\": \"DIR/rp/private.pem\",
                          \"OCI_RESOURCE_PRINCIPAL_REGION_FOR_LEAF_RESOURCE\": ...,
                          \"OCI_RESOURCE_PRINCIPAL_RPT_URL_FOR_PARENT_RESOURCE\": ...,
                          \"OCI_RESOURCE_PRINCIPAL_RPST_ENDPOINT_FOR_PARENT_RESOURCE\": ...},
                          \"leaf_ocid\": ..., \"parent_ocids\": [...]},
   \"workload_identity_federation\": {\"workload_identity_token_path\": \"DIR/wif/token\",
                          \"untrusted_workload_identity_token_path\": \"DIR/wif/token-untrusted\",
                          \"region\": ..., \"domains\": [{\"domain_url\": ...,
                          \"client_id_path\": \"DIR/wif/domain-0/client-id\",
                          \"client_secret_path\": \"DIR/wif/domain-0/client-secret\"}]},
   \"oke_workload_identity\": {\"env\": {\"KUBERNETES_SERVICE_HOST\": \"127.0.0.N\",
                          \"OCI_KUBERNETES_SERVICE_ACCOUNT_CERT_PATH\": \"DIR/oke/ca.crt\",
                          \"OCI_RESOURCE_PRINCIPAL_VERSION\": \"2.2\", \"OCI_RESOURCE_PRINCIPAL_REGION\": ...},
                          \"service_account_token_path\": \"DIR/oke/token\", ...}}   (with --oke only)
Export a block's \"env\" to use that principal. The first user (DEFAULT profile) is the tenancy
administrator: it manages every user's tokens; the others manage only their own. Instance,
resource and OKE principals act as a dynamic group with \"manage users in tenancy\": they manage
every user's tokens, in the classic and (with OCI signatures) the SCIM API.

The platform (always on, main listener):
  GET  /opc/v2/instance/region, /opc/v2/instance/id, /opc/v2/instance/regionInfo,
       /opc/v2/identity/cert.pem,
       /opc/v2/identity/key.pem, /opc/v2/identity/intermediate.pem
                       instance metadata (header Authorization: Bearer Oracle required)
  POST /v1/x509        instance-principal federation (keyId <tenancy>/fed-x509-sha256/<fp>
                       or <tenancy>/fed-x509/<sha1 fp>, host need not be signed): {\"token\": JWT}
  GET  /20180711/resourcePrincipalToken/{id}, POST /v1/resourcePrincipalSessionToken
                       resource principal 1.1 (signed with an instance principal's ST$ token)
                       and 3.0 (signed with a resource principal's: its parent's token, with
                       opc-parent-rpt-url naming the next parent's while there is one)
  POST /oauth2/v1/token on each identity domain's listener
                       workload identity federation: the token exchange (form body, client
                       authenticated by HTTP Basic with the domain's app in DIR/wif/domain-N/,
                       or by an instance principal's signature; subject token DIR/wif/token);
                       {\"token\": JWT}; OAuth errors {\"error\": \"invalid_client\", ...}
  Requests signed with keyId ST$<JWT> are accepted while the JWT (signed by the mock) is
  unexpired and not revoked, verified with its jwk claim; otherwise 401 NotAuthenticated.
  DIR/rp/: a resource principal 2.2 pair (rpst, private.pem, private-encrypted.pem, passphrase),
  a new token at each start, a new key too on POST /_mock/resource-principal/rotate.
  With --oke: POST https://127.0.0.N:12250/resourcePrincipalSessionTokens (first free N >= 2),
  CA in DIR/oke/ca.crt, accepted token DIR/oke/token (DIR/oke/token-forbidden gets 403).

Options:
  --data-dir DIR       data directory (required)
  --listen ADDR        listen address [default: 127.0.0.1:0]
  --users N            number of users (more are added on restart) [default: 1]
  --domains N          identity domains, each with its own listener serving the SCIM API
                       (/admin/v1/AuthTokens, /admin/v1/MyAuthTokens); the first is the
                       Default domain (its users are the IAM users), the others have N users
                       of their own (more are added on restart) [default: 1]
  --token-limit N      auth tokens per user, 0 = unlimited [default: 2]
  --latency-ms N       delay added to every API request [default: 0]
  --fault-rate F       probability 0..1 of a random 429/500/503/dropped connection [default: 0]
  --list-lag-ms N      new tokens appear in lists only after N ms [default: 0]
  --activation-ms N    new tokens are CREATING for N ms, then ACTIVE [default: 0]
  --seed S             seed of the fault RNG [default: 0]
  --rate-limit N       requests per second for the tenancy over both APIs (token bucket
                       holding a tenth of a second's worth); excess requests get 429
                       TooManyRequests; 0 = no limit [default: 0]
  --session-ttl-s N    lifetime of every session token (JWT) the platform mints [default: 3600]
  --oke                serve the OKE workload-identity token endpoint (TLS, port 12250)
  --log-level LEVEL    error|warn|info|debug|trace (or env OCI_MOCK_LOG) [default: info]
  -h, --help           show this help

Admin endpoints (unsigned): GET /_mock/stats, POST /_mock/faults
({\"fault_rate\": F, \"rate_limit\": N, \"next\": [\"503\", \"429\", \"500\", \"drop_connection\", \"drop_response\"]}),
POST /_mock/reset-stats, POST /_mock/sessions/revoke (every session token minted so far becomes
invalid), POST /_mock/resource-principal/rotate (fresh pair in DIR/rp/).
";

struct Args {
    opts: MockOptions,
    log_level: tracing::Level,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let mut opts = MockOptions::default();
    let mut data_dir: Option<PathBuf> = None;
    let mut log_level = std::env::var("OCI_MOCK_LOG")
        .ok()
        .and_then(|v| mock::logging::parse_level(&v))
        .unwrap_or(tracing::Level::INFO);
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if !name.starts_with("--") {
            return Err(format!("unexpected argument {arg:?}"));
        }
        let mut value = || -> Result<String, String> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => it.next().ok_or_else(|| format!("{name} needs a value")),
            }
        };
        fn num<T: std::str::FromStr>(name: &str, v: String) -> Result<T, String> {
            v.trim()
                .parse()
                .map_err(|_| format!("invalid value {v:?} for {name}"))
        }
        match name.as_str() {
            "--data-dir" => {
                let v = value()?;
                if v.is_empty() {
                    return Err("--data-dir must not be empty".into());
                }
                data_dir = Some(PathBuf::from(v));
            }
            "--listen" => opts.listen = num::<SocketAddr>(&name, value()?)?,
            "--users" => {
                opts.users = num(&name, value()?)?;
                if opts.users == 0 {
                    return Err("--users must be at least 1".into());
                }
            }
            "--domains" => {
                opts.domains = num(&name, value()?)?;
                if opts.domains == 0 {
                    return Err("--domains must be at least 1".into());
                }
            }
            "--token-limit" => opts.token_limit = num(&name, value()?)?,
            "--latency-ms" => opts.latency_ms = num(&name, value()?)?,
            "--fault-rate" => {
                let f: f64 = num(&name, value()?)?;
                if !f.is_finite() || !(0.0..=1.0).contains(&f) {
                    return Err(format!("--fault-rate must be between 0 and 1, got {f}"));
                }
                opts.fault_rate = f;
            }
            "--list-lag-ms" => opts.list_lag_ms = num(&name, value()?)?,
            "--activation-ms" => opts.activation_ms = num(&name, value()?)?,
            "--seed" => opts.seed = num(&name, value()?)?,
            "--rate-limit" => opts.rate_limit = num(&name, value()?)?,
            "--session-ttl-s" => {
                opts.session_ttl_s = num(&name, value()?)?;
                if opts.session_ttl_s == 0 {
                    return Err("--session-ttl-s must be at least 1".into());
                }
            }
            "--oke" => {
                if inline.is_some() {
                    return Err("--oke takes no value".into());
                }
                opts.oke = true;
            }
            "--log-level" => {
                let v = value()?;
                log_level = mock::logging::parse_level(&v)
                    .ok_or_else(|| format!("invalid log level {v:?}"))?;
            }
            _ => return Err(format!("unknown option {name}")),
        }
    }
    opts.data_dir = data_dir.ok_or("--data-dir is required")?;
    Ok(Some(Args { opts, log_level }))
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("cannot listen for SIGTERM: {e}");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(a)) => a,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("oci-identity-mock: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    mock::logging::init_stderr(args.log_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("oci-identity-mock: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let server = match mock::start(args.opts).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("oci-identity-mock: {e}");
                return ExitCode::FAILURE;
            }
        };
        {
            let mut out = std::io::stdout().lock();
            if writeln!(out, "{}", server.ready_line())
                .and_then(|_| out.flush())
                .is_err()
            {
                eprintln!("oci-identity-mock: cannot write to stdout");
            }
        }
        tracing::info!("listening on {}", server.endpoint);
        wait_for_signal().await;
        tracing::info!("shutting down");
        server.stop().await;
        ExitCode::SUCCESS
    })
}
