# Rotates a user's auth token without downtime, inside OCI's limit of two tokens per user.
#
# Two slots, "a" and "b". In steady state only the active slot holds a token. To rotate:
#   1. set `active_slot` to the other slot and `keep_previous = true`: the new token is
#      created while the old one keeps working; hand `token` to the consumers;
#   2. once every consumer uses the new token, set `keep_previous = false`: the old token
#      is deleted.
# The next rotation flips back. The user never holds more than two tokens.

terraform {
  required_providers {
    oci = {
      source = "oracle/oci"
    }
  }
}

variable "user_id" {
  description = "OCID of the user whose token is rotated."
  type        = string
}

variable "description" {
  description = "Description of the tokens; the slot name is appended."
  type        = string
  default     = "rotated token"
}

variable "active_slot" {
  description = "The slot whose token consumers should use: \"a\" or \"b\"."
  type        = string
  default     = "a"

  validation {
    condition     = contains(["a", "b"], var.active_slot)
    error_message = "active_slot must be \"a\" or \"b\"."
  }
}

variable "keep_previous" {
  description = "Keep the other slot's token while consumers move to the active one."
  type        = bool
  default     = false
}

locals {
  previous_slot = var.active_slot == "a" ? "b" : "a"
  slots         = var.keep_previous ? toset(["a", "b"]) : toset([var.active_slot])
}

resource "oci_identity_auth_token" "slot" {
  for_each = local.slots

  user_id     = var.user_id
  description = "${var.description} (${each.key})"
}

output "token" {
  description = "The token consumers should use."
  value       = oci_identity_auth_token.slot[var.active_slot].token
  sensitive   = true
}

output "token_id" {
  description = "OCID of the active token."
  value       = oci_identity_auth_token.slot[var.active_slot].id
}

output "previous_token_id" {
  description = "OCID of the token being retired, while it is kept."
  value       = var.keep_previous ? oci_identity_auth_token.slot[local.previous_slot].id : null
}
