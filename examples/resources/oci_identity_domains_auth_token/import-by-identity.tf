# Terraform 1.12+: import by resource identity instead of an ID string.
import {
  to = oci_identity_domains_auth_token.ci
  identity = {
    idcs_endpoint = data.oci_identity_domain.default.url
    id            = var.auth_token_id
  }
}

variable "auth_token_id" {
  type = string
}
