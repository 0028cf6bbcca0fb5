# The demo that `make demo` applies against the local Kaleyra sandbox and its
# default seed (internal/sandbox/default-seed.json). It composes the three
# worked use cases under ../use-cases as modules.
#
# scripts/demo.sh sets the provider's environment: KALEYRA_SID,
# KALEYRA_API_KEY and KALEYRA_BASE_URL (the sandbox's loopback URL). Against
# your own account, set KALEYRA_SID, KALEYRA_API_KEY and KALEYRA_POD instead,
# and change the numbers below.

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    kaleyra = {
      source  = "kaleyra/kaleyra"
      version = "~> 0.1"
    }
  }
}

provider "kaleyra" {}

locals {
  support_line = "+919876543210" # on the v2 WhatsApp API
  sales_line   = "+919876543211" # still on the v1 WhatsApp API
}

# Counts, lists and a Markdown report, compared with last review's baseline.
module "report" {
  source = "../use-cases/drift-report"

  title = "Kaleyra blocklist report (sandbox demo)"
  whatsapp_business_numbers = {
    support = { phone_number = local.support_line }
    sales   = { phone_number = local.sales_line, api_version = "v1" }
  }
  baseline = {
    # What the SMS blocklist held at the last review: since then one
    # number was added (+919777666555) and one removed (+919999000111).
    sms = [
      "+14155550123", "+61412345678", "+6591234567", "+916300445566",
      "+917666555444", "+917999888777", "+918023456789", "+918123456702",
      "+919000000001", "+919111000999", "+919812345678", "+919845012345",
      "+919999000111",
    ]
  }
  list_limit = 10
}

# The on-call numbers must stay reachable by SMS, voice and WhatsApp.
module "policy" {
  source = "../use-cases/policy-check"

  critical_numbers         = ["+919876500001", "+919876500002", "+14155550100"]
  whatsapp_business_number = local.support_line
}

# One (stand-in) suppression entry per user who blocked the support line.
module "suppressions" {
  source = "../use-cases/for-each"

  business_number = local.support_line
}

output "whatsapp_blocked_counts" {
  description = "WhatsApp users who blocked each business number."
  value       = module.report.whatsapp_blocked_counts
}

output "counts_by_channel" {
  description = "Numbers on the contacts blocklist, per channel."
  value       = module.report.counts_by_channel
}

output "numbers_by_channel" {
  description = "The blocklisted numbers, per channel."
  value       = module.report.numbers_by_channel
}

output "sms_drift" {
  description = "Numbers added to and removed from the SMS blocklist since the baseline."
  value       = module.report.drift["sms"]
}

output "policy_verdict" {
  description = "Whether every on-call number is reachable."
  value       = module.policy.policy_verdict
}

output "suppression_count" {
  description = "Suppression entries created with for_each, one per blocked user."
  value       = module.suppressions.suppression_count
}

output "report" {
  description = "The Markdown report."
  value       = module.report.report
}
