package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
	"github.com/nyaruka/phonenumbers"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

// e164Types are every libphonenumber number type with example numbers.
var e164Types = map[phonenumbers.PhoneNumberType]string{
	phonenumbers.FIXED_LINE:      "fixed line",
	phonenumbers.MOBILE:          "mobile",
	phonenumbers.TOLL_FREE:       "toll free",
	phonenumbers.PREMIUM_RATE:    "premium rate",
	phonenumbers.SHARED_COST:     "shared cost",
	phonenumbers.VOIP:            "VoIP",
	phonenumbers.PERSONAL_NUMBER: "personal number",
	phonenumbers.PAGER:           "pager",
	phonenumbers.UAN:             "UAN",
	phonenumbers.VOICEMAIL:       "voicemail",
}

// e164Example is one way of writing a valid number, and the region to read
// it with.
type e164Example struct {
	what, written, region string
}

// e164Examples writes libphonenumber's example number of every type of
// every region, and of every non-geographic calling code, the ways people
// write them: nationally (with the region in upper and lower case),
// internationally, in E.164, as a tel: URI and as dialled from the US and
// from Germany (with their international call prefixes).
func e164Examples(t *testing.T) (byE164 map[string][]e164Example, quirks []string) {
	t.Helper()
	byE164 = map[string][]e164Example{}
	add := func(n *phonenumbers.PhoneNumber, what, region string) {
		if !phonenumbers.IsValidNumber(n) {
			t.Errorf("libphonenumber's example %s %v is not valid", what, n)
			return
		}
		want := phonenumbers.Format(n, phonenumbers.E164)
		forms := []e164Example{
			{what, phonenumbers.Format(n, phonenumbers.INTERNATIONAL), ""},
			{what, phonenumbers.Format(n, phonenumbers.E164), ""},
			{what, phonenumbers.Format(n, phonenumbers.RFC3966), ""},
			{what, phonenumbers.Format(n, phonenumbers.INTERNATIONAL), "IN"},
			{what, phonenumbers.FormatOutOfCountryCallingNumber(n, "US"), "us"},
			{what, phonenumbers.FormatOutOfCountryCallingNumber(n, "DE"), "DE"},
		}
		if region != phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
			national := phonenumbers.Format(n, phonenumbers.NATIONAL)
			if back, err := phonenumbers.Parse(national, region); err != nil || phonenumbers.Format(back, phonenumbers.E164) != want {
				// libphonenumber cannot read its own national form of this
				// number (the Go port writes Argentine mobiles as "09 15-…");
				// TestE164_run has the form people write.
				quirks = append(quirks, what+": "+national)
			} else {
				forms = append(forms, e164Example{what, national, region}, e164Example{what, national, strings.ToLower(region)})
			}
		}
		byE164[want] = append(byE164[want], forms...)
	}
	for _, region := range slices.Sorted(maps.Keys(phonenumbers.GetSupportedRegions())) {
		for typ, name := range e164Types {
			if n := phonenumbers.GetExampleNumberForType(region, typ); n != nil {
				add(n, region+" "+name, region)
			}
		}
	}
	for cc := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		if n := phonenumbers.GetExampleNumberForNonGeoEntity(cc); n != nil {
			add(n, "non-geographic "+phonenumbers.Format(n, phonenumbers.E164)[:4], phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY)
		}
	}
	return byE164, quirks
}

// TestE164_everyExampleNumberIsAcceptedByTheDataSources is the property
// the SPEC promises: whatever e164 returns, the data sources' E.164
// validation accepts. Over libphonenumber's example numbers, written every
// way e164Examples knows, e164 returns the number's E.164 form, which the
// validator accepts, or, for the few valid numbers shorter than the 8
// digits the data sources take, an error that says so.
func TestE164_everyExampleNumberIsAcceptedByTheDataSources(t *testing.T) {
	examples, quirks := e164Examples(t)
	if len(quirks) > 3 {
		t.Errorf("libphonenumber cannot read back its national form of %d example numbers: %q", len(quirks), quirks)
	}
	checked, tooShort := 0, map[string]string{}
	for want, forms := range examples {
		for _, ex := range forms {
			checked++
			got, err := toE164(ex.written, ex.region)
			if !e164.MatchString(want) {
				if err == nil || err.arg != e164ArgNumber || !strings.Contains(err.reason, "8 to 15") {
					t.Errorf("%s: e164(%q, %q) = %q, %v; want an error: %s is valid but has fewer than 8 digits",
						ex.what, ex.written, ex.region, got, err, want)
				}
				tooShort[want] = ex.what
				continue
			}
			if err != nil {
				t.Errorf("%s: e164(%q, %q): %v; want %s", ex.what, ex.written, ex.region, err, want)
				continue
			}
			if got != want {
				t.Errorf("%s: e164(%q, %q) = %q, want %q", ex.what, ex.written, ex.region, got, want)
			}
			if diags := validateE164(got); diags != "" {
				t.Errorf("%s: e164(%q, %q) = %q, which the data sources reject: %s", ex.what, ex.written, ex.region, got, diags)
			}
		}
	}
	if regions := len(phonenumbers.GetSupportedRegions()); len(examples) < 1000 || regions < 200 {
		t.Errorf("only %d example numbers from %d regions: libphonenumber's metadata is missing", len(examples), regions)
	}
	t.Logf("%d ways of writing %d example numbers; valid but shorter than 8 digits: %v; national forms left out: %q",
		checked, len(examples), tooShort, quirks)
}

// TestE164_run calls the function's Run as Terraform does, with known
// arguments (the framework answers null and unknown ones itself: see
// TestE164Function_nullAndUnknown).
func TestE164_run(t *testing.T) {
	cases := []struct {
		number, region string
		want           string // the result, or "" for an error
		arg            int64
		error          string
	}{
		{number: "+91 98765-43210", region: "", want: "+919876543210"},
		{number: "098765 43210", region: "IN", want: "+919876543210"},
		{number: "98765 43210", region: "in", want: "+919876543210"},
		{number: "(415) 555-0123", region: "US", want: "+14155550123"},
		{number: "+1 (415) 555-0123", region: "IN", want: "+14155550123"},
		{number: "0091 98765 43210", region: "GB", want: "+919876543210"},
		{number: "011 91 98765 43210", region: "us", want: "+919876543210"},
		{number: "tel:+91-98765-43210", region: "", want: "+919876543210"},
		{number: "+919876543210", region: "", want: "+919876543210"},
		{number: "011 15-2345-6789", region: "AR", want: "+5491123456789"},
		{number: "020 7946 0958", region: "GB", want: "+442079460958"},
		{number: "+４４ ２０ ７９４６ ０９５８", region: "", want: "+442079460958"},

		{number: "12345", region: "IN", arg: 0, error: `"12345" is not a valid phone number: it is too short for IN (+91)`},
		{number: "+91 12345", region: "", arg: 0, error: `"+91 12345" is not a valid phone number: it is too short for +91 (IN)`},
		{number: "+91 98765 432101234", region: "", arg: 0, error: `"+91 98765 432101234" is not a valid phone number: it is too long for +91 (IN)`},
		{number: "+1 415 555 01234", region: "", arg: 0, error: `"+1 415 555 01234" is not a valid phone number: it is too long for +1`},
		{number: "555 0123", region: "US", arg: 0, error: `"555 0123" is not a valid phone number: it is a local number of US (+1): add the area code`},
		{number: "(415) 123-4567", region: "US", arg: 0, error: `"(415) 123-4567" is not a valid phone number: it is not in any number range in use for US (+1)`},
		{number: "+999 1234 5678", region: "", arg: 0, error: `"+999 1234 5678" is not a phone number: its country calling code is not one in use`},
		{number: "98765 43210", region: "", arg: 0, error: `"98765 43210" is not a phone number: it does not start with "+" and a country calling code, and default_region is ""`},
		{number: "", region: "IN", arg: 0, error: `"" is not a phone number: it is empty`},
		{number: "  ", region: "IN", arg: 0, error: `"  " is not a phone number: it is empty`},
		{number: "call me", region: "IN", arg: 0, error: `"call me" is not a phone number: it has no digits`},
		{number: "98765 43210 call me", region: "IN", arg: 0, error: `"98765 43210 call me" is not a valid phone number: it contains "call me", which is not part of a phone number`},
		{number: "98765 call 43210 me", region: "IN", arg: 0, error: `"98765 call 43210 me" is not a valid phone number: it contains "call" and "me", which are not part of a phone number`},
		{number: "+91 98765 43210 (mobile)", region: "", arg: 0, error: `"+91 98765 43210 (mobile)" is not a valid phone number: it contains "mobile", which is not part of a phone number`},
		{number: "+999 1234 5678 office", region: "", arg: 0, error: `"+999 1234 5678 office" is not a phone number: it contains "office", which is not part of a phone number`},
		{number: "1-800-FLOWERS", region: "US", want: "+18003569377"}, // letters as a keypad's digits
		{number: "tel:+91-98765-43210;phone-context=example.com", region: "", want: "+919876543210"},
		{number: "+1 415 555 0123 ext. 45", region: "", arg: 0, error: `"+1 415 555 0123 ext. 45" has an extension (45), which E.164 cannot carry`},
		{number: "+683 7012", region: "", arg: 0, error: `"+683 7012" is a valid number of +683 (NU), but its E.164 form +6837012 has 7 digits and the Kaleyra data sources take 8 to 15`},

		{number: "+919876543210", region: "XX", arg: 1, error: `"XX" is not a region code libphonenumber knows: expected an ISO 3166-1 alpha-2 code such as "IN" or "US" (any letter case)`},
		{number: "098765 43210", region: "India", arg: 1, error: `"India" is not a region code`},
		{number: "098765 43210", region: "ın", arg: 1, error: `"ın" is not a region code`},
		{number: "098765 43210", region: "001", arg: 1, error: `"001" is not a region code`},
		{number: "020 7946 0958", region: "UK", arg: 1, error: `"UK" is not an ISO 3166-1 alpha-2 code: the United Kingdom's is "GB"`},
		{number: "020 7946 0958", region: "uk", arg: 1, error: `"uk" is not an ISO 3166-1 alpha-2 code: the United Kingdom's is "GB"`},
		{number: "098765 43210", region: " IN", arg: 1, error: `" IN" is not a region code`},
	}
	for _, tc := range cases {
		t.Run(tc.number+" "+tc.region, func(t *testing.T) {
			resp := function.RunResponse{Result: function.NewResultData(types.StringUnknown())}
			NewE164Function().Run(context.Background(), function.RunRequest{
				Arguments: function.NewArgumentsData([]attr.Value{types.StringValue(tc.number), types.StringValue(tc.region)}),
			}, &resp)
			if tc.error == "" {
				want := function.RunResponse{Result: function.NewResultData(types.StringValue(tc.want))}
				if diff := cmp.Diff(want, resp); diff != "" {
					t.Errorf("e164(%q, %q): (-want +got)\n%s", tc.number, tc.region, diff)
				}
				return
			}
			if resp.Error == nil {
				t.Fatalf("e164(%q, %q) = %v, want an error", tc.number, tc.region, resp.Result.Value())
			}
			if resp.Error.FunctionArgument == nil || *resp.Error.FunctionArgument != tc.arg {
				t.Errorf("e164(%q, %q): the error is about argument %v, want %d: %s", tc.number, tc.region, resp.Error.FunctionArgument, tc.arg, resp.Error)
			}
			if !strings.HasPrefix(resp.Error.Text, tc.error) {
				t.Errorf("e164(%q, %q):\n got %s\nwant %s…", tc.number, tc.region, resp.Error.Text, tc.error)
			}
			if !resp.Result.Value().IsUnknown() {
				t.Errorf("e164(%q, %q) failed but set the result %v", tc.number, tc.region, resp.Result.Value())
			}
		})
	}
}

// TestE164_panicIsAnError: should libphonenumber panic on some input, the
// function fails on its argument instead of taking the provider down.
func TestE164_panicIsAnError(t *testing.T) {
	parse := parsePhoneNumber
	t.Cleanup(func() { parsePhoneNumber = parse })
	parsePhoneNumber = func(string, string) (*phonenumbers.PhoneNumber, error) { panic("index out of range [3]") }

	got, err := toE164("+91 98765 43210", "")
	if got != "" || err == nil || err.arg != e164ArgNumber ||
		err.reason != `"+91 98765 43210" could not be read: libphonenumber failed (index out of range [3]); please report this as a bug of the Kaleyra provider` {
		t.Errorf("got %q, %+v", got, err)
	}
}

// TestE164_definition checks what Terraform and the registry docs show.
func TestE164_definition(t *testing.T) {
	f := NewE164Function()
	var meta function.MetadataResponse
	f.Metadata(context.Background(), function.MetadataRequest{}, &meta)
	if meta.Name != "e164" {
		t.Errorf("name %q", meta.Name)
	}
	var def function.DefinitionResponse
	f.Definition(context.Background(), function.DefinitionRequest{}, &def)
	if def.Diagnostics.HasError() {
		t.Fatal(def.Diagnostics)
	}
	d := def.Definition
	if d.Summary == "" || d.MarkdownDescription == "" || d.Description != "" {
		t.Errorf("summary %q, markdown description %q, description %q: the registry page needs a summary and a Markdown description only", d.Summary, d.MarkdownDescription, d.Description)
	}
	var names []string
	for _, p := range d.Parameters {
		names = append(names, p.GetName())
		if p.GetMarkdownDescription() == "" || p.GetAllowNullValue() || p.GetAllowUnknownValues() {
			t.Errorf("parameter %s: it needs a description, and null and unknown are the framework's to answer", p.GetName())
		}
	}
	if !slices.Equal(names, []string{"number", "default_region"}) {
		t.Errorf("parameters %q", names)
	}
}

// e164Call is an output holding provider::kaleyra::e164(number, region),
// each argument an HCL expression.
func e164Call(name, number, region string) string {
	return fmt.Sprintf(`
output %[1]q {
  value = provider::kaleyra::e164(%[2]s, %[3]s)
}
`, name, number, region)
}

// Provider-defined functions exist from Terraform 1.8 on.
var functionVersions = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)}

// functionOnlyProvider is what a configuration that only calls e164 needs
// of the provider: nothing under Terraform and OpenTofu 1.12, which call a
// provider's functions without configuring it; a configured provider block
// under older OpenTofu (1.10 configures the provider first, so its SID and
// key must be set; no request is made). The README's Compatibility section
// says so.
func functionOnlyProvider(t *testing.T) string {
	t.Helper()
	if v := exampleCLIVersion(t); v.name == "OpenTofu" && v.major == 1 && v.minor < 12 {
		return sandboxProvider("http://127.0.0.1:1", nil)
	}
	return ""
}

// TestE164Function_convertsNumbersAsWritten calls the function from HCL,
// with no provider configuration where the CLI needs none.
func TestE164Function_convertsNumbersAsWritten(t *testing.T) {
	clearKaleyraEnv(t)
	q := strconv.Quote
	provider := functionOnlyProvider(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		TerraformVersionChecks:   functionVersions,
		Steps: []resource.TestStep{
			{
				Config: provider + e164Call("international", q("+91 98765-43210"), q("")) +
					e164Call("national", q("098765 43210"), q("IN")) +
					e164Call("us", q("(415) 555-0123"), q("US")) +
					e164Call("lower_case_region", q("98765 43210"), q("in")),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("international", knownvalue.StringExact("+919876543210")),
					statecheck.ExpectKnownOutputValue("national", knownvalue.StringExact("+919876543210")),
					statecheck.ExpectKnownOutputValue("us", knownvalue.StringExact("+14155550123")),
					statecheck.ExpectKnownOutputValue("lower_case_region", knownvalue.StringExact("+919876543210")),
				},
			},
			{
				Config:      provider + e164Call("short", q("12345"), q("IN")),
				ExpectError: errorLike(`Invalid value for "number" parameter: "12345" is not a valid phone number: it is too short for IN (+91).`),
			},
			{
				Config:      provider + e164Call("no_plus", q("98765 43210"), q("")),
				ExpectError: errorLike(`Invalid value for "number" parameter: "98765 43210" is not a phone number: it does not start with "+"`),
			},
			{
				Config:      provider + e164Call("region", q("098765 43210"), q("India")),
				ExpectError: errorLike(`Invalid value for "default_region" parameter: "India" is not a region code`, `ISO 3166-1 alpha-2`),
			},
			{
				Config:      provider + e164Call("null", "null", q("IN")),
				ExpectError: errorLike(`Invalid value for "number" parameter: argument must not be null.`),
			},
		},
	})
}

// TestE164Function_unknownUntilApply: an argument known only at apply
// makes the result unknown in the plan, and right after apply.
func TestE164Function_unknownUntilApply(t *testing.T) {
	clearKaleyraEnv(t)
	provider := functionOnlyProvider(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		TerraformVersionChecks:   functionVersions,
		Steps: []resource.TestStep{{
			Config: provider + `
resource "terraform_data" "number" {
  input = "098765 43210"
}
` + e164Call("number", "terraform_data.number.output", strconv.Quote("IN")),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectUnknownOutputValue("number")},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownOutputValue("number", knownvalue.StringExact("+919876543210")),
			},
		}},
	})
}

// TestE164Function_feedsContactsLookup normalises an on-call list written
// every which way and looks the results up: the data source reads exactly
// the converted numbers, and `blocked` is keyed by them.
func TestE164Function_feedsContactsLookup(t *testing.T) {
	const (
		blocked    = "+919812345678"
		smsOnly    = "+918023456789"
		clean      = "+919876500001"
		cleanUS    = "+14155550100"
		blockedUSA = "+12125550199"
	)
	sb := startSandbox(t, testAccount(nil, []sandbox.BlocklistEntry{
		{Mobile: blocked, Channel: "sms"}, {Mobile: blocked, Channel: "voice"},
		{Mobile: smsOnly, Channel: "sms"}, {Mobile: blockedUSA, Channel: "voice"},
	}), sandbox.Options{})

	config := sandboxProvider(sb.URL(), nil) + `
locals {
  on_call = [
    { name = "asha",  number = "+91 98123-45678", region = "" },
    { name = "bala",  number = "080 2345 6789",   region = "in" },
    { name = "chen",  number = "098765 00001",    region = "IN" },
    { name = "dana",  number = "(415) 555-0100",  region = "US" },
    { name = "ravi",  number = "+91 98123 45678", region = "IN" },
  ]
  numbers = { for p in local.on_call : p.name => provider::kaleyra::e164(p.number, p.region) }
}

data "kaleyra_contacts_blocklisted" "sms" {
  channel = "sms"
  mobiles = values(local.numbers)
}

data "kaleyra_contacts_blocklisted" "voice" {
  channel = "voice"
  mobiles = [for name in sort(keys(local.numbers)) : local.numbers[name]]
}

output "numbers" {
  value = local.numbers
}

output "blocked_on_sms" {
  value = sort([for name, number in local.numbers : name if data.kaleyra_contacts_blocklisted.sms.blocked[number]])
}
`
	blockedMap := func(blockedNumbers ...string) knownvalue.Check {
		m := map[string]knownvalue.Check{}
		for _, n := range []string{blocked, smsOnly, clean, cleanUS} {
			m[n] = knownvalue.Bool(slices.Contains(blockedNumbers, n))
		}
		return knownvalue.MapExact(m)
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		TerraformVersionChecks:   functionVersions,
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownOutputValue("numbers", knownvalue.MapExact(map[string]knownvalue.Check{
					"asha": knownvalue.StringExact(blocked),
					"bala": knownvalue.StringExact(smsOnly),
					"chen": knownvalue.StringExact(clean),
					"dana": knownvalue.StringExact(cleanUS),
					"ravi": knownvalue.StringExact(blocked),
				})),
				statecheck.ExpectKnownValue("data.kaleyra_contacts_blocklisted.sms", tfjsonpath.New("blocked"), blockedMap(blocked, smsOnly)),
				statecheck.ExpectKnownValue("data.kaleyra_contacts_blocklisted.voice", tfjsonpath.New("blocked"), blockedMap(blocked)),
				statecheck.ExpectKnownOutputValue("blocked_on_sms", knownvalue.ListExact(stringChecks([]string{"asha", "bala", "ravi"}))),
			},
		}},
	})

	// Only the converted numbers were asked for.
	for _, r := range sb.Requests() {
		for _, m := range r.Mobiles {
			if !slices.Contains([]string{blocked, smsOnly, clean, cleanUS}, m) {
				t.Errorf("the lookup asked for %q", m)
			}
		}
	}
	expectRequests(t, sb)
}

// TestValidation_e164ErrorPointsAtTheFunction: a number written for people
// fails the data sources' validation at plan, with the hint, under every
// Terraform version.
func TestValidation_e164ErrorPointsAtTheFunction(t *testing.T) {
	sb := startSandbox(t, testAccount(nil, nil), sandbox.Options{})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{
			{
				Config:   contactsConfig(sb.URL(), nil, `mobiles = ["+919876543210", "098765 43210"]`),
				PlanOnly: true,
				ExpectError: errorLike("Invalid Attribute Value Match", "Attribute mobiles[1] must be an E.164 number",
					`got "098765 43210". It looks like a national or formatted number: provider::kaleyra::e164(value, "IN") converts it`,
					"(Terraform 1.8 or later, OpenTofu 1.7 or later)."),
			},
			{
				Config:   whatsappConfig(sb.URL(), nil, "+91 98765-43210", ""),
				PlanOnly: true,
				ExpectError: errorLike("Attribute phone_number must be an E.164 number",
					`got "+91 98765-43210". It looks like a formatted number: provider::kaleyra::e164(value, "") converts it`),
			},
		},
	})
	noRequestsSent(t, sb)
}
