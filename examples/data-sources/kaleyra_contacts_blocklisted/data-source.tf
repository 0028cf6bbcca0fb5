terraform {
  required_providers {
    kaleyra = {
      source  = "kaleyra/kaleyra"
      version = "~> 0.1"
    }
  }
}

# The whole SMS blocklist.
data "kaleyra_contacts_blocklisted" "sms" {
  channel = "sms"
}

# Whether each of these numbers is blocklisted, on any channel. Any count
# works: the provider splits them into requests of at most 100 numbers.
data "kaleyra_contacts_blocklisted" "on_call" {
  mobiles = ["+919812345678", "+919876500001", "+14155550100"]
}

output "sms_blocklist_size" {
  value = length(data.kaleyra_contacts_blocklisted.sms.blocklisted_mobiles)
}

# A map of number => true/false, for every number in `mobiles`.
output "on_call_blocked" {
  value = data.kaleyra_contacts_blocklisted.on_call.blocked
}

# The channels each blocked on-call number is blocklisted on. `channel` is
# null where Kaleyra's channel_type code is undocumented; filter by
# `channel` in the data source when the name matters.
output "on_call_channel_types" {
  value = {
    for c in data.kaleyra_contacts_blocklisted.on_call.contacts :
    c.mobile => c.channel_type...
  }
}
