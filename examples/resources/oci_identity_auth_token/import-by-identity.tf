# Terraform 1.12+: import by resource identity instead of an ID string.
import {
  to = oci_identity_auth_token.registry
  identity = {
    user_id = var.user_ocid
    id      = var.auth_token_ocid
  }
}

variable "auth_token_ocid" {
  type = string
}
