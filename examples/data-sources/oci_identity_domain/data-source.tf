data "oci_identity_domain" "default" {
  domain_id = var.domain_ocid
}

variable "domain_ocid" {
  type = string
}

# The idcs_endpoint of the domain's SCIM API.
output "idcs_endpoint" {
  value = data.oci_identity_domain.default.url
}
