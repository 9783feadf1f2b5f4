data "oci_identity_domains_auth_token" "ci" {
  idcs_endpoint  = var.idcs_endpoint
  auth_token_id  = var.auth_token_id
  attribute_sets = ["all"] # also returns tags and the other request-only attributes
}

variable "idcs_endpoint" {
  type = string
}

variable "auth_token_id" {
  type = string
}

output "ci_token_expires_on" {
  value = data.oci_identity_domains_auth_token.ci.expires_on
}
