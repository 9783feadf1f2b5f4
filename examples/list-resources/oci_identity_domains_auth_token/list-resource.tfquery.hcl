# terraform query (Terraform 1.14+): the domain-wide auth token inventory.
# `terraform query -generate-config-out=imported.tf` writes import and resource blocks.
list "oci_identity_domains_auth_token" "expired" {
  provider = oci
  limit    = 500

  config {
    idcs_endpoint = var.idcs_endpoint
    status        = "ACTIVE"
    expired       = true
  }
}

list "oci_identity_domains_auth_token" "ci_tokens_of_a_user" {
  provider = oci

  config {
    idcs_endpoint     = var.idcs_endpoint
    user              = var.user_id # SCIM id or OCID
    description_regex = "^ci-"
    filter            = "meta.created gt \"2026-01-01T00:00:00Z\""
  }
}

variable "idcs_endpoint" {
  type = string
}

variable "user_id" {
  type = string
}
