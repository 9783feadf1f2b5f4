//! The official OCI CLI (`oci identity-domains ...`) and the OCI Python SDK's
//! `IdentityDomainsClient` managing auth tokens against the mock binary's SCIM API, with the
//! config file the mock writes and the domain's URL as the endpoint.
//!
//! The CLI is `$OCI_CLI_BIN` or `<workspace>/.venv/bin/oci`, the SDK the Python next to it
//! (`scripts/setup-tools.sh` installs both). Without them these tests are ignored with that
//! reason; with env `CI` set they run and fail, saying what is missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use test_support::MockProcess;

const AUTH_TOKEN: &str = r#"["urn:ietf:params:scim:schemas:oracle:idcs:authToken"]"#;
const PATCH_OP: &str = r#"["urn:ietf:params:scim:api:messages:2.0:PatchOp"]"#;
const SEARCH: &str = r#"["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]"#;

fn start_mock(dir: &Path, args: &[&str], stderr: Stdio) -> MockProcess {
    MockProcess::spawn(
        env!("CARGO_BIN_EXE_oci-identity-mock"),
        &dir.join("data"),
        args,
        stderr,
    )
}

/// A domain from the ready line: (idcs_endpoint, [(SCIM id, OCID)]).
fn domain(mock: &MockProcess, i: usize) -> (String, Vec<(String, String)>) {
    let d = &mock.ready["identity_domains"][i];
    let users = d["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["id"].as_str().unwrap().to_string(),
                u["ocid"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (d["idcs_endpoint"].as_str().unwrap().to_string(), users)
}

struct Cli<'a> {
    bin: &'a Path,
    home: &'a Path,
    config: String,
    endpoint: String,
    mock_log: PathBuf,
}

impl Cli<'_> {
    /// Runs `oci identity-domains <args> --config-file CFG --endpoint EP`.
    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(self.bin)
            .arg("identity-domains")
            .args(args)
            .args(["--config-file", &self.config, "--endpoint", &self.endpoint])
            .env("HOME", self.home)
            .env("OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING", "True")
            .env("SUPPRESS_LABEL_WARNING", "True")
            .env_remove("OCI_CLI_PROFILE")
            .env_remove("OCI_CLI_CONFIG_FILE")
            .env_remove("OCI_CLI_AUTH")
            .env_remove("OCI_CLI_ENDPOINT")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            .stdin(Stdio::null())
            .output()
            .expect("run the OCI CLI");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn json(&self, args: &[&str]) -> Value {
        let (ok, stdout, stderr) = self.run(args);
        assert!(
            ok,
            "oci identity-domains {args:?} failed:\n{stderr}\n{stdout}\nmock log:\n{}",
            std::fs::read_to_string(&self.mock_log).unwrap_or_default()
        );
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("oci {args:?}: bad JSON ({e}):\n{stdout}"))
    }
}

#[test]
#[cfg_attr(
    missing_oci_cli,
    ignore = "OCI CLI not found (.venv/bin/oci or $OCI_CLI_BIN): run scripts/setup-tools.sh"
)]
fn official_oci_cli_manages_domain_auth_tokens() {
    let bin = test_support::oci_cli();
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mock_log = tmp.path().join("mock.log");
    let mock = start_mock(
        tmp.path(),
        &["--users", "2", "--domains", "2", "--log-level", "debug"],
        std::fs::File::create(&mock_log).unwrap().into(),
    );
    let (endpoint, users) = domain(&mock, 0);
    let (user_id, user_ocid) = users[1].clone();
    let cli = Cli {
        bin: &bin,
        home: &home,
        config: mock.config_file.display().to_string(),
        endpoint: endpoint.clone(),
        mock_log,
    };

    // create
    let user = format!(r#"{{"value": "{user_id}"}}"#);
    let created = cli.json(&[
        "auth-token",
        "create",
        "--schemas",
        AUTH_TOKEN,
        "--user",
        &user,
        "--description",
        "made by oci",
        "--expires-on",
        "2030-01-01T00:00:00Z",
    ]);
    let data = &created["data"];
    let id = data["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32, "{created}");
    assert_eq!(data["token"].as_str().unwrap().len(), 20);
    assert_eq!(data["user"]["ocid"], user_ocid.as_str());
    assert_eq!(data["description"], "made by oci");
    assert_eq!(data["expires-on"], "2030-01-01T00:00:00Z");
    assert!(data["status"].is_null(), "never returned: {data}");
    assert!(created["etag"].as_str().is_some_and(|e| !e.is_empty()));

    // get
    let got = cli.json(&["auth-token", "get", "--auth-token-id", &id]);
    assert_eq!(got["data"]["id"], id.as_str());
    assert!(got["data"]["token"].is_null());

    // patch
    let patched = cli.json(&[
        "auth-token",
        "patch",
        "--auth-token-id",
        &id,
        "--schemas",
        PATCH_OP,
        "--operations",
        r#"[{"op": "REPLACE", "path": "description", "value": "renamed"}, {"op": "replace", "path": "status", "value": "INACTIVE"}]"#,
    ]);
    assert_eq!(patched["data"]["description"], "renamed");
    assert_eq!(patched["data"]["id"], id.as_str());
    // An immutable attribute: the SCIM error comes through.
    let (ok, _, stderr) = cli.run(&[
        "auth-token",
        "patch",
        "--auth-token-id",
        &id,
        "--schemas",
        PATCH_OP,
        "--operations",
        r#"[{"op": "replace", "path": "expiresOn", "value": "2031-01-01T00:00:00Z"}]"#,
    ]);
    assert!(!ok);
    assert!(stderr.contains("mutability"), "{stderr}");

    // a second token, made through the classic API, then list and search
    // The classic API through the CLI: the domains (their URLs are the SCIM endpoints) and a
    // second token for the same user.
    let classic_cli = |args: &[&str]| -> Value {
        let out = Command::new(&bin)
            .args(args)
            .args(["--config-file", &cli.config, "--endpoint", &mock.endpoint])
            .env("HOME", &home)
            .env("OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING", "True")
            .env("SUPPRESS_LABEL_WARNING", "True")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "oci {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let domains = classic_cli(&[
        "iam",
        "domain",
        "list",
        "--compartment-id",
        &mock.tenancy_ocid,
        "--all",
        "--page-size",
        "1",
    ]);
    let urls: Vec<&str> = domains["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["url"].as_str().unwrap())
        .collect();
    assert_eq!(
        urls,
        [endpoint.as_str(), domain(&mock, 1).0.as_str()],
        "{domains}"
    );
    assert_eq!(domains["data"][0]["display-name"], "Default");
    let d1 = mock.ready["identity_domains"][1]["domain_ocid"]
        .as_str()
        .unwrap();
    let got = classic_cli(&["iam", "domain", "get", "--domain-id", d1]);
    assert_eq!(got["data"]["type"], "SECONDARY");
    assert_eq!(got["data"]["lifecycle-state"], "ACTIVE");
    let classic = classic_cli(&[
        "iam",
        "auth-token",
        "create",
        "--user-id",
        &user_ocid,
        "--description",
        "classic",
    ]);
    assert_eq!(classic["data"]["user-id"], user_ocid.as_str());
    let filter = format!(r#"user.value eq "{user_id}""#);
    let listed = cli.json(&["auth-tokens", "list", "--filter", &filter]);
    let l = &listed["data"];
    assert_eq!(l["total-results"], 2, "{listed}");
    assert_eq!(l["start-index"], 1);
    assert_eq!(l["items-per-page"], 50);
    assert_eq!(l["resources"].as_array().unwrap().len(), 2);
    let all = cli.json(&["auth-tokens", "list", "--all", "--page-size", "1"]);
    assert_eq!(
        all["data"]["resources"].as_array().unwrap().len(),
        2,
        "{all}"
    );
    let searched = cli.json(&[
        "auth-tokens",
        "search",
        "--schemas",
        SEARCH,
        "--filter",
        r#"status eq "INACTIVE""#,
    ]);
    let found = searched["data"]["resources"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{searched}");
    assert_eq!(found[0]["id"], id.as_str());
    // A bad filter: 400 with its position.
    let (ok, _, stderr) = cli.run(&["auth-tokens", "list", "--filter", "user.value eq"]);
    assert!(!ok);
    assert!(
        stderr.contains("invalidFilter") && stderr.contains("position 13"),
        "{stderr}"
    );

    // delete, then get is a 404
    let (ok, _, stderr) = cli.run(&["auth-token", "delete", "--auth-token-id", &id, "--force"]);
    assert!(ok, "{stderr}");
    let (ok, _, stderr) = cli.run(&["auth-token", "get", "--auth-token-id", &id]);
    assert!(!ok);
    assert!(stderr.contains("\"status\": 404"), "{stderr}");

    // The other domain, same credentials (the administrator's).
    let (endpoint2, users2) = domain(&mock, 1);
    let cli2 = Cli {
        endpoint: endpoint2,
        ..cli
    };
    let user2 = format!(r#"{{"ocid": "{}"}}"#, users2[0].1);
    let created = cli2.json(&[
        "auth-token",
        "create",
        "--schemas",
        AUTH_TOKEN,
        "--user",
        &user2,
    ]);
    assert_eq!(created["data"]["user"]["value"], users2[0].0.as_str());
    assert_eq!(
        created["data"]["domain-ocid"],
        mock.ready["identity_domains"][1]["domain_ocid"]
    );

    let stats = mock.stats();
    assert_eq!(stats["auth_failures"], 0, "{stats}");
    assert_eq!(
        stats["requests"]["CreateAuthToken (SCIM)"]["by_status"]["201"], 2,
        "{stats}"
    );
    assert_eq!(
        stats["requests"]["DeleteAuthToken (SCIM)"]["by_status"]["204"], 1,
        "{stats}"
    );
    assert_eq!(stats["live_tokens"], 2, "{stats}");
}

/// The OCI Python SDK's `IdentityDomainsClient`, as Oracle's own examples use it.
#[test]
#[cfg_attr(
    missing_oci_sdk,
    ignore = "OCI Python SDK not found (a .venv python that can `import oci`): run scripts/setup-tools.sh"
)]
fn official_python_sdk_manages_domain_auth_tokens() {
    let python = test_support::oci_python();
    let tmp = tempfile::tempdir().unwrap();
    let mock = start_mock(tmp.path(), &["--users", "2"], Stdio::null());
    let (endpoint, users) = domain(&mock, 0);
    let script = r#"
import json, sys, oci
from oci.identity_domains import IdentityDomainsClient
from oci.identity_domains import models as m
config = oci.config.from_file(sys.argv[1])
client = IdentityDomainsClient(config, service_endpoint=sys.argv[2])
user = sys.argv[3]
AT = "urn:ietf:params:scim:schemas:oracle:idcs:authToken"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
made = client.create_auth_token(auth_token=m.AuthToken(
    schemas=[AT], description="sdk", expires_on="2030-01-01T00:00:00Z",
    user=m.AuthTokenUser(value=user))).data
got = client.get_auth_token(made.id).data
patched = client.patch_auth_token(made.ocid, patch_op=m.PatchOp(schemas=[PATCH], operations=[
    m.Operations(op="REPLACE", path="description", value="sdk 2"),
    m.Operations(op="REPLACE", path="status", value="INACTIVE")])).data
listed = client.list_auth_tokens(filter='user.value eq "%s"' % user, count=10,
    sort_by="description", sort_order="ASCENDING", attribute_sets=["all"]).data
searched = client.search_auth_tokens(auth_token_search_request=m.AuthTokenSearchRequest(
    schemas=["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
    filter='status eq "INACTIVE"')).data
errors = {}
try:
    client.list_auth_tokens(filter="user.value eq")
except oci.exceptions.ServiceError as e:
    errors["filter"] = [e.status, "position 13" in str(e)]
try:
    client.patch_auth_token(made.id, patch_op=m.PatchOp(schemas=[PATCH], operations=[
        m.Operations(op="REPLACE", path="expiresOn", value="2031-01-01T00:00:00Z")]))
except oci.exceptions.ServiceError as e:
    errors["immutable"] = e.status
my = client.create_my_auth_token(my_auth_token=m.MyAuthToken(schemas=[AT], description="mine")).data
my_list = client.list_my_auth_tokens().data
client.delete_my_auth_token(my.id)
client.delete_auth_token(made.id)
try:
    client.get_auth_token(made.id)
except oci.exceptions.ServiceError as e:
    errors["gone"] = e.status
after = client.list_auth_tokens().data
print(json.dumps({
    "secret_len": len(made.token or ""), "id": made.id, "got_id": got.id,
    "got_token": got.token, "got_status": got.status, "expires": got.expires_on,
    "patched": patched.description, "listed": [t.id for t in listed.resources],
    "total": listed.total_results, "items_per_page": listed.items_per_page,
    "start_index": listed.start_index, "searched": [t.id for t in searched.resources],
    "errors": errors, "my_user": my.user.ocid if my.user else None,
    "my_listed": [t.id for t in my_list.resources], "after": after.total_results,
}))
"#;
    let out = Command::new(&python)
        .args(["-c", script, mock.config_file.to_str().unwrap(), &endpoint])
        .arg(&users[0].0)
        .env("OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING", "True")
        .env("SUPPRESS_LABEL_WARNING", "True")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["secret_len"], 20, "{r}");
    assert_eq!(r["got_id"], r["id"]);
    assert!(r["got_token"].is_null() && r["got_status"].is_null(), "{r}");
    assert_eq!(r["expires"], "2030-01-01T00:00:00Z");
    assert_eq!(r["patched"], "sdk 2");
    assert_eq!(r["listed"], serde_json::json!([r["id"]]));
    assert_eq!(
        (&r["total"], &r["items_per_page"], &r["start_index"]),
        (
            &serde_json::json!(1),
            &serde_json::json!(10),
            &serde_json::json!(1)
        )
    );
    assert_eq!(r["searched"], serde_json::json!([r["id"]]));
    assert_eq!(
        r["errors"],
        serde_json::json!({"filter": [400, true], "immutable": 400, "gone": 404})
    );
    assert_eq!(r["my_user"], users[0].1.as_str());
    assert_eq!(r["my_listed"].as_array().unwrap().len(), 2, "{r}");
    assert_eq!(r["after"], 0);
    let stats = mock.stats();
    assert_eq!(stats["auth_failures"], 0, "{stats}");
    assert_eq!(stats["live_tokens"], 0, "{stats}");
}

#[test]
fn binary_serves_one_listener_per_domain() {
    let tmp = tempfile::tempdir().unwrap();
    let mock = start_mock(
        tmp.path(),
        &["--domains", "3", "--users", "2"],
        Stdio::null(),
    );
    let domains = mock.ready["identity_domains"].as_array().unwrap();
    assert_eq!(domains.len(), 3);
    let mut endpoints: Vec<&str> = domains
        .iter()
        .map(|d| d["idcs_endpoint"].as_str().unwrap())
        .collect();
    endpoints.push(&mock.endpoint);
    endpoints.sort();
    endpoints.dedup();
    assert_eq!(endpoints.len(), 4, "{}", mock.ready);
    assert_eq!(domains[0]["display_name"], "Default");
    for d in domains {
        assert_eq!(d["users"].as_array().unwrap().len(), 2, "{d}");
        // An unsigned request to a domain gets a SCIM 401.
        let host = d["idcs_endpoint"]
            .as_str()
            .unwrap()
            .trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(host).unwrap();
        use std::io::{Read as _, Write as _};
        write!(
            s,
            "GET /admin/v1/AuthTokens HTTP/1.0\r\nHost: {host}\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        assert!(
            text.starts_with("HTTP/1.0 401") || text.starts_with("HTTP/1.1 401"),
            "{text}"
        );
        assert!(
            text.contains("urn:ietf:params:scim:api:messages:2.0:Error"),
            "{text}"
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_oci-identity-mock"))
        .args([
            "--data-dir",
            tmp.path().join("x").to_str().unwrap(),
            "--domains",
            "0",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--domains"));
}
