# Unit tests of the policy check, offline: `terraform test` (Terraform 1.7
# and later, OpenTofu 1.8 and later) with the Kaleyra provider mocked, so
# no credentials, no API calls and no sandbox. Each run plans the module
# with the blocklists the mocks return.
#
#   terraform test                     # a local build through dev_overrides: no init
#   terraform init && terraform test   # the provider installed from a registry or mirror
#
# mock_provider answers every data source with the mock_data defaults
# below (nobody blocklisted, nobody blocked); a run's override_data puts
# one number on a list.

mock_provider "kaleyra" {
  mock_data "kaleyra_contacts_blocklisted" {
    defaults = {
      blocked = {
        "+919876500001" = false
        "+14155550100"  = false
      }
    }
  }

  mock_data "kaleyra_whatsapp_blocked_users" {
    defaults = {
      phone_numbers = []
    }
  }
}

variables {
  critical_numbers         = ["+919876500001", "+14155550100"]
  whatsapp_business_number = "+919876543210"
}

run "reachable_numbers_pass" {
  command = plan

  assert {
    condition     = output.policy_verdict == "PASS: all 2 critical numbers are reachable"
    error_message = "Unexpected verdict: ${output.policy_verdict}"
  }

  assert {
    condition     = length(output.violations) == 0
    error_message = "Unexpected violations: ${jsonencode(output.violations)}"
  }
}

run "blocklisted_number_fails_the_plan" {
  command = plan

  # Every channel's query (one per channel) answers that +919876500001 is
  # on its blocklist.
  override_data {
    target = data.kaleyra_contacts_blocklisted.critical
    values = {
      blocked = {
        "+919876500001" = true
        "+14155550100"  = false
      }
    }
  }

  # The plan fails on the output's precondition; the check block warns.
  expect_failures = [
    output.policy_verdict,
    check.critical_numbers_reachable,
  ]
}

run "whatsapp_block_fails_the_plan" {
  command = plan

  override_data {
    target = data.kaleyra_whatsapp_blocked_users.business
    values = {
      phone_numbers = ["+14155550100"]
    }
  }

  expect_failures = [
    output.policy_verdict,
    check.critical_numbers_reachable,
  ]
}

run "enforce_false_reports_without_failing" {
  command = plan

  variables {
    enforce = false
  }

  override_data {
    target = data.kaleyra_contacts_blocklisted.critical
    values = {
      blocked = {
        "+919876500001" = true
        "+14155550100"  = false
      }
    }
  }

  expect_failures = [
    check.critical_numbers_reachable,
  ]

  assert {
    # jsonencode: the output is an object of tuples, which never equals a
    # literal of another type.
    condition     = jsonencode(output.violations) == jsonencode({ "+919876500001" = ["blocklisted on sms, voice, whatsapp"] })
    error_message = "Unexpected violations: ${jsonencode(output.violations)}"
  }

  assert {
    condition     = output.policy_verdict == "FAIL: +919876500001: blocklisted on sms, voice, whatsapp"
    error_message = "Unexpected verdict: ${output.policy_verdict}"
  }
}

run "numbers_not_in_e164_fail_validation" {
  command = plan

  # The variable's validation names both numbers, once; the lookups leave
  # them out, so no data source reports them again.
  variables {
    critical_numbers = ["+919876500001", "098765 00001", "12345"]
  }

  expect_failures = [
    var.critical_numbers,
  ]
}
