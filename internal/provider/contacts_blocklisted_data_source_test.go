package provider

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

// The sandbox's channel_type codes: only "3" (whatsapp) is documented.
var (
	smsType      = sandbox.ChannelTypes["sms"]
	voiceType    = sandbox.ChannelTypes["voice"]
	whatsappType = sandbox.ChannelTypes["whatsapp"]
)

// sha256Hex is what `id` looks like.
var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// shuffled returns a deterministic permutation of s.
func shuffled[T any](s []T) []T {
	out := slices.Clone(s)
	rand.New(rand.NewPCG(20250101, uint64(len(s)))).Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// wantContacts is the `contacts` list the provider must produce for these
// blocklist rows: unique by (mobile, channel_type), sorted by mobile then
// channel_type, `channel` named only when the query filtered on it or the
// code is the documented "3" (whatsapp).
func wantContacts(rows []sandbox.BlocklistEntry, filter string) []knownvalue.Check {
	type row struct{ mobile, channelType, channel string }
	uniq := make([]row, 0, len(rows))
	for _, e := range rows {
		uniq = append(uniq, row{e.Mobile, sandbox.ChannelTypes[e.Channel], e.Channel})
	}
	slices.SortFunc(uniq, func(a, b row) int {
		return cmp.Or(strings.Compare(a.mobile, b.mobile), strings.Compare(a.channelType, b.channelType))
	})
	uniq = slices.Compact(uniq)
	checks := make([]knownvalue.Check, len(uniq))
	for i, r := range uniq {
		var name knownvalue.Check = knownvalue.Null()
		switch {
		case filter != "":
			name = knownvalue.StringExact(filter)
		case r.channel == "whatsapp":
			name = knownvalue.StringExact("whatsapp")
		}
		checks[i] = knownvalue.ObjectExact(map[string]knownvalue.Check{
			"mobile":       knownvalue.StringExact(r.mobile),
			"channel_type": knownvalue.StringExact(r.channelType),
			"channel":      name,
		})
	}
	return checks
}

// wantMobiles is `blocklisted_mobiles` for these rows: sorted, unique.
func wantMobiles(rows []sandbox.BlocklistEntry) []knownvalue.Check {
	mobiles := make([]string, 0, len(rows))
	for _, e := range rows {
		mobiles = append(mobiles, e.Mobile)
	}
	slices.Sort(mobiles)
	return stringChecks(slices.Compact(mobiles))
}

// channelsOf says on which channels number i of a test set is blocklisted:
// none, one, two or all three, so that batches hold more rows than numbers.
func channelsOf(i int) []string {
	return [][]string{nil, {"sms"}, {"whatsapp"}, {"sms", "whatsapp"}, {"sms", "voice", "whatsapp"}}[i%5]
}

func TestContactsBlocklisted_manyNumbersBatchedAndMapped(t *testing.T) {
	numbers := numbersFrom("+9180", 250)
	var blocklist, wantRows []sandbox.BlocklistEntry
	wantBlocked := make(map[string]knownvalue.Check, len(numbers))
	for i, n := range numbers {
		for _, ch := range channelsOf(i) {
			blocklist = append(blocklist, sandbox.BlocklistEntry{Mobile: n, Channel: ch})
		}
		wantBlocked[n] = knownvalue.Bool(len(channelsOf(i)) > 0)
	}
	// A row sent twice comes out once.
	blocklist = append(blocklist, blocklist[2], blocklist[200])
	wantRows = slices.Clone(blocklist)
	// Numbers nobody asked about must not show up.
	for _, n := range numbersFrom("+9170", 30) {
		blocklist = append(blocklist, sandbox.BlocklistEntry{Mobile: n, Channel: "whatsapp"})
	}
	// Through ProtocolServer, as the provider is served, and through the
	// plain framework server: its large-state path and its fallback give
	// the same state.
	for name, factories := range map[string]map[string]func() (tfprotov6.ProviderServer, error){
		"ProtocolServer": testProviders(), "framework server": frameworkProviders(),
	} {
		t.Run(name, func(t *testing.T) { expectBatchedAndMapped(t, factories, numbers, blocklist, wantRows, wantBlocked) })
	}
}

// expectBatchedAndMapped looks numbers up in blocklist through the
// provider servers of factories, and checks the state and the batches.
func expectBatchedAndMapped(t *testing.T, factories map[string]func() (tfprotov6.ProviderServer, error), numbers []string,
	blocklist, wantRows []sandbox.BlocklistEntry, wantBlocked map[string]knownvalue.Check,
) {
	t.Helper()
	sb := startSandbox(t, testAccount(nil, shuffled(blocklist)), sandbox.Options{})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config: contactsConfig(sb.URL(), nil, mobilesArg(shuffled(numbers))),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocked"), knownvalue.MapExact(wantBlocked)),
				statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("contacts"), knownvalue.ListExact(wantContacts(wantRows, ""))),
				statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocklisted_mobiles"), knownvalue.ListExact(wantMobiles(wantRows))),
				statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("total"), knownvalue.Int64Exact(350)),
				statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("page_size"), knownvalue.Int64Exact(100)),
				statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("channel"), knownvalue.Null()),
			},
		}},
	})

	// Sorted and unique, the 250 numbers are batches of 100, 100 and 50;
	// a batch of 100 holds 140 rows, so it takes two pages (offsets 0 and
	// 100), and the batch of 50 holds 70 rows, one page.
	batches := map[string][]sandbox.Request{}
	var queried []string
	for _, r := range sb.Requests() {
		if len(r.Mobiles) > 100 {
			t.Errorf("a request carried %d numbers; the API takes at most 100", len(r.Mobiles))
		}
		if r.Query.Has("channel") {
			t.Errorf("request %s?%s filters on a channel; none was set", r.Path, r.RawQuery)
		}
		key := strings.Join(r.Mobiles, ",")
		if _, seen := batches[key]; !seen {
			queried = append(queried, r.Mobiles...)
		}
		batches[key] = append(batches[key], r)
	}
	slices.Sort(queried)
	if !slices.Equal(queried, numbers) {
		t.Errorf("the batches hold %d numbers, overlapping or incomplete; want the 250 queried, each once", len(queried))
	}
	if len(batches) != 3 {
		t.Fatalf("%d different batches, want 3", len(batches))
	}
	var reads []int
	for _, reqs := range batches {
		perRead := offsetsPerRead(t, reqs, 100)
		reads = append(reads, len(perRead))
		switch n := len(reqs[0].Mobiles); n {
		case 100:
			expectEveryRead(t, perRead, []int{0, 100})
		case 50:
			expectEveryRead(t, perRead, []int{0})
		default:
			t.Errorf("a batch of %d numbers, want 100 or 50", n)
		}
	}
	if slices.Min(reads) != slices.Max(reads) {
		t.Errorf("the batches were read %v times; each read must read every batch once", reads)
	}
}

func TestContactsBlocklisted_wholeListPagedToTheEnd(t *testing.T) {
	// 700 numbers on voice, the first 350 also on whatsapp: 1,050 rows.
	numbers := numbersFrom("+9190", 700)
	var rows []sandbox.BlocklistEntry
	for i, n := range numbers {
		rows = append(rows, sandbox.BlocklistEntry{Mobile: n, Channel: "voice"})
		if i < 350 {
			rows = append(rows, sandbox.BlocklistEntry{Mobile: n, Channel: "whatsapp"})
		}
	}
	contacts := wantContacts(rows, "")

	for _, tc := range []struct {
		pageSize int
		offsets  []int // of every read
	}{
		// 10 full pages and a short one.
		{pageSize: 100, offsets: offsets(0, 1000, 100)},
		// 150 full pages, then an empty page: a full page is never the end.
		{pageSize: 7, offsets: offsets(0, 1050, 7)},
	} {
		t.Run(fmt.Sprintf("page_size=%d", tc.pageSize), func(t *testing.T) {
			sb := startSandbox(t, testAccount(nil, shuffled(rows)), sandbox.Options{})
			resource.UnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviders(),
				Steps: []resource.TestStep{{
					Config: contactsConfig(sb.URL(), nil, fmt.Sprintf("page_size = %d", tc.pageSize)),
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("total"), knownvalue.Int64Exact(1050)),
						statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("contacts").AtSliceIndex(0), knownvalue.ObjectExact(map[string]knownvalue.Check{
							"mobile": knownvalue.StringExact("+919000000000"), "channel_type": knownvalue.StringExact(voiceType), "channel": knownvalue.Null(),
						})),
						statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("contacts").AtSliceIndex(1049), knownvalue.ObjectExact(map[string]knownvalue.Check{
							"mobile": knownvalue.StringExact("+919000000699"), "channel_type": knownvalue.StringExact(voiceType), "channel": knownvalue.Null(),
						})),
						statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("contacts"), knownvalue.ListExact(contacts)),
						statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocklisted_mobiles"), knownvalue.ListExact(stringChecks(numbers))),
						statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocked"), knownvalue.Null()),
						statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("page_size"), knownvalue.Int64Exact(int64(tc.pageSize))),
					},
				}},
			})
			reqs := sb.Requests()
			for _, r := range reqs {
				if r.Query.Has("mobile") || r.Query.Has("channel") {
					t.Errorf("request %s?%s filters; the whole list was asked for", r.Path, r.RawQuery)
				}
			}
			expectEveryRead(t, offsetsPerRead(t, reqs, tc.pageSize), tc.offsets)
		})
	}
}

func TestContactsBlocklisted_channelFilter(t *testing.T) {
	a, b, c, d, e := "+919800000001", "+919800000002", "+919800000003", "+919800000004", "+919800000005"
	rows := []sandbox.BlocklistEntry{
		{Mobile: a, Channel: "sms"}, {Mobile: b, Channel: "whatsapp"}, {Mobile: c, Channel: "voice"},
		{Mobile: d, Channel: "voice"}, {Mobile: a, Channel: "whatsapp"}, {Mobile: d, Channel: "sms"},
	}
	on := func(channel string) []sandbox.BlocklistEntry {
		return slices.DeleteFunc(slices.Clone(rows), func(e sandbox.BlocklistEntry) bool { return e.Channel != channel })
	}
	sb := startSandbox(t, testAccount(nil, rows), sandbox.Options{})
	// Every request of a step carries the step's channel filter, or none.
	channelSent := func(want string) func() {
		return func() {
			reqs := sb.Requests()
			if len(reqs) == 0 {
				t.Error("no request was made")
			}
			for _, r := range reqs {
				if got := r.Query["channel"]; !slices.Equal(got, []string{want}) && (want != "" || got != nil) {
					t.Errorf("request %s?%s: channel %q, want %q", r.Path, r.RawQuery, got, want)
				}
			}
		}
	}
	query := mobilesArg([]string{a, b, c, d, e})

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{
			{
				PreConfig: sb.ResetRequests,
				Config:    contactsConfig(sb.URL(), nil, `channel = "sms"`+"\n"+query),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("contacts"), knownvalue.ListExact(wantContacts(on("sms"), "sms"))),
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocked"), knownvalue.MapExact(map[string]knownvalue.Check{
						a: knownvalue.Bool(true), b: knownvalue.Bool(false), c: knownvalue.Bool(false), d: knownvalue.Bool(true), e: knownvalue.Bool(false),
					})),
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocklisted_mobiles"), knownvalue.ListExact(stringChecks([]string{a, d}))),
				},
				PostApplyFunc: channelSent("sms"),
			},
			{
				// The name comes from the filter even for a code Kaleyra does
				// not document.
				PreConfig: sb.ResetRequests,
				Config:    contactsConfig(sb.URL(), nil, `channel = "voice"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("contacts"), knownvalue.ListExact(wantContacts(on("voice"), "voice"))),
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocked"), knownvalue.Null()),
				},
				PostApplyFunc: channelSent("voice"),
			},
			{
				PreConfig: sb.ResetRequests,
				Config:    contactsConfig(sb.URL(), nil, `channel = "whatsapp"`+"\n"+query),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("contacts"), knownvalue.ListExact(wantContacts(on("whatsapp"), "whatsapp"))),
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocked"), knownvalue.MapExact(map[string]knownvalue.Check{
						a: knownvalue.Bool(true), b: knownvalue.Bool(true), c: knownvalue.Bool(false), d: knownvalue.Bool(false), e: knownvalue.Bool(false),
					})),
				},
				PostApplyFunc: channelSent("whatsapp"),
			},
			{
				// Unfiltered: "3" is named whatsapp, the undocumented codes
				// stay null.
				PreConfig: sb.ResetRequests,
				Config:    contactsConfig(sb.URL(), nil, query),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("contacts"), knownvalue.ListExact([]knownvalue.Check{
						contactCheck(a, smsType, knownvalue.Null()), contactCheck(a, whatsappType, knownvalue.StringExact("whatsapp")),
						contactCheck(b, whatsappType, knownvalue.StringExact("whatsapp")), contactCheck(c, voiceType, knownvalue.Null()),
						contactCheck(d, smsType, knownvalue.Null()), contactCheck(d, voiceType, knownvalue.Null()),
					})),
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocked"), knownvalue.MapExact(map[string]knownvalue.Check{
						a: knownvalue.Bool(true), b: knownvalue.Bool(true), c: knownvalue.Bool(true), d: knownvalue.Bool(true), e: knownvalue.Bool(false),
					})),
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("total"), knownvalue.Int64Exact(6)),
				},
				PostApplyFunc: channelSent(""),
			},
		},
	})
}

func TestContactsBlocklisted_unknownChannelFailsAtPlan(t *testing.T) {
	sb := startSandbox(t, testAccount(nil, nil), sandbox.Options{})
	var steps []resource.TestStep
	for _, channel := range []string{"email", "S M S", ""} {
		steps = append(steps, resource.TestStep{
			Config:      contactsConfig(sb.URL(), nil, fmt.Sprintf("channel = %q", channel)),
			PlanOnly:    true,
			ExpectError: errorLike(fmt.Sprintf(`Attribute channel is %q; expected one of "sms", "whatsapp" or "voice", in any letter case.`, channel)),
		})
	}
	resource.UnitTest(t, resource.TestCase{ProtoV6ProviderFactories: testProviders(), Steps: steps})
	noRequestsSent(t, sb)
}

func TestContactsBlocklisted_failingBatchFailsTheRead(t *testing.T) {
	numbers := numbersFrom("+9180", 250)
	var blocklist []sandbox.BlocklistEntry
	for i, n := range numbers {
		for _, ch := range channelsOf(i) {
			blocklist = append(blocklist, sandbox.BlocklistEntry{Mobile: n, Channel: ch})
		}
	}
	sb := startSandbox(t, testAccount(nil, blocklist), sandbox.Options{})
	// Every request for the second batch (numbers 100 to 199) fails; the
	// other two succeed.
	sb.AddFault(sandbox.Fault{API: "contacts", MobileContains: numbers[150], Code: "CNT195", Times: -1})

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{{
			Config: contactsConfig(sb.URL(), nil, mobilesArg(numbers)),
			ExpectError: errorLike("Unable to Read Contacts Blocklist",
				"could not read the blocklist status of 250 numbers on every channel. No partial list was returned.",
				"Failed: batch 2 of 3, 100 numbers",
				"HTTP 400 with code CNT195: Unable to fetch the blocklisted number",
				"Kaleyra could not fetch the blocklist. Try again later"),
		}},
	})

	// What Terraform receives: the error, and a state with nothing read
	// into it.
	state, diags := readOverProtocol(t, providerAttrs(sb.URL(), nil), "kaleyra_contacts_blocklisted", mobilesAttrs(numbers))
	if len(diags) != 1 || diags[0].Severity != tfprotov6.DiagnosticSeverityError || diags[0].Summary != "Unable to Read Contacts Blocklist" {
		t.Fatalf("diagnostics %+v, want one error %q", diags, "Unable to Read Contacts Blocklist")
	}
	if !strings.Contains(diags[0].Detail, "batch 2 of 3, 100 numbers") {
		t.Errorf("the diagnostic does not name the failing batch:\n%s", diags[0].Detail)
	}
	for _, name := range []string{"id", "contacts", "blocklisted_mobiles", "blocked", "total"} {
		if !state[name].IsNull() {
			t.Errorf("a failed read returned %s = %s; want null, no partial result", name, state[name])
		}
	}
}

func TestContactsBlocklisted_duplicatesEmptyAndStableID(t *testing.T) {
	a, b, c := "+919811111111", "+919822222222", "+919833333333"
	sb := startSandbox(t, testAccount(nil, []sandbox.BlocklistEntry{
		{Mobile: c, Channel: "sms"}, {Mobile: a, Channel: "whatsapp"}, {Mobile: c, Channel: "whatsapp"},
	}), sandbox.Options{})
	// Each number is sent once, in one request, whatever the input.
	queriedOnce := func() {
		reqs := sb.Requests()
		if len(reqs) == 0 {
			t.Error("no request was made")
		}
		for _, r := range reqs {
			if !slices.Equal(r.Mobiles, []string{a, b, c}) {
				t.Errorf("request %s?%s asked for %v, want each of %v once", r.Path, r.RawQuery, r.Mobiles, []string{a, b, c})
			}
		}
	}
	noRequests := func() {
		if reqs := sb.Requests(); len(reqs) > 0 {
			t.Errorf("mobiles = [] made %d requests, want none", len(reqs))
		}
	}
	sameQuery := statecheck.CompareValue(compare.ValuesSame())
	otherQuery := statecheck.CompareValue(compare.ValuesDiffer())
	blocked := knownvalue.MapExact(map[string]knownvalue.Check{a: knownvalue.Bool(true), b: knownvalue.Bool(false), c: knownvalue.Bool(true)})

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{
			{
				PreConfig: sb.ResetRequests,
				Config:    contactsConfig(sb.URL(), nil, mobilesArg([]string{a, b, a, c, b, c})),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocked"), blocked),
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocklisted_mobiles"), knownvalue.ListExact(stringChecks([]string{a, c}))),
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("total"), knownvalue.Int64Exact(3)),
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("id"), knownvalue.StringRegexp(sha256Hex)),
					sameQuery.AddStateValue(contactsAddr, tfjsonpath.New("id")),
				},
				PostApplyFunc: queriedOnce,
			},
			{
				// The same numbers in another order: the same query.
				PreConfig: sb.ResetRequests,
				Config:    contactsConfig(sb.URL(), nil, mobilesArg([]string{c, b, a})+"\npage_size = 2"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocked"), blocked),
					sameQuery.AddStateValue(contactsAddr, tfjsonpath.New("id")),
					otherQuery.AddStateValue(contactsAddr, tfjsonpath.New("id")),
				},
				PostApplyFunc: queriedOnce,
			},
			{
				PreConfig: sb.ResetRequests,
				Config:    contactsConfig(sb.URL(), nil, mobilesArg([]string{c, b, a})+"\nchannel = \"sms\""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocked"), knownvalue.MapExact(map[string]knownvalue.Check{
						a: knownvalue.Bool(false), b: knownvalue.Bool(false), c: knownvalue.Bool(true),
					})),
					otherQuery.AddStateValue(contactsAddr, tfjsonpath.New("id")),
				},
				PostApplyFunc: queriedOnce,
			},
			{
				PreConfig: sb.ResetRequests,
				Config:    contactsConfig(sb.URL(), nil, "mobiles = []"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocked"), knownvalue.MapExact(map[string]knownvalue.Check{})),
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("contacts"), knownvalue.ListExact([]knownvalue.Check{})),
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocklisted_mobiles"), knownvalue.ListExact([]knownvalue.Check{})),
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("total"), knownvalue.Int64Exact(0)),
					otherQuery.AddStateValue(contactsAddr, tfjsonpath.New("id")),
				},
				PostApplyFunc: noRequests,
			},
		},
	})
}

func TestContactsBlocklisted_policyCheck(t *testing.T) {
	const recipient = "+919812345678"
	sb := startSandbox(t, testAccount(nil, nil), sandbox.Options{})
	blocklist := func(entries ...sandbox.BlocklistEntry) func() {
		return func() {
			if err := sb.SetBlocklist(testSID, entries); err != nil {
				t.Fatal(err)
			}
		}
	}
	onWhatsApp := sandbox.BlocklistEntry{Mobile: recipient, Channel: "whatsapp"}
	onSMS := sandbox.BlocklistEntry{Mobile: recipient, Channel: "sms"}

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{
			{
				PreConfig:         blocklist(onSMS),
				Config:            policyCheckConfig(sb.URL(), recipient),
				ConfigStateChecks: []statecheck.StateCheck{expectCheckBlock("recipient_reachable", tfjson.CheckStatusPass)},
			},
			{
				// A failing check block warns; the run still succeeds.
				PreConfig: blocklist(onWhatsApp),
				Config:    policyCheckConfig(sb.URL(), recipient),
				ConfigStateChecks: []statecheck.StateCheck{
					expectCheckBlock("recipient_reachable", tfjson.CheckStatusFail, recipient+" is blocklisted on WhatsApp."),
				},
			},
			{
				// A failing precondition stops the run.
				Config:      policyGateConfig(sb.URL(), recipient),
				ExpectError: errorLike("Resource precondition failed", recipient+" is blocklisted on WhatsApp."),
			},
			{
				PreConfig: blocklist(onSMS),
				Config:    policyGateConfig(sb.URL(), recipient),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("terraform_data.send", tfjsonpath.New("output"), knownvalue.StringExact(recipient)),
				},
			},
		},
	})
}

func policyCheckConfig(baseURL, recipient string) string {
	return sandboxProvider(baseURL, nil) + fmt.Sprintf(`
data "kaleyra_contacts_blocklisted" "recipients" {
  channel = "whatsapp"
  mobiles = [%[1]q]
}

check "recipient_reachable" {
  assert {
    condition     = !data.kaleyra_contacts_blocklisted.recipients.blocked[%[1]q]
    error_message = "%[1]s is blocklisted on WhatsApp."
  }
}
`, recipient)
}

func policyGateConfig(baseURL, recipient string) string {
	return sandboxProvider(baseURL, nil) + fmt.Sprintf(`
data "kaleyra_contacts_blocklisted" "recipients" {
  channel = "whatsapp"
  mobiles = [%[1]q]
}

resource "terraform_data" "send" {
  input = %[1]q

  lifecycle {
    precondition {
      condition     = !data.kaleyra_contacts_blocklisted.recipients.blocked[%[1]q]
      error_message = "%[1]s is blocklisted on WhatsApp."
    }
  }
}
`, recipient)
}

// expectCheckBlock checks the result of a check block recorded in the
// state: its status and the error messages of its failed assertions.
func expectCheckBlock(name string, status tfjson.CheckStatus, problems ...string) statecheck.StateCheck {
	return stateCheckFunc(func(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
		if req.State == nil {
			resp.Error = fmt.Errorf("no state")
			return
		}
		for _, c := range req.State.Checks {
			if c.Address.Kind != tfjson.CheckKindCheckBlock || c.Address.Name != name {
				continue
			}
			var got []string
			for _, inst := range c.Instances {
				for _, p := range inst.Problems {
					got = append(got, p.Message)
				}
			}
			if c.Status != status || !slices.Equal(got, problems) {
				resp.Error = fmt.Errorf("check %q: status %q with problems %q, want %q with %q", name, c.Status, got, status, problems)
			}
			return
		}
		resp.Error = fmt.Errorf("no result for check %q in the state", name)
	})
}

func TestContactsBlocklisted_errors(t *testing.T) {
	const (
		lowSID, lowKey                 = "HXLOWBAL000000IN", "Alow0balance0key000000000000003"
		unavailableSID, unavailableKey = "HXNOCONTACTS00IN", "Ano0contacts0key000000000000003"
	)
	seed := probeAccount()
	seed.Accounts = append(seed.Accounts,
		sandbox.Account{SID: lowSID, APIKey: lowKey, LowBalance: true},
		sandbox.Account{SID: unavailableSID, APIKey: unavailableKey, ContactsUnavailable: true},
	)
	sb := startSandbox(t, seed, sandbox.Options{})
	config := func(sid, apiKey string) string {
		return contactsConfig(sb.URL(), map[string]string{"sid": strconv.Quote(sid), "api_key": strconv.Quote(apiKey)}, "")
	}
	fault := func(f sandbox.Fault) func() {
		return func() {
			sb.ClearFaults()
			sb.AddFault(f)
		}
	}
	const summary = "Unable to Read Contacts Blocklist"

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{
			{
				Config: config(testSID, "wrong-key"),
				ExpectError: errorLike(summary, "HTTP 401 with code RBC001: Incorrect SID or API key.",
					"Attempts: 1",
					"Check the provider's `sid` and `api_key` arguments, or the KALEYRA_SID and KALEYRA_API_KEY environment variables"),
			},
			{
				Config: config(lowSID, lowKey),
				ExpectError: errorLike(summary, "HTTP 400 with code E110: Please check your balance, You have a low balance!",
					"Attempts: 1", "The Kaleyra account's balance is low. Top it up"),
			},
			{
				Config: config(unavailableSID, unavailableKey),
				ExpectError: errorLike(summary, "HTTP 401 with code WA-401: API is not available for given customer",
					"Attempts: 1", "This Kaleyra API is not enabled for the account"),
			},
			{
				PreConfig: fault(sandbox.Fault{API: "contacts", Code: "CNT195", Times: -1}),
				Config:    config(testSID, testAPIKey),
				ExpectError: errorLike(summary, "HTTP 400 with code CNT195: Unable to fetch the blocklisted number",
					"Attempts: 1", "Kaleyra could not fetch the blocklist"),
			},
			{
				// Valid input never builds a request Kaleyra rejects, so the
				// sandbox is told to reject it.
				PreConfig: fault(sandbox.Fault{API: "contacts", Status: 400, Times: -1}),
				Config:    config(testSID, testAPIKey),
				ExpectError: errorLike(summary, "HTTP 400 with code WA400: Refer to correct payload format",
					"Error fields: payload: Incorrect payload format", "Kaleyra rejected the request the provider built"),
			},
			{
				// And with the faults gone, the same configuration reads.
				PreConfig: sb.ClearFaults,
				Config:    config(testSID, testAPIKey),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocklisted_mobiles"), knownvalue.ListExact(stringChecks([]string{probeMobile}))),
				},
			},
		},
	})
}
