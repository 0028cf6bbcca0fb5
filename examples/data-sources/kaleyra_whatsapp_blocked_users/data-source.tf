terraform {
  required_providers {
    kaleyra = {
      source  = "kaleyra/kaleyra"
      version = "~> 0.1"
    }
  }
}

# Every WhatsApp user that the support line has blocked.
data "kaleyra_whatsapp_blocked_users" "support_line" {
  phone_number = "+919876543210"
}

# A business number still on Kaleyra's v1 WhatsApp API; the read pages
# through the whole list, 500 users per request.
data "kaleyra_whatsapp_blocked_users" "sales_line" {
  phone_number = "+919876543211"
  api_version  = "v1"
  page_size    = 500
}

output "support_line_blocked_count" {
  value = data.kaleyra_whatsapp_blocked_users.support_line.total
}

# Is a given customer blocked? `phone_numbers` holds the users in E.164,
# sorted, so it compares directly with numbers kept elsewhere.
output "customer_blocked_support_line" {
  value = contains(data.kaleyra_whatsapp_blocked_users.support_line.phone_numbers, "+919812345678")
}

# Users who blocked both lines.
output "blocked_both_lines" {
  value = sort(setintersection(
    data.kaleyra_whatsapp_blocked_users.support_line.wa_ids,
    data.kaleyra_whatsapp_blocked_users.sales_line.wa_ids,
  ))
}
