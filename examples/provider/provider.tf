terraform {
  required_providers {
    oci = {
      source = "oracle/oci"
    }
  }
}

# Credentials come from ~/.oci/config (profile DEFAULT) unless given here or through
# TF_VAR_*/OCI_* environment variables, exactly as with the official provider.
provider "oci" {
  region              = "us-ashburn-1"
  config_file_profile = "DEFAULT"
}
