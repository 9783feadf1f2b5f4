# terraform query (Terraform 1.14+); scripts/compat.sh copies this file next to main/main.tf
# for that scenario only.
list "oci_identity_auth_token" "all" {
  provider = oci

  config {
    user_id = var.user_ocid
    state   = "ACTIVE"
  }
}
