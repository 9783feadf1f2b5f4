# The auth tokens of a user in an identity domain, every page of them.
variable "idcs_endpoint" {
  type        = string
  description = "The domain URL, e.g. data.oci_identity_domain.this.url"
}

variable "user_id" {
  type        = string
  description = "The user's SCIM id"
}

data "oci_identity_domains_auth_tokens" "of_user" {
  idcs_endpoint     = var.idcs_endpoint
  auth_token_filter = "user.value eq \"${var.user_id}\""
  # The page size; every page is read.
  auth_token_count = 10
  sort_by          = "meta.created"
  sort_order       = "ASCENDING"
}

output "token_ids" {
  value = data.oci_identity_domains_auth_tokens.of_user.auth_tokens[*].id
}

output "total_results" {
  value = data.oci_identity_domains_auth_tokens.of_user.total_results
}
