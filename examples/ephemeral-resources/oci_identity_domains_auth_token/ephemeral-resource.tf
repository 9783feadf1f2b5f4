variable "domain_id" {
  description = "OCID of the identity domain (e.g. the tenancy's Default domain)"
  type        = string
}

variable "user_scim_id" {
  description = "SCIM id of the user in that domain (`id` of the domain's user)"
  type        = string
}

variable "registry_url" {
  description = "The registry, e.g. https://iad.ocir.io"
  type        = string
  default     = "https://iad.ocir.io"
}

variable "registry_username" {
  description = "For OCIR: <tenancy namespace>/<user name>"
  type        = string
}

data "oci_identity_domain" "this" {
  domain_id = var.domain_id
}

# A token that exists only while this run needs it: never in the plan or the state. The
# domain also retires it by itself (`expires_on`) if no run ever deletes it.
ephemeral "oci_identity_domains_auth_token" "registry" {
  idcs_endpoint = data.oci_identity_domain.this.url
  description   = "CI registry login"
  lease         = "30m"

  user {
    value = var.user_scim_id
  }
}

# Log in to the registry with it (here: check the credentials with curl; `docker login
# --password-stdin` works the same way).
resource "terraform_data" "registry_login" {
  provisioner "local-exec" {
    # The credentials go to curl on stdin, not on its command line.
    command = "printf 'user = \"%s:%s\"\\n' \"$REGISTRY_USER\" \"$REGISTRY_TOKEN\" | curl -fsS -o /dev/null -K - \"$REGISTRY_URL/v2/\""
    environment = {
      REGISTRY_URL   = var.registry_url
      REGISTRY_USER  = var.registry_username
      REGISTRY_TOKEN = ephemeral.oci_identity_domains_auth_token.registry.token
    }
  }
}
