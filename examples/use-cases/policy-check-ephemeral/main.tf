# The policy check of ../policy-check, with nothing personal stored: stop
# `terraform plan` when a critical number (an on-call phone, an alerting
# line, a key customer) is on Kaleyra's blocklist or has blocked your
# WhatsApp business number, without the blocklists or the critical numbers
# ever reaching the state, a saved plan or `terraform show -json`.
#
#   terraform plan -var-file=critical.tfvars   # exits 1 on a violation
#
# - The blocklists are read with ephemeral resources: Terraform never
#   writes their results to state or plan files.
# - `critical_numbers` is an ephemeral variable: Terraform does not store
#   its value in a saved plan (give it again to `terraform apply`).
# - The `check` block warns on every plan and apply; the `precondition` on
#   `terraform_data.policy` fails the plan while `enforce` is true.
# - Terraform hides an error message that refers to an ephemeral value, so
#   the messages below name no number. To see which numbers fail, run
#   ../policy-check (data sources) where storing them is allowed.
#
# Needs Terraform 1.10 or later, or OpenTofu 1.11 or later.

terraform {
  required_version = ">= 1.10.0" # ephemeral resources and variables

  required_providers {
    kaleyra = {
      source  = "kaleyra/kaleyra"
      version = "~> 0.1"
    }
  }
}

variable "critical_numbers" {
  description = "E.164 numbers that must stay reachable. Ephemeral: never stored in a plan or the state."
  type        = list(string)
  ephemeral   = true
}

variable "channels" {
  description = "The channels whose blocklists count: any of sms, voice and whatsapp."
  type        = list(string)
  default     = ["sms", "voice", "whatsapp"]
}

variable "whatsapp_business_number" {
  description = "Your WhatsApp business number: a critical number that has blocked it is a violation too. Null skips the WhatsApp check."
  type        = string
  default     = null
}

variable "whatsapp_api_version" {
  description = "The Kaleyra WhatsApp API version of the business number: v2 or v1."
  type        = string
  default     = "v2"
}

variable "enforce" {
  description = "Fail the plan on a violation. False only warns, through the check block."
  type        = bool
  default     = true
}

# One query per channel, read in each phase that needs it (plan, apply).
ephemeral "kaleyra_contacts_blocklisted" "critical" {
  for_each = toset(var.channels)

  channel = each.key
  mobiles = var.critical_numbers
}

ephemeral "kaleyra_whatsapp_blocked_users" "business" {
  count = var.whatsapp_business_number == null ? 0 : 1

  phone_number = var.whatsapp_business_number
  api_version  = var.whatsapp_api_version
}

locals {
  # Ephemeral too, as everything computed from an ephemeral value.
  blocklisted = anytrue(flatten([
    for read in ephemeral.kaleyra_contacts_blocklisted.critical : values(read.blocked)
  ]))
  blocked_business = length(setintersection(
    toset(var.critical_numbers),
    toset(flatten(ephemeral.kaleyra_whatsapp_blocked_users.business[*].phone_numbers)),
  )) > 0
  reachable = !local.blocklisted && !local.blocked_business

  # What the messages may say: nothing ephemeral.
  where    = join(", ", sort(distinct(var.channels)))
  whatsapp = var.whatsapp_business_number == null ? "" : " or has blocked ${var.whatsapp_business_number} on WhatsApp"
}

check "critical_numbers_reachable" {
  assert {
    condition     = local.reachable
    error_message = "A critical number is blocklisted on ${local.where}${local.whatsapp}. The numbers are not shown: they are read ephemerally."
  }
}

resource "terraform_data" "policy" {
  count = var.enforce ? 1 : 0

  lifecycle {
    precondition {
      condition     = local.reachable
      error_message = "Policy violation: a critical number is blocklisted on ${local.where}${local.whatsapp}. Unblock it, or take it off critical_numbers; run the data-source policy check where storing numbers is allowed to see which."
    }
  }
}
