terraform {
  required_providers {
    kaleyra = {
      source = "kaleyra/kaleyra"
    }
  }
}

# Credentials are best left to the environment:
#   export KALEYRA_SID=HXAP16XXXXXX97IN
#   export KALEYRA_API_KEY=Axxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx3
provider "kaleyra" {
  pod = "IN" # IN, SG, EU or NA; or KALEYRA_POD

  # Optional tuning; these are the defaults.
  max_retries           = 4
  request_timeout       = "30s"
  max_parallel_requests = 4
}
