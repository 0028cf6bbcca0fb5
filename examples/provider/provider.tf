terraform {
  required_providers {
    kaleyra = {
      source  = "kaleyra/kaleyra"
      version = "~> 0.1"
    }
  }
}

# Keep credentials out of configuration files: the provider reads them from
# the environment when the arguments are unset.
#
#   export KALEYRA_SID=HXAP16XXXXXX97IN
#   export KALEYRA_API_KEY=Axxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx3
#   export KALEYRA_POD=SG   # optional, defaults to IN
provider "kaleyra" {}

# Every argument, set explicitly. Values in the block win over the
# environment variables.
provider "kaleyra" {
  alias = "singapore"

  pod     = "SG" # IN, SG, EU or NA: selects the API hosts
  sid     = var.kaleyra_sid
  api_key = var.kaleyra_api_key

  # Send every request through an API gateway instead of the pod's hosts.
  # base_url = "https://kaleyra-gateway.example.com"

  # Tuning; these are the defaults.
  max_retries           = 4     # retries of one request after 429, 5xx, WA500, 202 WA202 or a network error
  request_timeout       = "30s" # one HTTP attempt, from the moment it holds a request slot
  max_parallel_requests = 4     # requests in flight at once, across all data sources
}

variable "kaleyra_sid" {
  type = string
}

variable "kaleyra_api_key" {
  type      = string
  sensitive = true
}
