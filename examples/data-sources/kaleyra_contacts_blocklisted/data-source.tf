# The whole SMS blocklist.
data "kaleyra_contacts_blocklisted" "sms" {
  channel = "sms"
}

# Whether each of these numbers is blocklisted on any channel. Any count
# works: the provider splits them into batches of 100.
data "kaleyra_contacts_blocklisted" "on_call" {
  mobiles = ["+919876500001", "+919876500002", "+14155550100"]
}

output "sms_blocklist_size" {
  value = length(data.kaleyra_contacts_blocklisted.sms.blocklisted_mobiles)
}

output "on_call_blocked" {
  value = data.kaleyra_contacts_blocklisted.on_call.blocked
}
