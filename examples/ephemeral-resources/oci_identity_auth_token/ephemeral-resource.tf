variable "user_ocid" {
  type = string
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

# A token that exists only while this run needs it: never in the plan or the state.
ephemeral "oci_identity_auth_token" "registry" {
  user_id     = var.user_ocid
  description = "CI registry login"
  lease       = "30m"
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
      REGISTRY_TOKEN = ephemeral.oci_identity_auth_token.registry.token
    }
  }
}
