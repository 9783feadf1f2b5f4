# Ephemeral auth token (Terraform 1.10+): the token exists only during the run. The
# provisioner proves it received a non-empty secret without printing or storing it.
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

ephemeral "oci_identity_auth_token" "run" {
  user_id     = var.user_ocid
  description = "compat: ephemeral"
}

resource "terraform_data" "use" {
  provisioner "local-exec" {
    command = "test -n \"$TOKEN\" && echo received > ephemeral-used"
    environment = {
      TOKEN = ephemeral.oci_identity_auth_token.run.token
    }
  }
}
