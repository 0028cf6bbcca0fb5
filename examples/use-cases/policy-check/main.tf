# Policy check for a plan pipeline: stop `terraform plan` when a critical
# number (an on-call phone, an alerting line, a key customer) can no longer
# be reached because it is on Kaleyra's blocklist, or because it has blocked
# your WhatsApp business number.
#
#   terraform plan -var-file=critical.tfvars   # exits 1 on a violation
#
# Two layers, as Terraform offers them:
# - the `check` block reports every violation as a warning on each plan and
#   apply (and in HCP Terraform health checks) without stopping anything;
# - the `precondition` on the `policy_verdict` output fails the plan while
#   `enforce` is true, so the pipeline stops before anything is applied.
#
# Run it as a root module, or call it as a module from your configuration.

terraform {
  required_version = ">= 1.5.0" # check blocks

  required_providers {
    kaleyra = {
      source  = "kaleyra/kaleyra"
      version = "~> 0.1"
    }
  }
}

variable "critical_numbers" {
  description = "E.164 numbers that must stay reachable, like \"+919876543210\"."
  type        = list(string)
  nullable    = false

  # One error, at the caller's input, that names every number not in
  # E.164. The lookups below leave such numbers out, so that no data source
  # reports them again (once per channel) where a CLI evaluates past a
  # failed validation.
  validation {
    condition     = alltrue([for n in var.critical_numbers : can(regex("^\\+[1-9][0-9]{7,14}$", n))])
    error_message = "Every critical number must be in E.164 form: \"+\", then 8 to 15 digits, the first not 0, with no spaces or dashes, like \"+919876543210\". Not in E.164: ${join(", ", distinct([for n in var.critical_numbers : jsonencode(n) if !can(regex("^\\+[1-9][0-9]{7,14}$", n))]))}. To convert numbers as people write them, use provider::kaleyra::e164(number, \"IN\"), with the number's country in place of \"IN\" (Terraform 1.8 or later, OpenTofu 1.7 or later)."
  }
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

# One query per channel, so each row's channel is certain.
data "kaleyra_contacts_blocklisted" "critical" {
  for_each = toset(var.channels)

  channel = each.key
  mobiles = local.critical
}

data "kaleyra_whatsapp_blocked_users" "business" {
  count = var.whatsapp_business_number == null ? 0 : 1

  phone_number = var.whatsapp_business_number
  api_version  = var.whatsapp_api_version
}

locals {
  # The numbers to check: the validation above reports the others.
  critical = sort(distinct([for n in var.critical_numbers : n if can(regex("^\\+[1-9][0-9]{7,14}$", n))]))

  # Users who blocked the business number, in E.164.
  blocked_business = toset(flatten(data.kaleyra_whatsapp_blocked_users.business[*].phone_numbers))

  # number => the channels whose blocklist it is on.
  blocklisted_on = {
    for number in local.critical : number => [
      for channel in sort(distinct(var.channels)) : channel
      if data.kaleyra_contacts_blocklisted.critical[channel].blocked[number]
    ]
  }

  # number => every reason it cannot be reached (empty when it can).
  reasons = {
    for number, channels in local.blocklisted_on : number => concat(
      length(channels) > 0 ? ["blocklisted on ${join(", ", channels)}"] : [],
      contains(local.blocked_business, number) ? ["blocked ${var.whatsapp_business_number} on WhatsApp"] : [],
    )
  }
  violations = { for number, why in local.reasons : number => why if length(why) > 0 }

  summary = join("; ", [for number, why in local.violations : "${number}: ${join(" and ", why)}"])
}

check "critical_numbers_reachable" {
  assert {
    condition     = length(local.violations) == 0
    error_message = "${length(local.violations)} of ${length(local.critical)} critical numbers cannot be reached: ${local.summary}."
  }
}

output "policy_verdict" {
  description = "PASS, or FAIL with every violation."
  value = (length(local.violations) == 0
    ? "PASS: all ${length(local.critical)} critical numbers are reachable"
    : "FAIL: ${local.summary}"
  )

  precondition {
    condition     = !var.enforce || length(local.violations) == 0
    error_message = "Policy violation: ${length(local.violations)} of ${length(local.critical)} critical numbers cannot be reached: ${local.summary}. Unblock them, or take them off critical_numbers."
  }
}

output "violations" {
  description = "Each unreachable critical number, with its reasons."
  value       = local.violations
}
