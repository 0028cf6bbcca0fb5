package provider

import (
	"fmt"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

const (
	testBusinessV2 = "+919876543210"
	testBusinessV1 = "+919876543211"
	testInactive   = "+919876543212"
)

func whatsappConfig(baseURL, phone, extra string) string {
	return providerConfig(baseURL) + fmt.Sprintf(`
data "kaleyra_whatsapp_blocked_users" "test" {
  phone_number = %[1]q
  %[2]s
}
`, phone, extra)
}

func TestWhatsappBlockedUsers_manyPagesCompleteSortedUnique(t *testing.T) {
	ids := waIDs(919800000000, 1234)
	// A duplicate across pages must come out once.
	stored := append(slices.Clone(ids), ids[3], ids[700])
	for _, ragged := range []bool{false, true} {
		t.Run(fmt.Sprintf("ragged=%v", ragged), func(t *testing.T) {
			sb := startSandbox(t, testAccount([]sandbox.WhatsAppNumber{
				{PhoneNumber: testBusinessV2, APIVersion: "v2", Blocked: stored},
			}, nil), sandbox.Options{RaggedPages: ragged})

			want := slices.Sorted(slices.Values(ids))
			wantIDs := make([]knownvalue.Check, len(want))
			wantPhones := make([]knownvalue.Check, len(want))
			for i, id := range want {
				wantIDs[i] = knownvalue.StringExact(id)
				wantPhones[i] = knownvalue.StringExact("+" + id)
			}
			resource.UnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviders(),
				Steps: []resource.TestStep{{
					Config: whatsappConfig(sb.URL(), testBusinessV2, `page_size = 50`),
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue("data.kaleyra_whatsapp_blocked_users.test", tfjsonpath.New("total"), knownvalue.Int64Exact(1234)),
						statecheck.ExpectKnownValue("data.kaleyra_whatsapp_blocked_users.test", tfjsonpath.New("wa_ids"), knownvalue.ListExact(wantIDs)),
						statecheck.ExpectKnownValue("data.kaleyra_whatsapp_blocked_users.test", tfjsonpath.New("phone_numbers"), knownvalue.ListExact(wantPhones)),
						statecheck.ExpectKnownValue("data.kaleyra_whatsapp_blocked_users.test", tfjsonpath.New("users").AtSliceIndex(0), knownvalue.ObjectExact(map[string]knownvalue.Check{
							"wa_id":             knownvalue.StringExact(want[0]),
							"phone_number":      knownvalue.StringExact("+" + want[0]),
							"messaging_product": knownvalue.StringExact("whatsapp"),
						})),
						statecheck.ExpectKnownValue("data.kaleyra_whatsapp_blocked_users.test", tfjsonpath.New("users").AtSliceIndex(1233).AtMapKey("wa_id"), knownvalue.StringExact(want[1233])),
						statecheck.ExpectKnownValue("data.kaleyra_whatsapp_blocked_users.test", tfjsonpath.New("id"), knownvalue.StringExact(testBusinessV2)),
						statecheck.ExpectKnownValue("data.kaleyra_whatsapp_blocked_users.test", tfjsonpath.New("api_version"), knownvalue.StringExact("v2")),
					},
				}},
			})
		})
	}
}

func TestWhatsappBlockedUsers_errors(t *testing.T) {
	sb := startSandbox(t, testAccount([]sandbox.WhatsAppNumber{
		{PhoneNumber: testBusinessV2, APIVersion: "v2", Blocked: waIDs(919800000000, 10)},
		{PhoneNumber: testBusinessV1, APIVersion: "v1", Blocked: waIDs(919700000000, 5)},
		{PhoneNumber: testInactive, APIVersion: "v2", Inactive: true},
	}, nil), sandbox.Options{})

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{
			{
				Config: whatsappConfig(sb.URL(), testBusinessV1, `api_version = "v1"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.kaleyra_whatsapp_blocked_users.test", tfjsonpath.New("total"), knownvalue.Int64Exact(5)),
				},
			},
			{
				Config:      whatsappConfig(sb.URL(), testBusinessV1, ""),
				ExpectError: errorLike("Unable to Read WhatsApp Blocked Users", "HTTP 401 with code WA-401", `Set `+"`"+`api_version = "v1"`),
			},
			{
				Config:      whatsappConfig(sb.URL(), "+919999999999", ""),
				ExpectError: errorLike("HTTP 401 with code WA401: Phone number is not present or does not belong to the account.", "not active, or is not on this account"),
			},
			{
				Config:      whatsappConfig(sb.URL(), testInactive, ""),
				ExpectError: errorLike("HTTP 401 with code WA401: The phone number you're using not active", "phone_number: The phone number"),
			},
		},
	})
}
