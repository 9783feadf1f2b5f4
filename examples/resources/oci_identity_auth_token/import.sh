# An auth token is imported by user and token OCID. Its secret cannot be read back from
# the API, so after import the `token` attribute is null.
terraform import oci_identity_auth_token.registry "users/<user OCID>/authTokens/<auth token OCID>"
