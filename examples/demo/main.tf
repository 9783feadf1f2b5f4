# The demo that scripts/demo.sh applies against oci-identity-mock. Nothing here is
# mock-specific: credentials come from the OCI config file (OCI_CONFIG_FILE) and the
# endpoint from CLIENT_HOST_OVERRIDES, as they would for the official provider.
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

resource "oci_identity_auth_token" "demo" {
  user_id     = var.user_ocid
  description = "demo: registry push token"
}

data "oci_identity_auth_tokens" "mine" {
  user_id    = var.user_ocid
  depends_on = [oci_identity_auth_token.demo]

  filter {
    name   = "state"
    values = ["ACTIVE"]
  }
}

output "token_id" {
  value = oci_identity_auth_token.demo.id
}

output "token" {
  value     = oci_identity_auth_token.demo.token
  sensitive = true
}

output "listed_tokens" {
  value = [for t in data.oci_identity_auth_tokens.mine.tokens : "${t.id} ${t.state} ${t.description}"]
}
