//! Per-service clients resolve their own endpoints from one resolved configuration, against
//! the in-process mock Identity API.

use oci_client::identity_domains::ListQuery;
use oci_client::{resolve, ClientOptions, IdentityClient, IdentityDomainsClient, Settings};
use oci_identity_mock::{self as mock, MockOptions};

fn env_for(
    dir: &tempfile::TempDir,
    config_file: &std::path::Path,
) -> impl Fn(&str) -> Option<String> {
    let vars = [
        ("HOME".to_owned(), dir.path().display().to_string()),
        (
            "OCI_CONFIG_FILE".to_owned(),
            config_file.display().to_string(),
        ),
    ];
    move |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
}

#[tokio::test]
async fn identity_finds_its_endpoint_and_domains_take_one_per_call() {
    let dir = tempfile::tempdir().unwrap();
    let mock = mock::start(MockOptions {
        data_dir: dir.path().join("mock"),
        ..Default::default()
    })
    .await
    .expect("mock starts");
    let env = env_for(&dir, &mock.config_file);

    // No host override: the explicit setting alone points Identity at the mock.
    let settings = Settings {
        identity_endpoint: Some(format!("{}/", mock.endpoint)),
        ..Default::default()
    };
    let cfg = resolve(&settings, &env).unwrap();
    let options = ClientOptions {
        user_agent: "service-clients-test/1".into(),
        ..Default::default()
    };
    let identity = IdentityClient::with_options(&cfg, &options).unwrap();
    assert_eq!(identity.base_url(), mock.endpoint);
    let tokens = identity
        .list_auth_tokens(&mock.user_ocids[0])
        .await
        .unwrap();
    assert!(tokens.is_empty());

    // The same credentials serve a domain given per call; the mock has no SCIM API, so the
    // answer is an error that is not a SCIM body (and therefore not a "not found" verdict),
    // and the request went to the SCIM base path.
    let domains = IdentityDomainsClient::with_options(&cfg, &options).unwrap();
    let err = domains
        .list_auth_tokens(&mock.endpoint, &ListQuery::default())
        .await
        .unwrap_err();
    assert!(err.status().is_some(), "{err}");
    assert!(err.scim.is_none() && !err.is_not_found(), "{err}");
    assert_eq!(
        err.target,
        format!("GET {}/admin/v1/AuthTokens", mock.endpoint)
    );

    // Without a region or any endpoint setting, Identity names what is missing.
    let bare = resolve(&Settings::default(), &env).unwrap();
    let mut no_region = bare.clone();
    no_region.region.clear();
    let err = IdentityClient::endpoint(&no_region).unwrap_err();
    assert_eq!(err.argument, Some("region"));
    // Domains need no region at all.
    assert!(IdentityDomainsClient::new(&no_region).is_ok());
    mock.stop().await;
}
