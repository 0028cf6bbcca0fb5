terraform {
  required_version = ">= 1.10.0" # ephemeral resources

  required_providers {
    kaleyra = {
      source  = "kaleyra/kaleyra"
      version = "~> 0.1"
    }
  }
}

# The on-call numbers, as an ephemeral variable: Terraform does not store
# its value in a saved plan (the default, like all configuration, is in the
# plan's copy of the configuration; pass real numbers with -var-file).
variable "on_call" {
  type      = list(string)
  ephemeral = true
  default   = ["+919876500001", "+14155550100"]
}

# Whether each on-call number is blocklisted on SMS, read without the
# result ever reaching the state or a plan file.
ephemeral "kaleyra_contacts_blocklisted" "on_call" {
  channel = "sms"
  mobiles = var.on_call
}

# Warn on every plan and apply. The message names no ephemeral value:
# Terraform hides messages that do.
check "on_call_reachable_by_sms" {
  assert {
    condition     = !anytrue(values(ephemeral.kaleyra_contacts_blocklisted.on_call.blocked))
    error_message = "An on-call number is on the SMS blocklist."
  }
}

# Stop the plan when the SMS blocklist has grown past what the team
# reviews by hand.
ephemeral "kaleyra_contacts_blocklisted" "sms" {
  channel = "sms"
}

resource "terraform_data" "sms_campaign" {
  input = "weekly-digest"

  lifecycle {
    precondition {
      condition     = ephemeral.kaleyra_contacts_blocklisted.sms.total < 500
      error_message = "The SMS blocklist has 500 numbers or more: review it before the campaign runs."
    }
  }
}
