package provider

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/testutil"
)

func TestContactsBlocklisted_wholeListReadInParallel(t *testing.T) {
	// 20,000 rows, 10 ms per request, page_size 100, the default
	// parallelism of 4, under the real CLI: every read is complete, asks
	// each of the 201 offsets once plus at most 3 past the end (at most 205
	// requests), and never has more than 4 requests in flight. Wall time is
	// measured by `make bench`, not here.
	seed := sandbox.Seed{Accounts: []sandbox.Account{{SID: testSID, APIKey: testAPIKey, GenerateBlocklist: 20_000}}}
	sb := startSandbox(t, seed, sandbox.Options{Latency: 10 * time.Millisecond})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{{
			Config: contactsConfig(sb.URL(), nil, ""),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("total"), knownvalue.Int64Exact(20_000)),
				statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("contacts"), knownvalue.ListSizeExact(20_000)),
			},
		}},
	})
	reads := offsetsPerRead(t, sb.Requests(), 100)
	expectEveryRead(t, reads, offsets(0, 20_000, 100))
	for i, r := range reads {
		if len(r) > 205 {
			t.Errorf("read %d made %d requests, want at most 205", i+1, len(r))
		}
	}
	if got := sb.MaxInFlight(); got > kaleyra.DefaultMaxParallel || got < 2 {
		t.Errorf("at most %d requests in flight, want 2..%d", got, kaleyra.DefaultMaxParallel)
	}
}

// identicalReadsConfig has copies of one whole-list read and copies of one
// lookup, all of the default provider configuration. The lookups write
// their numbers in different orders, with a duplicate, and page_size is
// left out or set to its default: the same query.
func identicalReadsConfig(baseURL string, copies int) string {
	var b strings.Builder
	b.WriteString(sandboxProvider(baseURL, map[string]string{"max_parallel_requests": "1"}))
	lookups := [][]string{
		{"+919800000001", "+919800000002", "+919800000003"},
		{"+919800000003", "+919800000001", "+919800000002", "+919800000001"},
	}
	for i := range copies {
		pageSize := ""
		if i%2 == 1 {
			pageSize = "page_size = 100"
		}
		fmt.Fprintf(&b, `
data "kaleyra_contacts_blocklisted" "whole_%[1]d" {
  %[2]s
}

data "kaleyra_contacts_blocklisted" "lookup_%[1]d" {
  mobiles = %[3]s
  %[2]s
}
`, i, pageSize, testutil.HCLStrings(lookups[i%2]))
	}
	return b.String()
}

func TestSharedReads_identicalReadsCostTheRequestsOfOne(t *testing.T) {
	// Five identical whole-list reads and five identical lookups in one
	// configuration cost what one of each costs, in every Terraform
	// command of the test. One request in flight keeps the page count
	// exact: whole list 3 pages, lookup 1.
	var rows []sandbox.BlocklistEntry
	for _, mobile := range numbersFrom("+9198", 250) {
		rows = append(rows, sandbox.BlocklistEntry{Mobile: mobile, Channel: "sms"})
	}
	requests := func(copies int) int {
		sb := startSandbox(t, testAccount(nil, rows), sandbox.Options{})
		var checks []statecheck.StateCheck
		for i := range copies {
			checks = append(checks,
				statecheck.ExpectKnownValue(fmt.Sprintf("data.kaleyra_contacts_blocklisted.whole_%d", i), tfjsonpath.New("total"), knownvalue.Int64Exact(250)),
				statecheck.ExpectKnownValue(fmt.Sprintf("data.kaleyra_contacts_blocklisted.lookup_%d", i), tfjsonpath.New("blocked"), knownvalue.MapExact(map[string]knownvalue.Check{
					"+919800000001": knownvalue.Bool(true), "+919800000002": knownvalue.Bool(true), "+919800000003": knownvalue.Bool(true),
				})))
		}
		resource.UnitTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviders(),
			Steps:                    []resource.TestStep{{Config: identicalReadsConfig(sb.URL(), copies), ConfigStateChecks: checks}},
		})
		return len(sb.Requests())
	}
	one, five := requests(1), requests(5)
	if one == 0 || one%4 != 0 {
		t.Fatalf("one whole-list read and one lookup cost %d requests over the test's commands, want a multiple of 3+1", one)
	}
	if five != one {
		t.Errorf("five identical reads of each cost %d requests, want %d: the requests of one", five, one)
	}
}

func TestTimeouts_readPastItsTimeoutFailsNamingIt(t *testing.T) {
	// Every request takes a minute; the read timeout is 3 seconds. The read
	// fails soon after 3 s with the timeout named and no state.
	sb := faultSandbox(t, waIDs(919800000000, 10), sandbox.Fault{API: "whatsapp", Delay: sandbox.Duration(time.Minute), Times: -1})
	start := time.Now()
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{{
			Config: whatsappConfig(sb.URL(), nil, faultBusiness, `timeouts {
    read = "3s"
  }`),
			ExpectError: errorLike("Kaleyra Read Timed Out", "kaleyra_whatsapp_blocked_users", "did not finish reading",
				"within `timeouts.read = \"3s\"`", "No partial list was returned"),
		}},
	})
	elapsed := time.Since(start)
	t.Logf("the read failed after %s (timeout 3s; the sandbox holds each answer 1m)", elapsed.Round(time.Millisecond))
	if elapsed > 40*time.Second {
		t.Errorf("the failing step took %s: the 3s read timeout did not bound the read", elapsed)
	}
}

// TestTimeouts_requestTimeoutCountsFromTheRequestSlot is issue 19's first
// case as a new user meets it: four lookups in one configuration, one
// request in flight at a time, 0.4 s per answer, `request_timeout = "1s"`
// and no retries. Each request takes 0.4 s once sent, but the fourth waits
// 1.2 s for its turn: the plan succeeds only if the request timeout starts
// when the request holds its slot. Exactly four requests: none timed out
// and was sent again.
func TestTimeouts_requestTimeoutCountsFromTheRequestSlot(t *testing.T) {
	lookups := []string{probeMobile, "+919800000001", "+919800000002", "+919800000003"}
	sb := startSandbox(t, probeAccount(), sandbox.Options{Latency: 400 * time.Millisecond})
	var body strings.Builder
	for i, number := range lookups {
		fmt.Fprintf(&body, `
data "kaleyra_contacts_blocklisted" "lookup_%[1]d" {
  mobiles = [%[2]q]
}

output "blocked_%[1]d" {
  value = data.kaleyra_contacts_blocklisted.lookup_%[1]d.blocked[%[2]q]
}
`, i, number)
	}
	run := newCLIRun(t, cliConfig(sb.URL(), map[string]string{
		"max_parallel_requests": "1", "request_timeout": `"1s"`, "max_retries": "0",
	}, body.String()))
	start := time.Now()
	stdout, stderr, _, code := run.terraform("plan", "-no-color")
	t.Logf("terraform plan took %s", time.Since(start).Round(time.Millisecond))
	if code != 0 {
		t.Fatalf("terraform plan exited %d:\n%s%s", code, stdout, stderr)
	}
	for i := range lookups {
		// Only probeMobile is blocklisted.
		if want := fmt.Sprintf("blocked_%d = %t", i, i == 0); !strings.Contains(stdout, want) {
			t.Errorf("the plan does not show %q:\n%s", want, stdout)
		}
	}
	if reqs := sb.Requests(); len(reqs) != len(lookups) {
		t.Errorf("the sandbox received %d requests (statuses %v), want %d: one per lookup", len(reqs), statuses(reqs), len(lookups))
	}
	if got := sb.MaxInFlight(); got != 1 {
		t.Errorf("%d requests were in flight at once, want 1 (max_parallel_requests)", got)
	}
}

func TestTimeouts_contactsTimeoutAndDefaultIsAccepted(t *testing.T) {
	sb := startSandbox(t, testAccount(nil, []sandbox.BlocklistEntry{{Mobile: "+919800000001", Channel: "sms"}}), sandbox.Options{})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{{
			Config: contactsConfig(sb.URL(), nil, `timeouts {
    read = "90s"
  }`),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("total"), knownvalue.Int64Exact(1)),
				statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("timeouts"), knownvalue.ObjectExact(map[string]knownvalue.Check{
					"read": knownvalue.StringExact("90s"),
				})),
			},
		}},
	})
}

func TestTimeouts_badDurationRejectedAtPlan(t *testing.T) {
	sb := startSandbox(t, testAccount(nil, nil), sandbox.Options{})
	for _, bad := range []string{"soon", "0s", "-1m", "10"} {
		t.Run(bad, func(t *testing.T) {
			resource.UnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviders(),
				Steps: []resource.TestStep{{
					Config: contactsConfig(sb.URL(), nil, fmt.Sprintf(`timeouts {
    read = %q
  }`, bad)),
					PlanOnly:    true,
					ExpectError: errorLike("Invalid Duration", fmt.Sprintf("Attribute timeouts.read is %q", bad), "positive Go duration"),
				}},
			})
		})
	}
	noRequestsSent(t, sb)
}
