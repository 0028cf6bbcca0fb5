terraform {
  required_version = ">= 1.8.0" # provider-defined functions

  required_providers {
    kaleyra = {
      source  = "kaleyra/kaleyra"
      version = "~> 0.1"
    }
  }
}

# Numbers as people write them, in E.164 as the data sources take them.
output "written_internationally" {
  value = provider::kaleyra::e164("+91 98765-43210", "") # "+919876543210"
}

output "written_in_india" {
  value = provider::kaleyra::e164("098765 43210", "IN") # "+919876543210"
}

output "written_in_the_us" {
  value = provider::kaleyra::e164("(415) 555-0123", "US") # "+14155550123"
}

# A list of numbers from a spreadsheet or an on-call tool, looked up on the
# blocklist. A number that is not valid fails the plan, naming it and why.
variable "on_call" {
  type    = list(string)
  default = ["+91 98123 45678", "080 2345 6789", "098765 00001"]
}

data "kaleyra_contacts_blocklisted" "on_call" {
  mobiles = [for number in var.on_call : provider::kaleyra::e164(number, "IN")]
}

output "on_call_blocked" {
  value = data.kaleyra_contacts_blocklisted.on_call.blocked
}
