# Smoke-suite configuration of scripts/compat.sh, applied by every Terraform version of the
# matrix. Credentials come from OCI_CONFIG_FILE and the endpoint from CLIENT_HOST_OVERRIDES
# (the mock's), as for the official provider. Only features of Terraform 1.0 are used here.
terraform {
  required_providers {
    oci = {
      source = "oracle/oci"
    }
  }
}

provider "oci" {}

variable "user_ocid" {
  type = string
}

variable "description" {
  type = string
}

resource "oci_identity_auth_token" "t" {
  user_id     = var.user_ocid
  description = var.description
}

data "oci_identity_auth_tokens" "active" {
  user_id    = oci_identity_auth_token.t.user_id
  depends_on = [oci_identity_auth_token.t]

  filter {
    name   = "state"
    values = ["ACTIVE"]
  }
}

output "token_id" {
  value = oci_identity_auth_token.t.id
}

output "listed" {
  value = [for t in data.oci_identity_auth_tokens.active.tokens : "${t.id} ${t.state} ${t.description}"]
}
