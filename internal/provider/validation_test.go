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

func TestValidation_whatsappArgumentsRejectedAtPlan(t *testing.T) {
	sb := startSandbox(t, testAccount([]sandbox.WhatsAppNumber{{PhoneNumber: faultBusiness, Blocked: waIDs(919800000000, 3)}}, nil), sandbox.Options{})
	cases := []struct {
		phone, body string
		want        []string
	}{
		{"", "", []string{"Invalid Attribute Value Match", "Attribute phone_number must be an E.164 number", `like "+919876543210"; got an empty string.`}},
		{"919876543210", "", []string{"Attribute phone_number must be an E.164 number", `got "919876543210".`}},
		{"+91abc", "", []string{"Attribute phone_number must be an E.164 number", `got "+91abc".`}},
		{"+1234567", "", []string{"Attribute phone_number must be an E.164 number", "8 to 15 digits", `got "+1234567".`}},
		{"+1234567890123456", "", []string{"Attribute phone_number must be an E.164 number", `got "+1234567890123456".`}},
		{"+91 98765 43210", "", []string{"Attribute phone_number must be an E.164 number", "no spaces", `got "+91 98765 43210".`}},
		{"+0919876543210", "", []string{"Attribute phone_number must be an E.164 number", `got "+0919876543210".`}},
		{faultBusiness, `page_size = 0`, []string{"Invalid Attribute Value", "Attribute page_size value must be between 1 and 1000, got: 0"}},
		{faultBusiness, `page_size = 1001`, []string{"Attribute page_size value must be between 1 and 1000, got: 1001"}},
		{faultBusiness, `api_version = "v3"`, []string{`Attribute api_version is "v3"; expected one of "v2" or "v1", in any letter case.`}},
		{faultBusiness, `api_version = "2"`, []string{`Attribute api_version is "2"; expected one of "v2" or "v1", in any letter case.`}},
	}
	steps := make([]resource.TestStep, len(cases))
	for i, tc := range cases {
		steps[i] = resource.TestStep{
			Config:      whatsappConfig(sb.URL(), nil, tc.phone, tc.body),
			PlanOnly:    true,
			ExpectError: errorLike(tc.want...),
		}
	}
	resource.UnitTest(t, resource.TestCase{ProtoV6ProviderFactories: testProviders(), Steps: steps})
	noRequestsSent(t, sb)
}

func TestValidation_contactsArgumentsRejectedAtPlan(t *testing.T) {
	sb := startSandbox(t, testAccount(nil, nil), sandbox.Options{})
	cases := []struct {
		body string
		want []string
	}{
		{`mobiles = ["+919876543210", "12345", "+919876543211"]`, []string{"Invalid Attribute Value Match", "Attribute mobiles[1] must be an E.164 number", `got "12345".`}},
		{`mobiles = ["+919876543210", "+919876543211", "+91-98765-43212"]`, []string{"Attribute mobiles[2] must be an E.164 number", `got "+91-98765-43212".`}},
		{`mobiles = ["+919876543210", null]`, []string{"Null Number", "Attribute mobiles[1] is null", "E.164"}},
		{`page_size = 0`, []string{"Attribute page_size value must be between 1 and 100, got: 0"}},
		{`page_size = 101`, []string{"Attribute page_size value must be between 1 and 100, got: 101"}},
		{`channel = "SMSes"`, []string{`Attribute channel is "SMSes"; expected one of "sms", "whatsapp" or "voice", in any letter case.`}},
		{`channel = "email"`, []string{`Attribute channel is "email"; expected one of "sms", "whatsapp" or "voice", in any letter case.`}},
	}
	steps := make([]resource.TestStep, len(cases))
	for i, tc := range cases {
		steps[i] = resource.TestStep{
			Config:      contactsConfig(sb.URL(), nil, tc.body),
			PlanOnly:    true,
			ExpectError: errorLike(tc.want...),
		}
	}
	resource.UnitTest(t, resource.TestCase{ProtoV6ProviderFactories: testProviders(), Steps: steps})
	noRequestsSent(t, sb)
}

func TestValidation_providerArgumentsRejectedAtPlan(t *testing.T) {
	sb := startSandbox(t, testAccount(nil, nil), sandbox.Options{})
	// Even a valid base_url (the sandbox's, unless the case replaces it)
	// must not be reached when another argument is wrong.
	cases := []struct {
		set  map[string]string // provider arguments, as in sandboxProvider
		want []string
	}{
		{map[string]string{"pod": `"US"`}, []string{`Attribute pod is "US"; expected one of "IN", "SG", "EU" or "NA", in any letter case.`}},
		{map[string]string{"base_url": `"api.example.com"`}, []string{"Invalid Kaleyra Base URL", `base URL "api.example.com" must be absolute, like https://api.example.com`}},
		{map[string]string{"base_url": `"http://example.com"`}, []string{"Invalid Kaleyra Base URL", `base URL "http://example.com" uses plain http on a host that is not loopback`, "use https"}},
		{map[string]string{"base_url": `"ftp://api.example.com"`}, []string{"Invalid Kaleyra Base URL", `has scheme "ftp"`}},
		{map[string]string{"max_retries": `-1`}, []string{"Attribute max_retries value must be at least 0, got: -1"}},
		{map[string]string{"request_timeout": `"soon"`}, []string{"Invalid Duration", `Attribute request_timeout is "soon"`, "positive Go duration"}},
		{map[string]string{"request_timeout": `"0s"`}, []string{"Invalid Duration", `Attribute request_timeout is "0s"`}},
		{map[string]string{"max_parallel_requests": `0`}, []string{"Attribute max_parallel_requests value must be between 1 and 32, got: 0"}},
	}
	steps := make([]resource.TestStep, len(cases))
	for i, tc := range cases {
		steps[i] = resource.TestStep{
			Config:      contactsConfig(sb.URL(), tc.set, `channel = "sms"`),
			PlanOnly:    true,
			ExpectError: errorLike(tc.want...),
		}
	}
	resource.UnitTest(t, resource.TestCase{ProtoV6ProviderFactories: testProviders(), Steps: steps})
	noRequestsSent(t, sb)
}

func TestValidation_duplicateMobilesQueriedOnce(t *testing.T) {
	const a, b, c = "+919876500001", "+919876500002", "+919876500003"
	sb := startSandbox(t, testAccount(nil, []sandbox.BlocklistEntry{{Mobile: b, Channel: "sms"}}), sandbox.Options{})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{{
			Config: contactsConfig(sb.URL(), nil, fmt.Sprintf(`mobiles = [%[1]q, %[2]q, %[1]q, %[3]q, %[2]q]`, a, b, c)),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocked"), knownvalue.MapExact(map[string]knownvalue.Check{
					a: knownvalue.Bool(false), b: knownvalue.Bool(true), c: knownvalue.Bool(false),
				})),
				statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocklisted_mobiles"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact(b)})),
				statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("total"), knownvalue.Int64Exact(1)),
			},
		}},
	})

	reqs := sb.Requests()
	if len(reqs) == 0 {
		t.Fatal("the sandbox got no request")
	}
	for i, r := range reqs {
		if got := slices.Sorted(slices.Values(r.Mobiles)); !slices.Equal(got, []string{a, b, c}) {
			t.Errorf("request %d asked for %q, want each number once: %q", i, r.Mobiles, []string{a, b, c})
		}
	}
}

// noRequestsYet is a plan check that fails if the sandbox has been asked
// anything: a read deferred to apply is not done during plan.
type noRequestsYet struct{ sb *sandbox.Server }

func (c noRequestsYet) CheckPlan(_ context.Context, _ plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	if n := len(c.sb.Requests()); n != 0 {
		resp.Error = fmt.Errorf("the plan sent %d requests; a read of unknown arguments must wait for apply", n)
	}
}

func TestValidation_unknownArgumentsDeferReadToApply(t *testing.T) {
	ids := waIDs(919800000000, 12)
	sb := startSandbox(t, testAccount(
		[]sandbox.WhatsAppNumber{{PhoneNumber: faultBusiness, Blocked: ids}},
		[]sandbox.BlocklistEntry{{Mobile: "+919876500002", Channel: "whatsapp"}},
	), sandbox.Options{})

	// terraform_data's output is only known after apply, like any value
	// computed by another resource.
	config := sandboxProvider(sb.URL(), nil) + fmt.Sprintf(`
resource "terraform_data" "inputs" {
  input = {
    number  = %[1]q
    mobiles = ["+919876500001", "+919876500002"]
  }
}

data "kaleyra_whatsapp_blocked_users" "test" {
  phone_number = terraform_data.inputs.output.number
}

data "kaleyra_contacts_blocklisted" "test" {
  mobiles = terraform_data.inputs.output.mobiles
}
`, faultBusiness)

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{{
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(whatsappAddr, plancheck.ResourceActionRead),
					plancheck.ExpectUnknownValue(whatsappAddr, tfjsonpath.New("total")),
					plancheck.ExpectUnknownValue(whatsappAddr, tfjsonpath.New("wa_ids")),
					plancheck.ExpectResourceAction(contactsAddr, plancheck.ResourceActionRead),
					plancheck.ExpectUnknownValue(contactsAddr, tfjsonpath.New("blocked")),
					noRequestsYet{sb},
				},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(whatsappAddr, tfjsonpath.New("id"), knownvalue.StringExact(faultBusiness)),
				statecheck.ExpectKnownValue(whatsappAddr, tfjsonpath.New("total"), knownvalue.Int64Exact(int64(len(ids)))),
				statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocked"), knownvalue.MapExact(map[string]knownvalue.Check{
					"+919876500001": knownvalue.Bool(false), "+919876500002": knownvalue.Bool(true),
				})),
			},
		}},
	})
}

// TestValidation_channelAndAPIVersionInAnyCase: like `pod`, `channel` and
// `api_version` take any letter case. The API gets them lowercase; the
// state keeps what was written, so a second plan has nothing to change.
func TestValidation_channelAndAPIVersionInAnyCase(t *testing.T) {
	const listed, clean = "+919876500001", "+919876500002"
	ids := waIDs(919800000000, 4)
	sb := startSandbox(t, testAccount(
		[]sandbox.WhatsAppNumber{{PhoneNumber: faultBusiness, APIVersion: "v2", Blocked: ids}},
		[]sandbox.BlocklistEntry{{Mobile: listed, Channel: "sms"}, {Mobile: clean, Channel: "whatsapp"}},
	), sandbox.Options{})
	config := sandboxProvider(sb.URL(), nil) + fmt.Sprintf(`
data "kaleyra_whatsapp_blocked_users" "test" {
  phone_number = %[1]q
  api_version  = "V2"
}

data "kaleyra_contacts_blocklisted" "test" {
  channel = "SMS"
  mobiles = [%[2]q, %[3]q]
}
`, faultBusiness, listed, clean)

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(whatsappAddr, tfjsonpath.New("api_version"), knownvalue.StringExact("V2")),
					statecheck.ExpectKnownValue(whatsappAddr, tfjsonpath.New("total"), knownvalue.Int64Exact(int64(len(ids)))),
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("channel"), knownvalue.StringExact("SMS")),
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("contacts"), knownvalue.ListExact([]knownvalue.Check{
						contactCheck(listed, sandbox.ChannelTypes["sms"], knownvalue.StringExact("sms")),
					})),
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocked"), knownvalue.MapExact(map[string]knownvalue.Check{
						listed: knownvalue.Bool(true), clean: knownvalue.Bool(false),
					})),
					// The same query as channel = "sms": the same id.
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("id"), knownvalue.StringExact(contactsQueryID("sms", []string{listed, clean}))),
				},
			},
			{
				// Read again: the state matches the configuration as written.
				Config:   config,
				PlanOnly: true,
			},
		},
	})

	reqs := sb.Requests()
	if len(reqs) == 0 {
		t.Fatal("the sandbox got no request")
	}
	for _, r := range reqs {
		if r.Status != 200 {
			t.Errorf("%s?%s answered %d", r.Path, r.RawQuery, r.Status)
		}
		if strings.Contains(r.Path, "/contacts/") && r.Query.Get("channel") != "sms" {
			t.Errorf("the contacts request asked for channel %q, want sms", r.Query.Get("channel"))
		}
		if strings.Contains(r.Path, "/whatsapp/") && !strings.HasPrefix(r.Path, "/v2/") {
			t.Errorf("the WhatsApp request went to %s, want /v2/", r.Path)
		}
	}
}
