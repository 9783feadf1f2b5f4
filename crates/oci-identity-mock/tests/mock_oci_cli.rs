//! The official OCI CLI (Python SDK signer) and the OCI Python SDK against the mock binary.
//!
//! The CLI is `$OCI_CLI_BIN` or `<workspace>/.venv/bin/oci`, the SDK the Python next to it
//! (`scripts/setup-tools.sh` installs both). Without them these tests are ignored with that
//! reason; with env `CI` set they run and fail, saying what is missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use test_support::MockProcess;

/// The mock binary, started on a free port with its data in `dir/data`.
fn start_mock(dir: &Path, args: &[&str], stderr: Stdio) -> MockProcess {
    MockProcess::spawn(
        env!("CARGO_BIN_EXE_oci-identity-mock"),
        &dir.join("data"),
        args,
        stderr,
    )
}

struct Cli<'a> {
    bin: &'a Path,
    home: &'a Path,
    config: String,
    endpoint: String,
    mock_log: PathBuf,
}

impl Cli<'_> {
    /// Runs `oci <args> --config-file CFG --endpoint EP`; returns (success, stdout, stderr).
    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(self.bin)
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

    fn mock_log(&self) -> String {
        std::fs::read_to_string(&self.mock_log).unwrap_or_default()
    }

    fn json(&self, args: &[&str]) -> Value {
        let (ok, stdout, stderr) = self.run(args);
        assert!(
            ok,
            "oci {args:?} failed:\n{stderr}\n{stdout}\nmock log:\n{}",
            self.mock_log()
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
fn official_oci_cli_manages_auth_tokens() {
    let bin = test_support::oci_cli();
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mock_log = tmp.path().join("mock.log");
    let mock = start_mock(
        tmp.path(),
        &["--users", "2", "--log-level", "debug"],
        std::fs::File::create(&mock_log).unwrap().into(),
    );
    let user = mock.user_ocids[0].clone();
    let other_user = mock.user_ocids[1].clone();
    let cli = Cli {
        bin: &bin,
        home: &home,
        config: mock.config_file.display().to_string(),
        endpoint: mock.endpoint.clone(),
        mock_log,
    };

    // create
    let created = cli.json(&[
        "iam",
        "auth-token",
        "create",
        "--user-id",
        &user,
        "--description",
        "made by oci",
    ]);
    let data = &created["data"];
    let id = data["id"].as_str().unwrap().to_string();
    assert!(
        id.starts_with("ocid1.credential.oc1..aaaaaaaa"),
        "{created}"
    );
    assert_eq!(data["user-id"], user.as_str());
    assert_eq!(data["description"], "made by oci");
    assert_eq!(data["lifecycle-state"], "ACTIVE");
    assert_eq!(data["token"].as_str().unwrap().len(), 20);
    assert!(data["time-created"].as_str().is_some());
    assert!(created["etag"].as_str().is_some_and(|e| !e.is_empty()));

    // list
    let listed = cli.json(&["iam", "auth-token", "list", "--user-id", &user]);
    let items = listed["data"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed}");
    assert_eq!(items[0]["id"], id.as_str());
    assert!(items[0]["token"].is_null());

    // update
    let updated = cli.json(&[
        "iam",
        "auth-token",
        "update",
        "--user-id",
        &user,
        "--auth-token-id",
        &id,
        "--description",
        "renamed",
    ]);
    assert_eq!(updated["data"]["description"], "renamed");
    assert_eq!(updated["data"]["id"], id.as_str());
    assert!(updated["data"]["token"].is_null());
    let etag = updated["etag"].as_str().unwrap().to_string();

    // update with a stale if-match fails with 412
    let (ok, _, stderr) = cli.run(&[
        "iam",
        "auth-token",
        "update",
        "--user-id",
        &user,
        "--auth-token-id",
        &id,
        "--description",
        "x",
        "--if-match",
        "stale",
    ]);
    assert!(!ok);
    assert!(stderr.contains("NoEtagMatch"), "{stderr}");

    // The signer of another profile works too (signing the other user's request).
    let created2 = cli.json(&[
        "iam",
        "auth-token",
        "create",
        "--user-id",
        &other_user,
        "--description",
        "by USER1",
        "--profile",
        "USER1",
    ]);
    assert_eq!(created2["data"]["user-id"], other_user.as_str());

    // delete (with the current etag), then the list is empty
    let (ok, stdout, stderr) = cli.run(&[
        "iam",
        "auth-token",
        "delete",
        "--user-id",
        &user,
        "--auth-token-id",
        &id,
        "--if-match",
        &etag,
        "--force",
    ]);
    assert!(
        ok,
        "delete failed:\n{stderr}\n{stdout}\nmock log:\n{}",
        cli.mock_log()
    );
    let (ok, stdout, stderr) = cli.run(&["iam", "auth-token", "list", "--user-id", &user]);
    assert!(ok, "{stderr}");
    // The CLI prints nothing for an empty list (so the output alone proves little: the mock's
    // count of live tokens says the deleted one is gone and only USER1's token is left).
    if !stdout.trim().is_empty() {
        let v: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(v["data"].as_array().map(Vec::len), Some(0), "{v}");
    }
    let stats = mock.stats();
    assert_eq!(stats["live_tokens"], 1, "{stats}");
    assert_eq!(
        stats["requests"]["DeleteAuthToken"]["by_status"]["204"], 1,
        "{stats}"
    );

    // Errors come through with their codes.
    let (ok, _, stderr) = cli.run(&[
        "iam",
        "auth-token",
        "list",
        "--user-id",
        "ocid1.user.oc1..aaaaaaaanobody",
    ]);
    assert!(!ok);
    assert!(stderr.contains("NotAuthorizedOrNotFound"), "{stderr}");

    // Every request the CLI sent was authenticated.
    let log = cli.mock_log();
    assert!(!log.contains("not authenticated"), "{log}");
    assert!(!log.contains(" 401 "), "{log}");
    // The same from the mock's counters, which do not depend on its log format.
    let stats = mock.stats();
    assert_eq!(stats["auth_failures"], 0, "{stats}");
    assert_eq!(
        stats["requests"]["CreateAuthToken"]["by_status"]["200"], 2,
        "both creates reached the API: {stats}"
    );
}

/// The OCI Python SDK, used directly (as scripts and other tools would), against the mock.
#[test]
#[cfg_attr(
    missing_oci_sdk,
    ignore = "OCI Python SDK not found (a .venv python that can `import oci`): run scripts/setup-tools.sh"
)]
fn official_python_sdk_manages_auth_tokens() {
    let python = test_support::oci_python();
    let tmp = tempfile::tempdir().unwrap();
    let mock = start_mock(tmp.path(), &[], Stdio::null());
    let script = r#"
import json, sys, oci
config = oci.config.from_file(sys.argv[1])
client = oci.identity.IdentityClient(config, service_endpoint=sys.argv[2])
user = sys.argv[3]
made = client.create_auth_token(oci.identity.models.CreateAuthTokenDetails(description="sdk"), user).data
listed = client.list_auth_tokens(user).data
updated = client.update_auth_token(user, made.id, oci.identity.models.UpdateAuthTokenDetails(description="sdk 2")).data
try:
    client.create_auth_token(oci.identity.models.CreateAuthTokenDetails(description="x" * 401), user)
    too_long = None
except oci.exceptions.ServiceError as e:
    too_long = [e.status, e.code]
client.delete_auth_token(user, made.id)
after = client.list_auth_tokens(user).data
print(json.dumps({
    "secret_len": len(made.token or ""),
    "listed": [t.id for t in listed],
    "listed_secret": [t.token for t in listed],
    "updated": updated.description,
    "too_long": too_long,
    "after": len(after),
    "id": made.id,
}))
"#;
    let out = Command::new(&python)
        .args([
            "-c",
            script,
            mock.config_file.to_str().unwrap(),
            &mock.endpoint,
        ])
        .arg(&mock.user_ocids[0])
        .env("OCI_CLI_SUPPRESS_FILE_PERMISSIONS_WARNING", "True")
        .env("SUPPRESS_LABEL_WARNING", "True")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r["secret_len"].as_u64().unwrap() >= 10, "{r}");
    assert_eq!(r["listed"], serde_json::json!([r["id"]]));
    assert_eq!(
        r["listed_secret"],
        serde_json::json!([null]),
        "lists never carry the secret"
    );
    assert_eq!(r["updated"], "sdk 2");
    assert_eq!(r["too_long"], serde_json::json!([400, "InvalidParameter"]));
    assert_eq!(r["after"], 0);
    let stats = mock.stats();
    assert_eq!(
        stats["auth_failures"], 0,
        "every SDK request was signed right: {stats}"
    );
    assert_eq!(stats["live_tokens"], 0, "{stats}");
}
