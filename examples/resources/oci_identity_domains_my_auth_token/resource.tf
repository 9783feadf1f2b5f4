# An auth token of the user the provider signs in as (`/admin/v1/MyAuthTokens`).
data "oci_identity_domain" "default" {
  domain_id = var.domain_ocid
}

resource "oci_identity_domains_my_auth_token" "mine" {
  idcs_endpoint = data.oci_identity_domain.default.url
  schemas       = ["urn:ietf:params:scim:schemas:oracle:idcs:authToken"]
  description   = "my laptop"
  expires_on    = "2030-01-01T00:00:00Z"
}

variable "domain_ocid" {
  type = string
}

# Set when the create response carries the value (sensitive).
output "my_token" {
  value     = oci_identity_domains_my_auth_token.mine.token
  sensitive = true
}
