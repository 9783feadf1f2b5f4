# terraform query (Terraform 1.14+): every auth token of a user.
# `terraform query -generate-config-out=imported.tf` writes import and resource blocks.
list "oci_identity_auth_token" "all" {
  provider = oci

  config {
    user_id = var.user_ocid
    state   = "ACTIVE"
  }
}

variable "user_ocid" {
  type = string
}
