data "oci_identity_domains_my_auth_token" "mine" {
  idcs_endpoint    = var.idcs_endpoint
  my_auth_token_id = var.my_auth_token_id
}

variable "idcs_endpoint" {
  type = string
}

variable "my_auth_token_id" {
  type = string
}

output "my_token_description" {
  value = data.oci_identity_domains_my_auth_token.mine.description
}
