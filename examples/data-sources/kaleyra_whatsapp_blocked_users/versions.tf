# Not part of the registry page (tfplugindocs shows data-source.tf only): it
# lets `terraform validate` and the example tests run this directory as is.
terraform {
  required_providers {
    kaleyra = {
      source = "kaleyra/kaleyra"
    }
  }
}
