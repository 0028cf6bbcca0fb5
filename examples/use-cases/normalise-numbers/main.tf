# Normalise an on-call list as people write it ("+91 98123-45678",
# "080 2345 6789", "+1 (415) 555-0100") to E.164 with
# provider::kaleyra::e164, look the numbers up on Kaleyra's blocklist, and
# stop the plan when someone on call cannot be reached.
#
#   terraform plan -var-file=on-call.tfvars   # exits 1 when someone is blocklisted
#
# A number that is not valid for its country fails the plan where it is
# converted, naming the number and why, before any API call. Needs
# Terraform 1.8 or later, or OpenTofu 1.7 or later (provider-defined
# functions). Run it as a root module, or call it as a module.

terraform {
  required_version = ">= 1.8.0" # provider-defined functions

  required_providers {
    kaleyra = {
      source  = "kaleyra/kaleyra"
      version = "~> 0.1"
    }
  }
}

variable "on_call" {
  description = "Who is on call: name => phone number as written, with its + and country code, or in the national form of default_region."
  type        = map(string)
}

variable "default_region" {
  description = "The ISO 3166-1 alpha-2 code (any case) of the country whose national form the numbers without a + are in."
  type        = string
  default     = "IN"
}

variable "channel" {
  description = "The blocklist that counts: sms, voice or whatsapp. Null counts every channel."
  type        = string
  default     = null
}

variable "enforce" {
  description = "Fail the plan when someone on call is blocklisted. False only warns, through the check block."
  type        = bool
  default     = true
}

locals {
  # name => E.164, like "+919812345678".
  numbers = {
    for name, written in var.on_call : name => provider::kaleyra::e164(written, var.default_region)
  }
}

# One lookup for everyone; two people sharing a number are looked up once.
data "kaleyra_contacts_blocklisted" "on_call" {
  channel = var.channel
  mobiles = values(local.numbers)
}

locals {
  # `blocked` maps every number looked up to true or false.
  unreachable = {
    for name, number in local.numbers : name => number
    if data.kaleyra_contacts_blocklisted.on_call.blocked[number]
  }
  where   = var.channel == null ? "" : " on ${var.channel}"
  summary = join(", ", [for name, number in local.unreachable : "${name} (${number})"])
}

check "on_call_reachable" {
  assert {
    condition     = length(local.unreachable) == 0
    error_message = "${length(local.unreachable)} of ${length(local.numbers)} people on call are blocklisted${local.where}: ${local.summary}."
  }
}

output "numbers" {
  description = "Everyone on call: name => number in E.164."
  value       = local.numbers
}

output "unreachable" {
  description = "Everyone on call whose number is blocklisted: name => number in E.164."
  value       = local.unreachable

  precondition {
    condition     = !var.enforce || length(local.unreachable) == 0
    error_message = "${length(local.unreachable)} of ${length(local.numbers)} people on call are blocklisted${local.where}: ${local.summary}. Unblock them, or change the rota."
  }
}
