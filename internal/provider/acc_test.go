package provider

// TestAcc* tests read the REAL Kaleyra API (resource.Test). They are skipped
// unless all of these are set (`make testacc` sets TF_ACC):
//
//	TF_ACC=1                     the terraform-plugin-testing switch
//	KALEYRA_SID                  the account SID
//	KALEYRA_API_KEY              its API key (read-only use: the tests only list)
//	KALEYRA_POD                  optional: IN (default), SG, EU or NA
//	KALEYRA_BASE_URL             optional: a gateway in front of the API
//
// and, per test:
//
//	TESTACC_WHATSAPP_NUMBER       a WhatsApp business number of the account, E.164
//	TESTACC_WHATSAPP_API_VERSION  optional: that number's API version, v2 (default) or v1;
//	                              when set, reading it with the other version must fail WA-401
//	TESTACC_WHATSAPP_BLOCKED_WA_ID optional: a wa_id that number has blocked
//	TESTACC_CONTACTS_MOBILE       optional: an E.164 number on the account's contacts blocklist
//
// The tests assert what holds for any account: complete, sorted, unique
// lists that do not depend on page_size, and the documented errors.

import (
	"fmt"
	"os"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// The variables the TestAcc* tests read, besides the provider's own.
const (
	envAccWhatsappNumber  = "TESTACC_WHATSAPP_NUMBER"
	envAccWhatsappVersion = "TESTACC_WHATSAPP_API_VERSION"
	envAccBlockedWAID     = "TESTACC_WHATSAPP_BLOCKED_WA_ID"
	envAccContactsMobile  = "TESTACC_CONTACTS_MOBILE"
)

// testAccPreCheck skips the test unless TF_ACC, the credentials and the
// named inputs are set, and returns the inputs' values.
func testAccPreCheck(t *testing.T, inputs ...string) map[string]string {
	t.Helper()
	if os.Getenv(resource.EnvTfAcc) == "" {
		t.Skipf("%s is not set: TestAcc* tests read the real Kaleyra API", resource.EnvTfAcc)
	}
	values := make(map[string]string, len(inputs))
	for _, name := range append([]string{EnvSID, EnvAPIKey}, inputs...) {
		v := os.Getenv(name)
		if v == "" {
			t.Skipf("%s is not set: see the top of acc_test.go", name)
		}
		values[name] = v
	}
	return values
}

// testAccProviders serves the provider as released: real retry waits.
func testAccProviders() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"kaleyra": ProtocolServer(New("acctest")()),
	}
}

// testAccWhatsappConfig reads number twice, with a large and a small
// page_size, and outputs whether the lists are consistent.
func testAccWhatsappConfig(number, version string) string {
	return fmt.Sprintf(`
provider "kaleyra" {}

data "kaleyra_whatsapp_blocked_users" "large" {
  phone_number = %[1]q
  api_version  = %[2]q
  page_size    = 1000
}

data "kaleyra_whatsapp_blocked_users" "small" {
  phone_number = %[1]q
  api_version  = %[2]q
  page_size    = 25
}

locals {
  users = data.kaleyra_whatsapp_blocked_users.large
}

output "consistent" {
  value = alltrue([
    length(local.users.wa_ids) == local.users.total,
    length(local.users.users) == local.users.total,
    length(distinct(local.users.wa_ids)) == local.users.total,
    join(",", sort(local.users.wa_ids)) == join(",", local.users.wa_ids),
    join(",", [for id in local.users.wa_ids : "+${id}"]) == join(",", local.users.phone_numbers),
  ])
}
`, number, version)
}

func TestAccWhatsappBlockedUsers_completeWhateverThePageSize(t *testing.T) {
	in := testAccPreCheck(t, envAccWhatsappNumber)
	number := in[envAccWhatsappNumber]
	version := os.Getenv(envAccWhatsappVersion)
	if version == "" {
		version = "v2"
	}
	checks := []statecheck.StateCheck{
		statecheck.ExpectKnownValue("data.kaleyra_whatsapp_blocked_users.large", tfjsonpath.New("id"), knownvalue.StringExact(number)),
		statecheck.ExpectKnownValue("data.kaleyra_whatsapp_blocked_users.large", tfjsonpath.New("api_version"), knownvalue.StringExact(version)),
		statecheck.ExpectKnownOutputValue("consistent", knownvalue.Bool(true)),
		statecheck.CompareValuePairs(
			"data.kaleyra_whatsapp_blocked_users.large", tfjsonpath.New("users"),
			"data.kaleyra_whatsapp_blocked_users.small", tfjsonpath.New("users"),
			compare.ValuesSame()),
	}
	config := testAccWhatsappConfig(number, version)
	if id := os.Getenv(envAccBlockedWAID); id != "" {
		config += fmt.Sprintf(`
output "has_known_blocked_user" {
  value = contains(data.kaleyra_whatsapp_blocked_users.large.wa_ids, %[1]q)
}
`, id)
		checks = append(checks, statecheck.ExpectKnownOutputValue("has_known_blocked_user", knownvalue.Bool(true)))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps:                    []resource.TestStep{{Config: config, ConfigStateChecks: checks}},
	})
}

func TestAccWhatsappBlockedUsers_otherAPIVersionFails(t *testing.T) {
	in := testAccPreCheck(t, envAccWhatsappNumber, envAccWhatsappVersion)
	other := "v1"
	if in[envAccWhatsappVersion] == "v1" {
		other = "v2"
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "kaleyra" {}

data "kaleyra_whatsapp_blocked_users" "test" {
  phone_number = %[1]q
  api_version  = %[2]q
}
`, in[envAccWhatsappNumber], other),
			ExpectError: errorLike("Unable to Read WhatsApp Blocked Users", "with code WA-401",
				fmt.Sprintf("api_version = %q", in[envAccWhatsappVersion])),
		}},
	})
}

func TestAccContactsBlocklisted_completeWhateverThePageSize(t *testing.T) {
	testAccPreCheck(t)
	config := `
provider "kaleyra" {}

data "kaleyra_contacts_blocklisted" "large" {
  channel   = "whatsapp"
  page_size = 100
}

data "kaleyra_contacts_blocklisted" "small" {
  channel   = "whatsapp"
  page_size = 7
}

locals {
  list = data.kaleyra_contacts_blocklisted.large
}

output "consistent" {
  value = alltrue([
    length(local.list.contacts) == local.list.total,
    length(distinct(local.list.blocklisted_mobiles)) == length(local.list.blocklisted_mobiles),
    join(",", sort(local.list.blocklisted_mobiles)) == join(",", local.list.blocklisted_mobiles),
    alltrue([for c in local.list.contacts : c.channel == "whatsapp"]),
    local.list.blocked == null,
  ])
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownOutputValue("consistent", knownvalue.Bool(true)),
				statecheck.CompareValuePairs(
					"data.kaleyra_contacts_blocklisted.large", tfjsonpath.New("contacts"),
					"data.kaleyra_contacts_blocklisted.small", tfjsonpath.New("contacts"),
					compare.ValuesSame()),
				statecheck.CompareValuePairs(
					"data.kaleyra_contacts_blocklisted.large", tfjsonpath.New("id"),
					"data.kaleyra_contacts_blocklisted.small", tfjsonpath.New("id"),
					compare.ValuesSame()),
			},
		}},
	})
}

func TestAccContactsBlocklisted_knownNumberIsBlocked(t *testing.T) {
	in := testAccPreCheck(t, envAccContactsMobile)
	mobile := in[envAccContactsMobile]
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "kaleyra" {}

data "kaleyra_contacts_blocklisted" "test" {
  mobiles = [%[1]q, %[1]q]
}
`, mobile),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.kaleyra_contacts_blocklisted.test", tfjsonpath.New("blocked"),
					knownvalue.MapExact(map[string]knownvalue.Check{mobile: knownvalue.Bool(true)})),
			},
		}},
	})
}

func TestAccProvider_wrongAPIKeyIsRBC001(t *testing.T) {
	testAccPreCheck(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			// The attribute wins over KALEYRA_API_KEY.
			Config: `
provider "kaleyra" {
  api_key = "Anot0a0valid0kaleyra0api0key00003"
}

data "kaleyra_contacts_blocklisted" "test" {
  channel = "sms"
  mobiles = ["+919000000000"]
}
`,
			ExpectError: errorLike("Unable to Read Contacts Blocklist", "HTTP 401 with code RBC001",
				"`sid` and `api_key`", "KALEYRA_SID and KALEYRA_API_KEY"),
		}},
	})
}
