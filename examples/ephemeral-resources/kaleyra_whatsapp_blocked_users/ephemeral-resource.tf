terraform {
  required_version = ">= 1.10.0" # ephemeral resources

  required_providers {
    kaleyra = {
      source  = "kaleyra/kaleyra"
      version = "~> 0.1"
    }
  }
}

# Every user who has blocked the support line, read without the list ever
# reaching the state or a plan file.
ephemeral "kaleyra_whatsapp_blocked_users" "support_line" {
  phone_number = "+919876543210"
}

# Stop the plan when the escalation contact has blocked the support line.
# The message names no ephemeral value: Terraform hides messages that do.
resource "terraform_data" "escalation_route" {
  input = "whatsapp"

  lifecycle {
    precondition {
      condition     = !contains(ephemeral.kaleyra_whatsapp_blocked_users.support_line.phone_numbers, "+919876500001")
      error_message = "The escalation contact has blocked the WhatsApp support line: route escalations by SMS."
    }
  }
}
