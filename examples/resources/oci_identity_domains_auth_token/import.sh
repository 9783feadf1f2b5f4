# An Identity Domains auth token is imported by domain URL and SCIM id, the official
# provider's ID format. Its secret cannot be read back, so after import `token` is null.
terraform import oci_identity_domains_auth_token.ci "idcsEndpoint/<idcs_endpoint>/authTokens/<auth token id>"
