# Not part of the registry page (tfplugindocs shows function.tf only): it
# lets `terraform validate` and the example tests run this directory as is.
terraform {
  required_version = ">= 1.8.0" # provider-defined functions

  required_providers {
    kaleyra = {
      source = "kaleyra/kaleyra"
    }
  }
}
