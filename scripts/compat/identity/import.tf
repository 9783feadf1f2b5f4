# Import by resource identity (Terraform 1.12+); scripts/compat.sh copies this file next to
# main/main.tf for that scenario only and sets var.import_id.
variable "import_id" {
  type = string
}

import {
  to = oci_identity_auth_token.t
  identity = {
    user_id = var.user_ocid
    id      = var.import_id
  }
}
