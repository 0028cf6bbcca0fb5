package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

// faultWhatsappConfig reads faultBusiness's blocked users, page_size at a
// time, with the provider arguments in provider (see sandboxProvider).
func faultWhatsappConfig(baseURL string, provider map[string]string, pageSize int) string {
	return whatsappConfig(baseURL, provider, faultBusiness, fmt.Sprintf("page_size = %d", pageSize))
}

// faultWhatsappPath is the path of faultBusiness's blocked users, as a
// diagnostic names the request.
var faultWhatsappPath = "/v2/" + testSID + "/whatsapp/" + faultBusiness + "/block_users"

// completeWhatsappChecks assert that the state holds every one of ids,
// sorted: the read was complete despite the faults.
func completeWhatsappChecks(ids []string) []statecheck.StateCheck {
	want := slices.Sorted(slices.Values(ids))
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue(whatsappAddr, tfjsonpath.New("total"), knownvalue.Int64Exact(int64(len(want)))),
		statecheck.ExpectKnownValue(whatsappAddr, tfjsonpath.New("wa_ids"), knownvalue.ListExact(stringChecks(want))),
	}
}

// statuses lists the HTTP status of each request the sandbox answered.
func statuses(reqs []sandbox.Request) []int {
	out := make([]int, len(reqs))
	for i, r := range reqs {
		out[i] = r.Status
	}
	return out
}

func TestFault_serverErrorBurstMidListThenSuccess(t *testing.T) {
	ids := waIDs(919800000000, 250)
	// The first page goes through; the second fails 503, 502, 500 in a row.
	sb := faultSandbox(t, ids,
		sandbox.Fault{API: "whatsapp", Skip: 1, Status: 503},
		sandbox.Fault{API: "whatsapp", Status: 502},
		sandbox.Fault{API: "whatsapp", Status: 500},
	)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{{
			Config:            faultWhatsappConfig(sb.URL(), nil, 100),
			ConfigStateChecks: completeWhatsappChecks(ids),
		}},
	})

	reqs := sb.Requests()
	// The first read: page 1, three failures of page 2, page 2, page 3, and
	// the empty page after the last cursor.
	want := []int{200, 503, 502, 500, 200, 200, 200}
	if len(reqs) < len(want) || !slices.Equal(statuses(reqs[:len(want)]), want) {
		t.Fatalf("first read statuses = %v, want it to start %v", statuses(reqs), want)
	}
	for i := 1; i <= 4; i++ {
		if reqs[i].RawQuery != reqs[1].RawQuery {
			t.Errorf("retry %d asked for %q, want the failed page again (%q)", i, reqs[i].RawQuery, reqs[1].RawQuery)
		}
	}
	if reqs[1].Query.Get("after") == "" {
		t.Errorf("the failed request %q is not the second page", reqs[1].RawQuery)
	}
}

func TestFault_rateLimitedWaitsRetryAfter(t *testing.T) {
	ids := waIDs(919800000000, 40)
	sb := faultSandbox(t, ids, sandbox.Fault{API: "whatsapp", Status: 429, RetryAfter: "1"})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{{
			Config:            faultWhatsappConfig(sb.URL(), nil, 100),
			ConfigStateChecks: completeWhatsappChecks(ids),
		}},
	})

	reqs := sb.Requests()
	if len(reqs) < 2 || reqs[0].Status != 429 || reqs[0].Code != sandbox.CodeTooManyRequests || reqs[1].Status != 200 {
		t.Fatalf("statuses = %v, want 429 WA429 then 200", statuses(reqs))
	}
	// fastRetries waits at most 40ms: only Retry-After explains a second.
	if gap := reqs[1].Time.Sub(reqs[0].Time); gap < 950*time.Millisecond {
		t.Errorf("the retry came %v after the 429, want at least the 1s of Retry-After", gap)
	}
}

func TestFault_acceptedNotReadyThenSuccess(t *testing.T) {
	ids := waIDs(919800000000, 40)
	sb := faultSandbox(t, ids, sandbox.Fault{API: "whatsapp", Accepted: true, Times: 2})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{{
			Config:            faultWhatsappConfig(sb.URL(), nil, 100),
			ConfigStateChecks: completeWhatsappChecks(ids),
		}},
	})

	reqs := sb.Requests()
	if len(reqs) < 3 || reqs[0].Code != "WA202" || reqs[1].Code != "WA202" || reqs[2].Status != 200 {
		t.Fatalf("statuses = %v, want 202 WA202 twice then 200", statuses(reqs))
	}
}

func TestFault_retriesExhausted(t *testing.T) {
	sb := faultSandbox(t, waIDs(919800000000, 10), sandbox.Fault{API: "whatsapp", Status: 503, Times: -1})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{{
			Config: faultWhatsappConfig(sb.URL(), map[string]string{"max_retries": "2"}, 100),
			ExpectError: errorLike("Unable to Read WhatsApp Blocked Users", "No partial list was returned",
				"Kaleyra answered HTTP 503 with code WA500", "Attempts: 3",
				"server error and the retries ran out", "raise `max_retries`"),
		}},
	})
	if got := len(sb.Requests()); got != 3 {
		t.Errorf("the sandbox got %d requests, want 3 (max_retries = 2)", got)
	}
}

func TestFault_bodyNotKaleyraJSON(t *testing.T) {
	cases := []struct {
		name     string
		fault    sandbox.Fault
		requests int
		want     []string
	}{
		{
			name:     "HTML sign-in page with 200 is not retried",
			fault:    sandbox.Fault{API: "whatsapp", RawBody: htmlSignInPage, Times: -1},
			requests: 1,
			want: []string{"Kaleyra answered HTTP 200 with a body that is not Kaleyra's JSON envelope (Content-Type text/html; charset=utf-8)",
				`The body starts with: "<!DOCTYPE html><html><head><title>Sign in to the corporate gateway</title>`,
				"proxy, gateway or load balancer"},
		},
		{
			name:     "HTML 502 from a gateway is retried, then shown",
			fault:    sandbox.Fault{API: "whatsapp", Status: 502, RawBody: "<html><body><h1>502 Bad Gateway</h1></body></html>", Times: -1},
			requests: 2,
			want: []string{"Kaleyra answered HTTP 502 with a body that is not Kaleyra's JSON envelope",
				`The body starts with: "<html><body><h1>502 Bad Gateway</h1>`, "Attempts: 2"},
		},
		{
			name:     "truncated body",
			fault:    sandbox.Fault{API: "whatsapp", Truncate: true, Times: -1},
			requests: 2,
			want: []string{"Unable to Read WhatsApp Blocked Users", "Request: GET", faultWhatsappPath + " (query not shown)",
				"Cause: reading the response body: unexpected EOF (HTTP 200;", "bytes arrived, starting with", "Attempts: 2",
				"Check the network path"},
		},
		{
			name:     "connection reset",
			fault:    sandbox.Fault{API: "whatsapp", Reset: true, Times: -1},
			requests: 2,
			want: []string{"Unable to Read WhatsApp Blocked Users", "Request: GET", faultWhatsappPath + " (query not shown)",
				"connection reset by peer (HTTP 200;", "bytes arrived, starting with", "Attempts: 2",
				"Check the network path"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sb := faultSandbox(t, waIDs(919800000000, 10), tc.fault)
			resource.UnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviders(),
				Steps: []resource.TestStep{{
					Config:      faultWhatsappConfig(sb.URL(), map[string]string{"max_retries": "1"}, 100),
					ExpectError: errorLike(tc.want...),
				}},
			})
			if got := len(sb.Requests()); got != tc.requests {
				t.Errorf("the sandbox got %d requests, want %d", got, tc.requests)
			}
		})
	}
}

func TestFault_responseOverSizeCap(t *testing.T) {
	const capBytes = 4096
	ids := waIDs(919800000000, 10)
	sb := faultSandbox(t, ids, sandbox.Fault{API: "whatsapp", PadTo: 3 * capBytes})
	providers := testProvidersWith(func(c *kaleyra.Config) { c.MaxResponseBytes = capBytes })
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: providers,
		Steps: []resource.TestStep{
			{
				Config: faultWhatsappConfig(sb.URL(), nil, 100),
				ExpectError: errorLike("Unable to Read WhatsApp Blocked Users",
					fmt.Sprintf("Cause: the response body is larger than the %d-byte cap", capBytes), "Attempts: 1",
					"larger than the provider reads from one request", "Lower `page_size`"),
			},
			{
				PreConfig: func() {
					// An oversized answer is not retried: the failed read
					// asked once.
					if n := len(sb.Requests()); n != 1 {
						t.Errorf("the failed read sent %d requests, want 1", n)
					}
				},
				// The padding fault is used up: the same small answers fit.
				Config:            faultWhatsappConfig(sb.URL(), nil, 100),
				ConfigStateChecks: completeWhatsappChecks(ids),
			},
		},
	})
}

func TestFault_slowServerPastRequestTimeout(t *testing.T) {
	// Without the timeout the answers would come after 2s and the read
	// would succeed.
	sb := faultSandbox(t, waIDs(919800000000, 10),
		sandbox.Fault{API: "whatsapp", Delay: sandbox.Duration(2 * time.Second), Times: -1})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{{
			Config: faultWhatsappConfig(sb.URL(), map[string]string{"request_timeout": `"200ms"`, "max_retries": "1"}, 100),
			ExpectError: errorLike("Unable to Read WhatsApp Blocked Users",
				"Cause: no complete answer within the request timeout (200ms)", "Attempts: 2",
				"took longer than `request_timeout` (200ms) once sent", "Raise `request_timeout`"),
		}},
	})
	if got := len(sb.Requests()); got != 2 {
		t.Errorf("the sandbox got %d requests, want 2 (max_retries = 1)", got)
	}
}

func TestFault_cursorLoopFailsNeverShortens(t *testing.T) {
	sb := faultSandbox(t, waIDs(919800000000, 30),
		sandbox.Fault{API: "whatsapp", Skip: 1, CursorLoop: true, Times: -1})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{{
			Config: faultWhatsappConfig(sb.URL(), nil, 10),
			ExpectError: errorLike("Unable to Read WhatsApp Blocked Users", "No partial list was returned",
				"a second time (page 2)", "handed out a paging cursor it had already returned"),
		}},
	})
}

func TestFault_contactsBatchFailsAmongMany(t *testing.T) {
	// 350 numbers make 4 batches of the sorted numbers: 100, 100, 100, 50.
	mobiles := numbersFrom("+9198", 350)
	blocklist := []sandbox.BlocklistEntry{
		{Mobile: mobiles[7], Channel: "sms"},
		{Mobile: mobiles[250], Channel: "whatsapp"},
		{Mobile: mobiles[349], Channel: "voice"},
	}
	inBatch2 := mobiles[150]
	sb := startSandbox(t, testAccount(nil, blocklist), sandbox.Options{})

	wantBlocked := make(map[string]knownvalue.Check, len(mobiles))
	for _, m := range mobiles {
		wantBlocked[m] = knownvalue.Bool(m == mobiles[7] || m == mobiles[250] || m == mobiles[349])
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{
			{
				// Batch 2 fails twice, then answers: the read is complete.
				PreConfig: func() {
					sb.AddFault(sandbox.Fault{API: "contacts", MobileContains: inBatch2, Status: 500, Times: 2})
				},
				Config: contactsConfig(sb.URL(), map[string]string{"max_retries": "2"}, mobilesArg(mobiles)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocked"), knownvalue.MapExact(wantBlocked)),
					statecheck.ExpectKnownValue(contactsAddr, tfjsonpath.New("blocklisted_mobiles"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringExact(mobiles[7]), knownvalue.StringExact(mobiles[250]), knownvalue.StringExact(mobiles[349]),
					})),
				},
			},
			{
				// Batch 2 always fails: the whole read fails, however many
				// other batches succeeded.
				PreConfig: func() {
					sb.ClearFaults()
					sb.AddFault(sandbox.Fault{API: "contacts", MobileContains: inBatch2, Status: 503, Times: -1})
				},
				Config: contactsConfig(sb.URL(), map[string]string{"max_retries": "2"}, mobilesArg(mobiles)),
				ExpectError: errorLike("Unable to Read Contacts Blocklist",
					"could not read the blocklist status of 350 numbers on every channel", "No partial list was returned",
					"Failed: batch 2 of 4, 100 numbers",
					"Kaleyra answered HTTP 503 with code WA500", "Attempts: 3"),
			},
		},
	})
}

// TestFault_contactsGatewayDroppingOffsetFailsFast is issue 19's second
// case under the real CLI: a gateway that drops `offset` answers every
// page with the first one, full, so the read never meets a short page.
// With `timeouts { read = "60s" }` the provider used to send about 50,000
// requests in those 60 seconds; now the plan fails at once, saying the API
// returned the same page again, with no partial list.
//
// The bound on requests: the list's first page, then the pages read ahead
// with at most max_parallel_requests (4) in flight; each of them repeats
// the first page, so once one has answered the read asks for no other
// page. 1 + 4 requests for a list that pages, plus one for each lookup
// batch that fits on its first page.
func TestFault_contactsGatewayDroppingOffsetFailsFast(t *testing.T) {
	const parallel = kaleyra.DefaultMaxParallel
	numbers := numbersFrom("+9198", 130)
	var blocklist []sandbox.BlocklistEntry
	for i, m := range numbers {
		blocklist = append(blocklist, sandbox.BlocklistEntry{Mobile: m, Channel: "sms"})
		if i < 100 {
			blocklist = append(blocklist, sandbox.BlocklistEntry{Mobile: m, Channel: "whatsapp"})
		}
	}
	cases := []struct {
		name     string
		body     string
		requests int
		want     []string
	}{
		{
			name:     "whole list",
			body:     "",
			requests: 1 + parallel,
			want:     []string{"Unable to Read Contacts Blocklist", "could not read the whole blocklist on every channel. No partial list was returned."},
		},
		{
			// Batch 1 holds 200 rows and pages; batch 2, 30 rows: one page.
			name:     "lookup",
			body:     mobilesArg(numbers),
			requests: 2 + parallel,
			want: []string{"Unable to Read Contacts Blocklist",
				"could not read the blocklist status of 130 numbers on every channel. No partial list was returned.",
				"Failed: batch 1 of 2, 100 numbers"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sb := startSandbox(t, testAccount(nil, blocklist), sandbox.Options{})
			sb.AddFault(sandbox.Fault{API: "contacts", DropOffset: true, Times: -1})
			run := newCLIRun(t, cliConfig(sb.URL(), nil, fmt.Sprintf(`
data "kaleyra_contacts_blocklisted" "test" {
  %[1]s

  timeouts {
    read = "60s"
  }
}
`, tc.body)))
			start := time.Now()
			stdout, stderr, _, code := run.terraform("plan", "-no-color")
			elapsed := time.Since(start)
			reqs := sb.Requests()
			t.Logf("terraform plan failed after %s and %d requests", elapsed.Round(time.Millisecond), len(reqs))
			if code != 1 {
				t.Fatalf("terraform plan exited %d, want 1:\n%s%s", code, stdout, stderr)
			}
			want := append(tc.want,
				"Cause: the Contacts API returned the same page again: page 2 (offset 100) has exactly the 100 rows of page 1 (offset 0)",
				"is dropping the `offset` query parameter", "Check `base_url`")
			if !errorLike(want...).MatchString(stderr) {
				t.Errorf("the plan's error does not say %q:\n%s", want, stderr)
			}
			if strings.Contains(stderr, "Timed Out") {
				t.Errorf("the read ran into its timeout:\n%s", stderr)
			}
			if len(reqs) > tc.requests {
				t.Errorf("the sandbox received %d requests, want at most %d", len(reqs), tc.requests)
			}
		})
	}
}

func TestFault_redirectToAnotherHostRefused(t *testing.T) {
	ids := waIDs(919800000000, 10)
	// The other host knows the same account: were the key sent there, it
	// would answer.
	other := faultSandbox(t, ids)
	sb := faultSandbox(t, ids, sandbox.Fault{API: "whatsapp", RedirectTo: other.URL(), Times: -1})
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviders(),
		Steps: []resource.TestStep{{
			Config: faultWhatsappConfig(sb.URL(), nil, 100),
			ExpectError: errorLike("Unable to Read WhatsApp Blocked Users",
				"refused a redirect from "+sb.URL()+" to "+other.URL(),
				"the API key is only sent to the configured host",
				"never leaves the configured host", "Check `base_url`"),
		}},
	})
	if got := other.Requests(); len(got) != 0 {
		t.Errorf("the redirect target received %d requests, want none", len(got))
	}
	if got := len(sb.Requests()); got != 1 {
		t.Errorf("the sandbox got %d requests, want 1: a refused redirect is not retried", got)
	}
}

// TestFault_cancelledReadReturnsPromptly stands in for Ctrl-C: Terraform
// cancels the context of a read in flight. The terraform-plugin-testing
// harness cannot interrupt the CLI, so this calls the provider server the
// way Terraform does and cancels the read's context itself.
func TestFault_cancelledReadReturnsPromptly(t *testing.T) {
	const delay = 60 * time.Second
	sb := faultSandbox(t, waIDs(919800000000, 10), sandbox.Fault{API: "whatsapp", Delay: sandbox.Duration(delay), Times: -1})
	server, schemas := configuredServer(t, providerAttrs(sb.URL(), nil))
	config := dataSourceConfig(t, schemas, "kaleyra_whatsapp_blocked_users", whatsappAttrs(faultBusiness))

	// Cancel once the request is in flight: the sandbox logs it on arrival,
	// then holds the answer.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelled := make(chan time.Time, 1)
	go func() {
		for len(sb.Requests()) == 0 && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
		cancelled <- time.Now()
		cancel()
	}()
	resp, err := server.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: "kaleyra_whatsapp_blocked_users", Config: config})
	returned := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	select {
	case at := <-cancelled:
		// Prompt is well under a second; the bound is loose for a slow,
		// shared machine, and far below the sandbox's delay.
		if waited := returned.Sub(at); waited > 5*time.Second {
			t.Errorf("the read returned %v after it was cancelled, want promptly (the sandbox holds the answer %v)", waited, delay)
		}
	default:
		t.Fatalf("the read returned before it was cancelled: %s", diagnosticsText(resp.Diagnostics))
	}
	text := diagnosticsText(resp.Diagnostics)
	for _, want := range []string{"Unable to Read WhatsApp Blocked Users", "request cancelled: context canceled", "The read was cancelled before it finished."} {
		if !strings.Contains(text, want) {
			t.Errorf("diagnostics do not say %q:\n%s", want, text)
		}
	}
	if total := stateAttribute(t, schemas, "kaleyra_whatsapp_blocked_users", resp.State, "total"); !total.IsNull() {
		t.Errorf("a cancelled read returned total = %v, want no result", total)
	}
}
