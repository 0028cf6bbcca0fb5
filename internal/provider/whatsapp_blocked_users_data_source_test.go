package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

const (
	testBusinessV2 = "+919876543210"
	testBusinessV1 = "+919876543211"
	testInactive   = "+919876543212"
)

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
					Config: whatsappConfig(sb.URL(), nil, testBusinessV2, `page_size = 50`),
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(whatsappAddr, tfjsonpath.New("total"), knownvalue.Int64Exact(1234)),
						statecheck.ExpectKnownValue(whatsappAddr, tfjsonpath.New("wa_ids"), knownvalue.ListExact(wantIDs)),
						statecheck.ExpectKnownValue(whatsappAddr, tfjsonpath.New("phone_numbers"), knownvalue.ListExact(wantPhones)),
						statecheck.ExpectKnownValue(whatsappAddr, tfjsonpath.New("users").AtSliceIndex(0), knownvalue.ObjectExact(map[string]knownvalue.Check{
							"wa_id":             knownvalue.StringExact(want[0]),
							"phone_number":      knownvalue.StringExact("+" + want[0]),
							"messaging_product": knownvalue.StringExact("whatsapp"),
						})),
						statecheck.ExpectKnownValue(whatsappAddr, tfjsonpath.New("users").AtSliceIndex(1233).AtMapKey("wa_id"), knownvalue.StringExact(want[1233])),
						statecheck.ExpectKnownValue(whatsappAddr, tfjsonpath.New("id"), knownvalue.StringExact(testBusinessV2)),
						statecheck.ExpectKnownValue(whatsappAddr, tfjsonpath.New("api_version"), knownvalue.StringExact("v2")),
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
				Config: whatsappConfig(sb.URL(), nil, testBusinessV1, `api_version = "v1"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(whatsappAddr, tfjsonpath.New("total"), knownvalue.Int64Exact(5)),
				},
			},
			{
				Config:      whatsappConfig(sb.URL(), nil, testBusinessV1, ""),
				ExpectError: errorLike("Unable to Read WhatsApp Blocked Users", "HTTP 401 with code WA-401", `Set `+"`"+`api_version = "v1"`),
			},
			{
				Config:      whatsappConfig(sb.URL(), nil, "+919999999999", ""),
				ExpectError: errorLike("HTTP 401 with code WA401: Phone number is not present or does not belong to the account.", "not active, or is not on this account"),
			},
			{
				Config:      whatsappConfig(sb.URL(), nil, testInactive, ""),
				ExpectError: errorLike("HTTP 401 with code WA401: The phone number you're using not active", "Attempts: 1", "not active, or is not on this account"),
			},
		},
	})
}

func TestWhatsappBlockedUsers_repeatedCursorFails(t *testing.T) {
	sb := startSandbox(t, testAccount([]sandbox.WhatsAppNumber{
		{PhoneNumber: testBusinessV2, APIVersion: "v2", Blocked: waIDs(919800000000, 10)},
	}, nil), sandbox.Options{})
	// The first page is right; the second hands back the cursor that led
	// to it.
	sb.AddFault(sandbox.Fault{API: "whatsapp", CursorLoop: true, Skip: 1, Times: -1})

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{{
			Config: whatsappConfig(sb.URL(), nil, testBusinessV2, `page_size = 3`),
			ExpectError: errorLike("Unable to Read WhatsApp Blocked Users", "No partial list was returned.",
				"a second time (page 2)", "The API handed out a paging cursor it had already returned"),
		}},
	})
}

func TestWhatsappBlockedUsers_failuresSayWhatToDo(t *testing.T) {
	sb := startSandbox(t, testAccount([]sandbox.WhatsAppNumber{
		{PhoneNumber: testBusinessV2, APIVersion: "v2", Blocked: waIDs(919800000000, 10)},
	}, nil), sandbox.Options{})
	config := func(provider map[string]string) string {
		return whatsappConfig(sb.URL(), provider, testBusinessV2, "")
	}
	fault := func(f sandbox.Fault) func() {
		return func() {
			sb.ClearFaults()
			sb.AddFault(f)
		}
	}
	const summary = "Unable to Read WhatsApp Blocked Users"
	authHint := "Check the provider's `sid` and `api_key` arguments, or the KALEYRA_SID and KALEYRA_API_KEY environment variables"

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{
			{
				Config:      config(map[string]string{"api_key": `"wrong-key"`}),
				ExpectError: errorLike(summary, "HTTP 401 with code RBC001: Incorrect SID or API key.", authHint),
			},
			{
				Config:      config(map[string]string{"sid": `"HXWRONG0000000IN"`}),
				ExpectError: errorLike(summary, "HTTP 401 with code RBC001: Incorrect SID or API key.", authHint),
			},
			{
				PreConfig: fault(sandbox.Fault{API: "whatsapp", Code: "E110", Times: -1}),
				Config:    config(nil),
				ExpectError: errorLike(summary, "HTTP 400 with code E110: Please check your balance, You have a low balance!",
					"Attempts: 1", "The Kaleyra account's balance is low. Top it up"),
			},
			{
				// max_retries = 2: three attempts, then the last answer.
				PreConfig: fault(sandbox.Fault{API: "whatsapp", Status: 503, Times: -1}),
				Config:    config(map[string]string{"max_retries": "2"}),
				ExpectError: errorLike(summary, "HTTP 503 with code WA500: Please try again later",
					"Attempts: 3 (the last answer is shown)", "Kaleyra had a server error and the retries ran out"),
			},
			{
				// The list never stops changing: bounded restarts, then an error.
				PreConfig: fault(sandbox.Fault{API: "whatsapp", BlocklistChanged: true, Times: -1}),
				Config:    config(nil),
				ExpectError: errorLike(summary, "Failed: gave up after 3 restarts from the first page",
					"HTTP 400 with code 139102",
					"The blocklist kept changing while it was being read. Run again when it is quieter."),
			},
			{
				PreConfig: sb.ClearFaults,
				Config:    config(nil),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(whatsappAddr, tfjsonpath.New("total"), knownvalue.Int64Exact(10)),
				},
			},
		},
	})
}

func TestWhatsappBlockedUsers_retriesThenReportsAttempts(t *testing.T) {
	sb := startSandbox(t, testAccount([]sandbox.WhatsAppNumber{
		{PhoneNumber: testBusinessV2, APIVersion: "v2", Blocked: waIDs(919800000000, 10)},
	}, nil), sandbox.Options{})
	sb.AddFault(sandbox.Fault{API: "whatsapp", Status: 503, Times: -1})

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{{
			Config:      whatsappConfig(sb.URL(), map[string]string{"max_retries": "1"}, testBusinessV2, ""),
			ExpectError: errorLike("HTTP 503 with code WA500", "Attempts: 2"),
		}},
	})
	if got := len(sb.Requests()); got != 2 {
		t.Errorf("max_retries = 1 made %d requests, want 2", got)
	}
}

func TestWhatsappBlockedUsers_restartsWhenBlocklistChanges(t *testing.T) {
	ids := waIDs(919800000000, 20)
	added := []string{"919700000001", "919899999999", "919900000000"}
	sb := startSandbox(t, testAccount([]sandbox.WhatsAppNumber{
		{PhoneNumber: testBusinessV2, APIVersion: "v2", Blocked: ids},
	}, nil), sandbox.Options{})
	// Two pages in, users are blocked and the API says the list changed.
	sb.AddFault(sandbox.Fault{API: "whatsapp", BlocklistChanged: true, AddBlocked: added, Skip: 2})

	want := slices.Sorted(slices.Values(append(slices.Clone(ids), added...)))
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{{
			Config: whatsappConfig(sb.URL(), nil, testBusinessV2, `page_size = 5`),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(whatsappAddr, tfjsonpath.New("wa_ids"), knownvalue.ListExact(stringChecks(want))),
				statecheck.ExpectKnownValue(whatsappAddr, tfjsonpath.New("total"), knownvalue.Int64Exact(23)),
			},
		}},
	})

	// The read after the 139102 starts again from the first page.
	reqs := sb.Requests()
	changed := slices.IndexFunc(reqs, func(r sandbox.Request) bool { return r.Code == sandbox.CodeBlocklistChanged })
	switch {
	case changed < 0:
		t.Fatal("the sandbox never answered 139102")
	case changed != 2:
		t.Errorf("139102 answered request %d, want the third", changed+1)
	case changed+1 == len(reqs):
		t.Fatal("no request after the 139102")
	case reqs[changed+1].Query.Has("after"):
		t.Errorf("after 139102 the provider asked for %s?%s; want the first page again", reqs[changed+1].Path, reqs[changed+1].RawQuery)
	}
}

func TestWhatsappBlockedUsers_feedsOtherResources(t *testing.T) {
	ids := []string{"919800000003", "919800000001", "919800000002"}
	sb := startSandbox(t, testAccount([]sandbox.WhatsAppNumber{
		{PhoneNumber: testBusinessV2, APIVersion: "v2", Blocked: ids},
	}, nil), sandbox.Options{})
	config := whatsappConfig(sb.URL(), nil, testBusinessV2, "") + `
resource "terraform_data" "blocked" {
  for_each = toset(data.kaleyra_whatsapp_blocked_users.test.wa_ids)
  input    = "+${each.value}"
}

output "blocked_numbers" {
  value = [for id in data.kaleyra_whatsapp_blocked_users.test.wa_ids : terraform_data.blocked[id].output]
}
`

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					expectInstances("terraform_data.blocked", 3),
					statecheck.ExpectKnownValue(`terraform_data.blocked["919800000002"]`, tfjsonpath.New("output"), knownvalue.StringExact("+919800000002")),
					statecheck.ExpectKnownOutputValue("blocked_numbers", knownvalue.ListExact(stringChecks([]string{
						"+919800000001", "+919800000002", "+919800000003",
					}))),
				},
			},
			{
				// One user unblocked, one newly blocked: the plan follows.
				PreConfig: func() {
					if err := sb.SetBlocked(testSID, testBusinessV2, []string{"919800000004", "919800000001", "919800000003"}); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(`terraform_data.blocked["919800000004"]`, plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(`terraform_data.blocked["919800000002"]`, plancheck.ResourceActionDestroy),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectInstances("terraform_data.blocked", 3),
					statecheck.ExpectKnownOutputValue("blocked_numbers", knownvalue.ListExact(stringChecks([]string{
						"+919800000001", "+919800000003", "+919800000004",
					}))),
				},
			},
			{
				// terraform-plugin-testing cannot convert for_each instances
				// into its legacy state when the test ends, so the last step
				// removes them.
				Config: whatsappConfig(sb.URL(), nil, testBusinessV2, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					expectInstances("terraform_data.blocked", 0),
				},
			},
		},
	})
}

// expectInstances checks how many instances of a resource are in the state.
func expectInstances(resourceAddr string, want int) statecheck.StateCheck {
	return stateCheckFunc(func(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
		if req.State == nil || req.State.Values == nil || req.State.Values.RootModule == nil {
			resp.Error = fmt.Errorf("no state")
			return
		}
		got := 0
		for _, r := range req.State.Values.RootModule.Resources {
			if r.Address == resourceAddr || strings.HasPrefix(r.Address, resourceAddr+"[") {
				got++
			}
		}
		if got != want {
			resp.Error = fmt.Errorf("%d instances of %s in the state, want %d", got, resourceAddr, want)
		}
	})
}

func TestWhatsappBlockedUsers_pageSizeBoundsFailAtPlan(t *testing.T) {
	sb := startSandbox(t, testAccount([]sandbox.WhatsAppNumber{
		{PhoneNumber: testBusinessV2, APIVersion: "v2"},
	}, nil), sandbox.Options{})
	var steps []resource.TestStep
	for _, size := range []int{0, 1001, -1} {
		steps = append(steps, resource.TestStep{
			Config:      whatsappConfig(sb.URL(), nil, testBusinessV2, fmt.Sprintf("page_size = %d", size)),
			PlanOnly:    true,
			ExpectError: errorLike(fmt.Sprintf("Attribute page_size value must be between 1 and 1000, got: %d", size)),
		})
	}
	resource.UnitTest(t, resource.TestCase{ProtoV6ProviderFactories: testProviders(), Steps: steps})
	noRequestsSent(t, sb)
}
