# The domain's URL is the SCIM API endpoint (`idcs_endpoint`).
data "oci_identity_domain" "default" {
  domain_id = var.domain_ocid
}

resource "oci_identity_domains_auth_token" "ci" {
  idcs_endpoint = data.oci_identity_domain.default.url
  schemas       = ["urn:ietf:params:scim:schemas:oracle:idcs:authToken"]

  description = "OCIR push from CI" # updated in place
  status      = "ACTIVE"            # updated in place; never returned, so kept as configured
  expires_on  = "2030-01-01T00:00:00Z"

  tags { # updated in place
    key   = "team"
    value = "platform"
  }

  user {
    value = var.user_scim_id # or ocid = "<user OCID>"
  }

  # No `lifecycle { ignore_changes = [status, ...] }` needed: fields the API never returns
  # keep their configured values.
}

variable "domain_ocid" {
  type = string
}

variable "user_scim_id" {
  type = string
}

# The token is returned only at create. It is sensitive: outputs must be marked sensitive.
output "ci_token" {
  value     = oci_identity_domains_auth_token.ci.token
  sensitive = true
}
