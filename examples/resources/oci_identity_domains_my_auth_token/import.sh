# Imported by domain URL and SCIM id; `token` is null after import.
terraform import oci_identity_domains_my_auth_token.mine "idcsEndpoint/<idcs_endpoint>/myAuthTokens/<auth token id>"
