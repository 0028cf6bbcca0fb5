# Feeding blocked WhatsApp users into for_each: one resource per user, keyed
# by wa_id. When a user is blocked or unblocked, only that user's resource is
# added or destroyed, and since the lists are sorted and free of duplicates,
# an unchanged blocklist always plans "No changes".
#
# terraform_data stands in for the resource you really want per user, such
# as a suppression entry in your CRM's or CDP's provider.

terraform {
  required_version = ">= 1.4.0" # terraform_data

  required_providers {
    kaleyra = {
      source  = "kaleyra/kaleyra"
      version = "~> 0.1"
    }
  }
}

variable "business_number" {
  description = "The WhatsApp business number whose blocked users are suppressed."
  type        = string
}

variable "api_version" {
  description = "The Kaleyra WhatsApp API version of the business number: v2 or v1."
  type        = string
  default     = "v2"
}

data "kaleyra_whatsapp_blocked_users" "line" {
  phone_number = var.business_number
  api_version  = var.api_version
}

# `wa_ids` is a list; for_each takes a set (or a map).
resource "terraform_data" "suppression" {
  for_each = toset(data.kaleyra_whatsapp_blocked_users.line.wa_ids)

  input = {
    wa_id        = each.key
    phone_number = "+${each.key}"
    reason       = "blocked ${var.business_number} on WhatsApp"
  }
}

# When each resource needs more than the ID, key the user objects by wa_id.
locals {
  users_by_wa_id = {
    for user in data.kaleyra_whatsapp_blocked_users.line.users : user.wa_id => user
  }
}

output "suppressed_wa_ids" {
  description = "The wa_ids with a suppression entry."
  value       = sort(keys(terraform_data.suppression))
}

output "suppression_count" {
  description = "How many suppression entries exist."
  value       = length(terraform_data.suppression)
}

output "suppressed_phone_numbers" {
  description = "The same users as E.164 numbers (usually, not always, a WhatsApp ID is the phone number)."
  value       = sort([for user in local.users_by_wa_id : user.phone_number])
}
