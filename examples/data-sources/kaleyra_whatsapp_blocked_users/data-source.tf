# Every WhatsApp user that a business number has blocked.
data "kaleyra_whatsapp_blocked_users" "support_line" {
  phone_number = "+919876543210"
  # api_version = "v1" # for a number still on Kaleyra's v1 WhatsApp API
}

output "blocked_user_count" {
  value = data.kaleyra_whatsapp_blocked_users.support_line.total
}

# Is a given customer blocked?
output "customer_blocked" {
  value = contains(data.kaleyra_whatsapp_blocked_users.support_line.phone_numbers, "+919812345678")
}
