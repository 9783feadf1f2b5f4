data "oci_identity_domain" "this" {
  domain_id = var.domain_id
}

variable "domain_id" {
  type = string
}

# The idcs_endpoint of the domain's SCIM API.
output "idcs_endpoint" {
  value = data.oci_identity_domain.this.url
}
