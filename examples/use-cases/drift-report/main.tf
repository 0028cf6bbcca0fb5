# Drift report: who is blocklisted today, per channel and per WhatsApp
# business number, compared with the baseline of your last review. Run it on
# a schedule (terraform apply -auto-approve, or just plan), publish the
# `report` output as Markdown (a wiki page, a pull-request comment, a
# chat message) and feed `numbers_by_channel` back in as the next baseline.
#
#   terraform apply -auto-approve -var-file=report.tfvars
#   terraform output -raw report > blocklist-report.md

terraform {
  required_version = ">= 1.3.0" # optional object attributes

  required_providers {
    kaleyra = {
      source  = "kaleyra/kaleyra"
      version = "~> 0.1"
    }
  }
}

variable "title" {
  description = "The report's title."
  type        = string
  default     = "Kaleyra blocklist report"
}

variable "channels" {
  description = "The contacts blocklist channels to report: any of sms, voice and whatsapp."
  type        = list(string)
  default     = ["sms", "voice", "whatsapp"]
}

variable "whatsapp_business_numbers" {
  description = "The WhatsApp business numbers to report on, by a name of your choice."
  type = map(object({
    phone_number = string
    api_version  = optional(string, "v2")
  }))
  default = {}
}

variable "baseline" {
  description = "Channel => the numbers blocklisted at the last review (last run's numbers_by_channel output). Channels left out are not compared."
  type        = map(list(string))
  default     = {}
}

variable "list_limit" {
  description = "The most numbers the report lists per section; counts are always complete."
  type        = number
  default     = 100
}

data "kaleyra_contacts_blocklisted" "channel" {
  for_each = toset(var.channels)

  channel = each.key
}

data "kaleyra_whatsapp_blocked_users" "line" {
  for_each = var.whatsapp_business_numbers

  phone_number = each.value.phone_number
  api_version  = each.value.api_version
}

locals {
  numbers_by_channel = {
    for channel, list in data.kaleyra_contacts_blocklisted.channel : channel => list.blocklisted_mobiles
  }

  # Only channels with a baseline are compared.
  drift = {
    for channel, numbers in local.numbers_by_channel : channel => {
      added   = sort(setsubtract(numbers, var.baseline[channel]))
      removed = sort(setsubtract(var.baseline[channel], numbers))
    } if contains(keys(var.baseline), channel)
  }

  whatsapp = {
    for name, line in data.kaleyra_whatsapp_blocked_users.line : name => {
      business_number = line.phone_number
      api_version     = line.api_version
      total           = line.total
      phone_numbers   = line.phone_numbers
    }
  }
}

output "counts_by_channel" {
  description = "Channel => how many numbers are blocklisted on it."
  value       = { for channel, numbers in local.numbers_by_channel : channel => length(numbers) }
}

output "numbers_by_channel" {
  description = "Channel => the blocklisted numbers, sorted. Use it as the next baseline."
  value       = local.numbers_by_channel
}

output "whatsapp_blocked_counts" {
  description = "Business number name => how many WhatsApp users have blocked it."
  value       = { for name, line in local.whatsapp : name => line.total }
}

output "drift" {
  description = "Channel => numbers added to and removed from its blocklist since the baseline."
  value       = local.drift
}

output "has_drift" {
  description = "Whether any compared channel changed since the baseline."
  value       = anytrue([for d in values(local.drift) : length(d.added) + length(d.removed) > 0])
}

output "report" {
  description = "The report, in Markdown."
  value = templatefile("${path.module}/report.md.tftpl", {
    title              = var.title
    numbers_by_channel = local.numbers_by_channel
    whatsapp           = local.whatsapp
    drift              = local.drift
    limit              = var.list_limit
  })
}
