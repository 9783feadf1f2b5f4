data "oci_identity_domains" "all" {
  compartment_id = var.tenancy_ocid
  state          = "ACTIVE"

  filter {
    name   = "type"
    values = ["DEFAULT"]
  }
}

variable "tenancy_ocid" {
  type = string
}

output "default_domain_url" {
  value = one(data.oci_identity_domains.all.domains[*].url)
}
