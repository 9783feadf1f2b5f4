//! The registry documentation in `docs/` is generated from the schemas and the examples;
//! this test fails when it is stale. Regenerate with `UPDATE_DOCS=1 cargo test --test docs`.

use terraform_provider_oci::OciProvider;
use tfplugin::docs::schema_markdown;
use tfplugin::framework::Provider;

fn example(rel: &str) -> String {
    std::fs::read_to_string(test_support::example(rel)).unwrap()
}

fn front_matter(title: &str, description: &str) -> String {
    format!("---\npage_title: \"{title}\"\nsubcategory: \"Identity\"\ndescription: |-\n  {description}\n---\n\n")
}

fn pages() -> Vec<(&'static str, String)> {
    let p = OciProvider::new();
    let resource = p.resources().into_iter().next().unwrap().schema();
    let data_source = p.data_sources().into_iter().next().unwrap().schema();
    let list = p.list_resources().into_iter().next().unwrap().schema();
    let ephemeral = p.ephemeral_resources().into_iter().next().unwrap().schema();
    let provider = p.schema();

    let index = format!(
        "{}# OCI Provider (auth tokens)\n\n{}\n\nCredentials are read as the official `oracle/oci` provider reads them: provider arguments first, then `TF_VAR_<argument>` and `OCI_<ARGUMENT>` environment variables, then the `~/.oci/config` profile (`OCI_CONFIG_FILE` or `OCI_CLI_CONFIG_FILE` name another file; named profiles inherit `[DEFAULT]`). Private keys may be PKCS#1, PKCS#8, encrypted PKCS#8 or legacy OpenSSL-encrypted PEM. `CLIENT_HOST_OVERRIDES=oci_identity.IdentityClient=URL` or `identity_endpoint` point the provider at another Identity endpoint, such as `oci-identity-mock`.\n\nAPI calls that are throttled (429), fail on the server (5xx), conflict (409) or lose their connection are retried with jittered exponential backoff within `retry_duration_seconds`; 400, 401, 403, 404 and 412 are not. A create keeps one `opc-retry-token` across its attempts, so a create whose response was lost is not duplicated.\n\n## Example Usage\n\n```terraform\n{}```\n\n{}",
        front_matter("Provider: OCI (auth tokens)", "Manages OCI Identity auth tokens."),
        provider.block.description,
        example("provider/provider.tf"),
        schema_markdown(&provider.block)
    );
    let resource_page = format!(
        "{}# oci_identity_auth_token (Resource)\n\n{}\n\n~> The API returns the token value only when the token is created. It is stored in state (marked sensitive) and kept there; **an imported token has `token = null`**, because no API call can read the secret back.\n\n## Example Usage\n\n```terraform\n{}```\n\n{}\n## Import\n\nImport by user and token OCID, the official provider's ID format:\n\n```shell\n{}```\n\nOr, with Terraform 1.12 and later, by resource identity:\n\n```terraform\n{}```\n",
        front_matter("oci_identity_auth_token Resource - oci", "An auth token of an OCI IAM user."),
        resource.block.description,
        example("resources/oci_identity_auth_token/resource.tf"),
        schema_markdown(&resource.block),
        example("resources/oci_identity_auth_token/import.sh"),
        example("resources/oci_identity_auth_token/import-by-identity.tf"),
    );
    let data_source_page = format!(
        "{}# oci_identity_auth_tokens (Data Source)\n\n{}\n\n## Example Usage\n\n```terraform\n{}```\n\n{}",
        front_matter("oci_identity_auth_tokens Data Source - oci", "The auth tokens of an OCI IAM user."),
        data_source.block.description,
        example("data-sources/oci_identity_auth_tokens/data-source.tf"),
        schema_markdown(&data_source.block)
    );
    let list_page = format!(
        "{}# oci_identity_auth_token (List Resource)\n\n{}\n\nEach result carries the token's identity (`user_id`, `id`) and the display name `<description> (<id>)`. `terraform query -generate-config-out=FILE` writes `import` and `resource` blocks that plan with no changes.\n\n## Example Usage\n\n```terraform\n{}```\n\n{}",
        front_matter("oci_identity_auth_token List Resource - oci", "Lists the auth tokens of an OCI IAM user."),
        list.block.description,
        example("list-resources/oci_identity_auth_token/list-resource.tfquery.hcl"),
        schema_markdown(&list.block)
    );
    let ephemeral_page = format!(
        "{}# oci_identity_auth_token (Ephemeral Resource)\n\n{}\n\nRequires Terraform 1.10 or later. The result is available to provider blocks, provisioners, write-only arguments, locals and `ephemeral = true` outputs and variables, never to ordinary resource arguments.\n\n~> **Two tokens per apply.** Terraform opens an ephemeral resource in every walk that needs it: `terraform apply` without a saved plan creates and deletes two short-lived tokens (one in the plan walk, one in the apply walk), `terraform plan` (speculative plans included) one, and `terraform apply PLANFILE` one. Each needs a free slot of the user's two, as do concurrent runs for the same user. Point it at a user whose slots are not held by long-lived tokens.\n\n~> **Only for the run.** The token is deleted when the run no longer needs it, so it does not fit a credential that must outlive the run (a Kubernetes image pull secret, a secret stored in a vault, a `docker login` on another machine): use the [`oci_identity_auth_token` resource](../resources/identity_auth_token.md) for those, and the `rotate-auth-token` module in `examples/modules/` to rotate it.\n\n## Leases: no leftovers\n\nEvery token it creates ends its description with a lease marker, `[tf-ephemeral lease=<RFC 3339 UTC time>]`, `lease` (default `1h`) after the open; while the run still uses the token, the provider renews the lease shortly before it ends. When the run is done the token is deleted: by Terraform's close, or, when Terraform skips the close (it does so when a consumer of the value failed, for example a failed provisioner), by the provider when Terraform shuts it down. A failed deletion is a warning naming the token. When Terraform is killed, the token stays until its lease ends; the next open for the same user deletes every token whose lease has passed, and never touches tokens without the marker or with a lease still running. To find leftovers, list the user's tokens with `terraform query` (`description_regex = \"\\\\[tf-ephemeral lease=\"`) or the `oci_identity_auth_tokens` data source.\n\nWhen the user already holds two tokens that it may not delete, the open fails with a diagnostic listing them (id, description, creation time, and whether they are managed elsewhere or leased by another run) and creates or deletes nothing. If anything fails after the token was created (for example the wait for it to become `ACTIVE`), the open deletes it again.\n\n## Example Usage\n\n```terraform\n{}```\n\n{}",
        front_matter("oci_identity_auth_token Ephemeral Resource - oci", "A short-lived OCI IAM auth token for one Terraform run, never stored in plan or state."),
        ephemeral.block.description,
        example("ephemeral-resources/oci_identity_auth_token/ephemeral-resource.tf"),
        schema_markdown(&ephemeral.block)
    );
    let mut pages = vec![
        ("index.md", index),
        ("resources/identity_auth_token.md", resource_page),
        ("data-sources/identity_auth_tokens.md", data_source_page),
        ("list-resources/identity_auth_token.md", list_page),
        ("ephemeral-resources/identity_auth_token.md", ephemeral_page),
    ];
    pages.extend(domains_pages(&p));
    pages.extend(inventory_pages(&p));
    pages.push(ephemeral_domains_page(&p));
    pages
}

/// The ephemeral `oci_identity_domains_auth_token`.
fn ephemeral_domains_page(p: &OciProvider) -> (&'static str, String) {
    let schema = p
        .ephemeral_resources()
        .into_iter()
        .find(|e| e.type_name() == "oci_identity_domains_auth_token")
        .expect("the domains ephemeral resource")
        .schema();
    let page = format!(
        "{}# oci_identity_domains_auth_token (Ephemeral Resource)\n\n{}\n\nRequires Terraform 1.10 or later. The result is available to provider blocks, provisioners, write-only arguments, locals and `ephemeral = true` outputs and variables, never to ordinary resource arguments. The official `oracle/oci` provider has no ephemeral resources; the `user` block is the one of its `oci_identity_domains_auth_token` resource (`value` = the user's SCIM id and/or `ocid`).\n\n~> **Two tokens per apply.** Terraform opens an ephemeral resource in every walk that needs it: `terraform apply` without a saved plan creates and deletes two short-lived tokens (one in the plan walk, one in the apply walk), `terraform plan` (speculative plans included) one, and `terraform apply PLANFILE` one. Each needs a free slot of the user's two, as do concurrent runs for the same user. Point it at a user whose slots are not held by long-lived tokens.\n\n~> **Only for the run.** The token is deleted when the run no longer needs it, so it does not fit a credential that must outlive the run: use the [`oci_identity_domains_auth_token` resource](../resources/identity_domains_auth_token.md) for those.\n\n## Leases and expiry: no leftovers\n\nEvery token it creates ends its description with a lease marker, `[tf-ephemeral lease=<RFC 3339 UTC time>]`, `lease` (default `1h`) after the open; while the run still uses the token, the provider renews the lease (one SCIM PATCH of `description`) shortly before it ends. When the run is done the token is deleted (a 404 counts as deleted; another failure is a warning naming the token). When Terraform is killed, the token stays until its lease ends; the next open for the same user deletes every token that carries the marker and whose lease (or `expires_on`) has passed, and never touches tokens without the marker or with a lease still running. To find leftovers, list the user's tokens with the `oci_identity_domains_auth_token` list resource (`description_regex = \"\\\\[tf-ephemeral lease=\"`) or the `oci_identity_domains_auth_tokens` data source.\n\nThe token also carries a **service-side expiry** (`expiresOn`), so the domain retires it even if no later open ever runs for that user. SCIM cannot change `expiresOn` after the create, so renewing the lease cannot move it: it is set once, to the later of the first lease end and 24 hours after the open. A shorter expiry would cut off a run that renews a short lease; a run that lasts longer than that loses the token at `expires_on` (the provider stops renewing then).\n\nWhen the user already holds two tokens that it may not delete, the open fails with a diagnostic on `user` listing them (id, OCID, description, creation time, whether they are managed elsewhere or leased by another run, and whether they have expired but still count) and creates or deletes nothing. After the create, the open waits until the domain lists the token (SCIM shows no `CREATING` state); if anything fails after the token was created, the open deletes it again.\n\n## Example Usage\n\n```terraform\n{}```\n\n{}",
        front_matter("oci_identity_domains_auth_token Ephemeral Resource - oci", "A short-lived auth token of an identity-domain user for one Terraform run, never stored in plan or state."),
        schema.block.description,
        example("ephemeral-resources/oci_identity_domains_auth_token/ephemeral-resource.tf"),
        schema_markdown(&schema.block)
    );
    ("ephemeral-resources/identity_domains_auth_token.md", page)
}

/// The Identity Domains resources and the data sources that go with them.
fn domains_pages(p: &OciProvider) -> Vec<(&'static str, String)> {
    let resource = |name: &str| {
        p.resources()
            .into_iter()
            .find(|r| r.type_name() == name)
            .unwrap()
            .schema()
    };
    let data_source = |name: &str| {
        p.data_sources()
            .into_iter()
            .find(|d| d.type_name() == name)
            .unwrap()
            .schema()
    };
    let secret_note = "~> The API returns the token value only when the token is created. It is stored in state (marked sensitive) and kept there; **an imported token has `token = null`**, because no API call can read the secret back.";
    let admin = resource("oci_identity_domains_auth_token");
    let admin_page = format!(
        "{}# oci_identity_domains_auth_token (Resource)\n\n{}\n\n{secret_note}\n\nDifferences from the official provider: `description`, `status` and `tags` are updated in place with one SCIM PATCH (the official provider replaces the token); `attribute_sets`, `attributes`, `authorization`, `resource_type_schema_version` and the self-change extension change without an API call; `status` and the self-change extension, which the API never returns, keep their configured values, so the official example plans empty after apply without its `lifecycle {{ ignore_changes }}`; `token` and `authorization` are sensitive; SCIM errors show their `detail`, `scimType`/`messageId` and a hint instead of `400-BadErrorResponse`.\n\n## Example Usage\n\n```terraform\n{}```\n\n{}\n## Import\n\nImport by domain URL and SCIM id, the official provider's ID format:\n\n```shell\n{}```\n\nOr, with Terraform 1.12 and later, by resource identity (`idcs_endpoint`, `id`):\n\n```terraform\n{}```\n",
        front_matter("oci_identity_domains_auth_token Resource - oci", "An auth token of a user in an OCI identity domain."),
        admin.block.description,
        example("resources/oci_identity_domains_auth_token/resource.tf"),
        schema_markdown(&admin.block),
        example("resources/oci_identity_domains_auth_token/import.sh"),
        example("resources/oci_identity_domains_auth_token/import-by-identity.tf"),
    );
    let my = resource("oci_identity_domains_my_auth_token");
    let my_page = format!(
        "{}# oci_identity_domains_my_auth_token (Resource)\n\n{}\n\n{secret_note} The official type has no `token` attribute at all.\n\n## Example Usage\n\n```terraform\n{}```\n\n{}\n## Import\n\n```shell\n{}```\n\nOr by resource identity (`idcs_endpoint`, `id`).\n",
        front_matter("oci_identity_domains_my_auth_token Resource - oci", "An auth token of the calling user in an OCI identity domain."),
        my.block.description,
        example("resources/oci_identity_domains_my_auth_token/resource.tf"),
        schema_markdown(&my.block),
        example("resources/oci_identity_domains_my_auth_token/import.sh"),
    );
    let mut pages = vec![
        ("resources/identity_domains_auth_token.md", admin_page),
        ("resources/identity_domains_my_auth_token.md", my_page),
    ];
    for (file, name, what) in [
        (
            "data-sources/identity_domains_auth_token.md",
            "oci_identity_domains_auth_token",
            "An auth token of an identity domain, by id.",
        ),
        (
            "data-sources/identity_domains_my_auth_token.md",
            "oci_identity_domains_my_auth_token",
            "An auth token of the calling user in an identity domain, by id.",
        ),
        (
            "data-sources/identity_domain.md",
            "oci_identity_domain",
            "An identity domain, by OCID.",
        ),
        (
            "data-sources/identity_domains.md",
            "oci_identity_domains",
            "The identity domains of a compartment.",
        ),
    ] {
        let schema = data_source(name);
        pages.push((
            file,
            format!(
                "{}# {name} (Data Source)\n\n{}\n\n## Example Usage\n\n```terraform\n{}```\n\n{}",
                front_matter(&format!("{name} Data Source - oci"), what),
                schema.block.description,
                example(&format!("data-sources/{name}/data-source.tf")),
                schema_markdown(&schema.block)
            ),
        ));
    }
    pages
}

/// The Identity Domains inventory: the plural data sources and the list resource.
fn inventory_pages(p: &OciProvider) -> Vec<(&'static str, String)> {
    let data_source = |name: &str| {
        p.data_sources()
            .into_iter()
            .find(|d| d.type_name() == name)
            .unwrap_or_else(|| panic!("no data source {name}"))
            .schema()
    };
    let list = p
        .list_resources()
        .into_iter()
        .find(|l| l.type_name() == "oci_identity_domains_auth_token")
        .expect("the domains list resource")
        .schema();
    let paging = "Every page is read, as in the official provider (`startIndex` moves by `itemsPerPage` while results remain), with the count argument as the page size. A page that cannot be followed safely — `itemsPerPage = 0`, a missing `totalResults`/`startIndex`/`itemsPerPage`, an empty page before the end, a `startIndex` that does not advance — ends the read with an error instead of looping. `items_per_page`, `start_index`, `total_results` and `schemas` are those of the first page. The secret `token` is never listed: the service returns it only at create.\n\nA filter the service rejects is reported on the filter argument with the service's `detail`, `scimType`/`messageId`, the filter with a caret under the position named, the operation and the opc-request-id.";
    let tokens = data_source("oci_identity_domains_auth_tokens");
    let tokens_page = format!(
        "{}# oci_identity_domains_auth_tokens (Data Source)\n\n{}\n\n{paging}\n\n`auth_token_filter = \"idcsEndpoint/<idcs_endpoint>/users/<user id>\"` (the form resource discovery uses) means `user.value eq \"<user id>\"`, as in the official provider.\n\n## Example Usage\n\n```terraform\n{}```\n\n{}",
        front_matter("oci_identity_domains_auth_tokens Data Source - oci", "The auth tokens of an identity domain."),
        tokens.block.description,
        example("data-sources/oci_identity_domains_auth_tokens/data-source.tf"),
        schema_markdown(&tokens.block)
    );
    let mine = data_source("oci_identity_domains_my_auth_tokens");
    let mine_page = format!(
        "{}# oci_identity_domains_my_auth_tokens (Data Source)\n\n{}\n\n{paging}\n\n## Example Usage\n\n```terraform\n{}```\n\n{}",
        front_matter("oci_identity_domains_my_auth_tokens Data Source - oci", "The calling user's auth tokens in an identity domain."),
        mine.block.description,
        example("data-sources/oci_identity_domains_my_auth_tokens/data-source.tf"),
        schema_markdown(&mine.block)
    );
    let list_page = format!(
        "{}# oci_identity_domains_auth_token (List Resource)\n\n{}\n\n`user`, `status` and `filter` are sent to the service as one SCIM filter (`(<filter>) and user.value eq \"…\" and status eq \"…\"`; `user.ocid` for an OCID); `expired` and `description_regex` are applied to each page as it arrives. Pages of up to 100 tokens are requested one at a time and their tokens sent on at once, so the domain is never loaded whole, and no further page is requested once `limit` results are out.\n\nEach result carries the token's identity (`idcs_endpoint`, `id`) and the display name `<description> (<user name>, <id>)`. `terraform query -generate-config-out=FILE` writes `import` and `resource` blocks for `oci_identity_domains_auth_token` that plan with no changes.\n\n## Example Usage\n\n```terraform\n{}```\n\n{}",
        front_matter("oci_identity_domains_auth_token List Resource - oci", "The domain-wide inventory of auth tokens."),
        list.block.description,
        example("list-resources/oci_identity_domains_auth_token/list-resource.tfquery.hcl"),
        schema_markdown(&list.block)
    );
    vec![
        ("data-sources/identity_domains_auth_tokens.md", tokens_page),
        ("data-sources/identity_domains_my_auth_tokens.md", mine_page),
        ("list-resources/identity_domains_auth_token.md", list_page),
    ]
}

#[test]
fn docs_are_generated_from_the_schemas() {
    let docs = test_support::workspace_root().join("docs");
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    let mut stale = Vec::new();
    for (rel, content) in pages() {
        let path = docs.join(rel);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &content).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(content.as_str()) {
            stale.push(rel);
        }
    }
    assert!(
        stale.is_empty(),
        "stale docs {stale:?}: run `UPDATE_DOCS=1 cargo test --test docs`"
    );
}

#[test]
fn every_attribute_is_described() {
    let p = OciProvider::new();
    let mut blocks = vec![("provider".to_string(), p.schema().block)];
    blocks.extend(
        p.resources()
            .iter()
            .map(|r| (r.type_name().to_string(), r.schema().block)),
    );
    blocks.extend(
        p.data_sources()
            .iter()
            .map(|d| (d.type_name().to_string(), d.schema().block)),
    );
    blocks.extend(
        p.list_resources()
            .iter()
            .map(|l| (format!("list {}", l.type_name()), l.schema().block)),
    );
    blocks.extend(
        p.ephemeral_resources()
            .iter()
            .map(|e| (format!("ephemeral {}", e.type_name()), e.schema().block)),
    );
    while let Some((name, block)) = blocks.pop() {
        for a in &block.attributes {
            assert!(
                !a.description.is_empty(),
                "{name}.{} has no description",
                a.name
            );
        }
        for b in &block.blocks {
            blocks.push((format!("{name}.{}", b.type_name), b.block.clone()));
        }
    }
}
