data "oci_identity_auth_tokens" "active" {
  user_id = var.user_ocid

  # Filters combine with AND across blocks and OR across values; regexes are unanchored.
  filter {
    name   = "state"
    values = ["ACTIVE"]
  }
  filter {
    name   = "description"
    values = ["^OCIR"]
    regex  = true
  }
}

output "active_token_ids" {
  value = data.oci_identity_auth_tokens.active.tokens[*].id
}
