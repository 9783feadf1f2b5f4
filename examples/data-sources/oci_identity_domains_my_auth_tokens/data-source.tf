# The calling user's own auth tokens in an identity domain.
variable "idcs_endpoint" {
  type        = string
  description = "The domain URL, e.g. data.oci_identity_domain.this.url"
}

data "oci_identity_domains_my_auth_tokens" "mine" {
  idcs_endpoint       = var.idcs_endpoint
  my_auth_token_count = 50
}

output "my_token_descriptions" {
  value = data.oci_identity_domains_my_auth_tokens.mine.my_auth_tokens[*].description
}
