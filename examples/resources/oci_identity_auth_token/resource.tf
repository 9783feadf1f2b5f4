resource "oci_identity_auth_token" "registry" {
  user_id     = var.user_ocid
  description = "OCIR push from CI"

  # Optional, as in the official provider (default 20m each):
  # timeouts {
  #   create = "10m"
  #   update = "10m"
  #   delete = "10m"
  # }
}

variable "user_ocid" {
  type = string
}

# The token is returned only at create. It is sensitive: plans and logs show
# "(sensitive value)", and outputs must be marked sensitive too.
output "registry_token" {
  value     = oci_identity_auth_token.registry.token
  sensitive = true
}
