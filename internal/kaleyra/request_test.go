package kaleyra_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

func TestRequestsAreWhatSpecSays(t *testing.T) {
	sb := startSandbox(t, testSeed(waIDs(919700000000, 25), blocklistEntries(50)), sandbox.Options{})
	const userAgent = "terraform-provider-kaleyra/1.2.3 (+https://registry.terraform.io/providers/kaleyra/kaleyra) Terraform/1.11.0"
	// One request in flight, so the contacts pages come in sequence.
	c := newClient(t, sb.URL(), func(cfg *kaleyra.Config) { cfg.UserAgent = userAgent; cfg.MaxParallel = 1 })
	ctx := context.Background()

	if _, _, err := c.WhatsAppBlockedUsers(ctx, kaleyra.WhatsAppListRequest{PhoneNumber: v2Number, PageSize: 10}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ContactsBlocklisted(ctx, kaleyra.ContactsListRequest{PageSize: 50}); err != nil {
		t.Fatal(err)
	}
	mobiles := []string{mobile(1), mobile(2), "+447700900123"}
	if _, _, err := c.ContactsBlocklisted(ctx, kaleyra.ContactsListRequest{Channel: kaleyra.ChannelSMS, Mobiles: mobiles}); err != nil {
		t.Fatal(err)
	}

	reqs := sb.Requests()
	if len(reqs) != 4+2+1 {
		t.Fatalf("%d requests, want 4 WhatsApp pages, 2 contacts pages and 1 lookup", len(reqs))
	}
	for i, r := range reqs {
		if r.Method != http.MethodGet || r.UserAgent != userAgent || r.APIKey != testAPIKey {
			t.Errorf("request %d: %s, User-Agent %q, api-key %q", i, r.Method, r.UserAgent, r.APIKey)
		}
		if strings.Contains(r.RawQuery, testAPIKey) || strings.Contains(r.Path, testAPIKey) {
			t.Errorf("request %d carries the API key in its URL", i)
		}
	}

	// WhatsApp: limit on every page, after from the second on, nothing else.
	waPath := "/v2/" + testSID + "/whatsapp/" + v2Number + "/block_users"
	for i, r := range reqs[:4] {
		wantKeys := []string{"limit"}
		if i > 0 {
			wantKeys = []string{"after", "limit"}
		}
		if r.Path != waPath || !slices.Equal(slices.Sorted(maps.Keys(r.Query)), wantKeys) || r.Query.Get("limit") != "10" {
			t.Errorf("WhatsApp request %d: %s?%s", i, r.Path, r.RawQuery)
		}
	}
	// The cursors advance: no page is asked for twice.
	var cursors []string
	for _, r := range reqs[1:4] {
		cursors = append(cursors, r.Query.Get("after"))
	}
	if slices.Contains(cursors, "") || len(slices.Compact(slices.Clone(cursors))) != 3 {
		t.Errorf("after cursors %q", cursors)
	}

	// Contacts: limit and offset, plus channel and mobile when asked.
	ctPath := "/v1/" + testSID + "/contacts/blocklisted"
	for i, want := range []string{"limit=50&offset=0", "limit=50&offset=50"} {
		if r := reqs[4+i]; r.Path != ctPath || r.RawQuery != want {
			t.Errorf("contacts page %d: %s?%s, want ?%s", i, r.Path, r.RawQuery, want)
		}
	}
	lookup := reqs[6]
	wantQuery := "channel=sms&limit=100&mobile=%2B447700900123%2C%2B917000000001%2C%2B917000000002&offset=0"
	if lookup.Path != ctPath || lookup.RawQuery != wantQuery {
		t.Errorf("lookup: %s?%s, want ?%s", lookup.Path, lookup.RawQuery, wantQuery)
	}
	if want := []string{"+447700900123", mobile(1), mobile(2)}; !slices.Equal(lookup.Mobiles, want) {
		t.Errorf("the server read the numbers as %q, want %q", lookup.Mobiles, want)
	}
}

func TestDefaultUserAgent(t *testing.T) {
	sb := startSandbox(t, testSeed(nil, nil), sandbox.Options{})
	if _, _, err := newClient(t, sb.URL()).ContactsBlocklisted(context.Background(), kaleyra.ContactsListRequest{}); err != nil {
		t.Fatal(err)
	}
	if ua := sb.Requests()[0].UserAgent; ua != "terraform-provider-kaleyra" {
		t.Errorf("User-Agent %q", ua)
	}
}

func TestBaseURLWithPathPrefix(t *testing.T) {
	stored := waIDs(919800000000, 30)
	entries := blocklistEntries(20)

	// A handler mounted under a prefix, and a reverse proxy that strips the
	// prefix before forwarding to a sandbox of its own.
	mounted, err := sandbox.New(testSeed(stored, entries), sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mounted.Close)
	mux := http.NewServeMux()
	mux.Handle("/kaleyra/", http.StripPrefix("/kaleyra", mounted))
	mountServer := httptest.NewServer(mux)
	t.Cleanup(mountServer.Close)

	upstream := startSandbox(t, testSeed(stored, entries), sandbox.Options{})
	target, err := url.Parse(upstream.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(http.StripPrefix("/gw/v9", httputil.NewSingleHostReverseProxy(target)))
	t.Cleanup(proxy.Close)

	cases := map[string]struct {
		baseURL string
		backend *sandbox.Server
	}{
		"mounted handler": {mountServer.URL + "/kaleyra/", mounted},
		"reverse proxy":   {proxy.URL + "/gw/v9", upstream},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, tc.baseURL)
			users, _, err := c.WhatsAppBlockedUsers(context.Background(), kaleyra.WhatsAppListRequest{PhoneNumber: v2Number, PageSize: 10})
			if err != nil {
				t.Fatalf("WhatsApp: %v", err)
			}
			if got := userIDs(users); !slices.Equal(got, sortedUnique(stored)) {
				t.Errorf("got %d users, want %d", len(got), len(stored))
			}
			rows, _, err := c.ContactsBlocklisted(context.Background(), kaleyra.ContactsListRequest{Mobiles: []string{mobile(4), mobile(5)}})
			if err != nil {
				t.Fatalf("Contacts: %v", err)
			}
			if want := expectedContacts(entries, []string{mobile(4), mobile(5)}, ""); !slices.Equal(rows, want) {
				t.Errorf("rows %v, want %v", rows, want)
			}
			for _, r := range tc.backend.Requests() {
				if r.Status != http.StatusOK {
					t.Errorf("%s?%s answered %d", r.Path, r.RawQuery, r.Status)
				}
			}
		})
	}
}

func TestLogging(t *testing.T) {
	sb := startSandbox(t, testSeed(waIDs(919900000000, 12), blocklistEntries(5)), sandbox.Options{Latency: 15 * time.Millisecond})
	log := &recordingLogger{}
	c := newClient(t, sb.URL(), func(cfg *kaleyra.Config) { cfg.Logger = log })
	ctx := context.Background()

	var errs []error
	record := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	// Successes, a retried failure, a cut-off body, a refused redirect,
	// a wrong key and a blocklist restart: every path that logs.
	_, _, err := c.WhatsAppBlockedUsers(ctx, kaleyra.WhatsAppListRequest{PhoneNumber: v2Number, PageSize: 5})
	record(err)
	sb.AddFault(sandbox.Fault{API: "contacts", Status: 503})
	sb.AddFault(sandbox.Fault{API: "contacts", Truncate: true})
	_, _, err = c.ContactsBlocklisted(ctx, kaleyra.ContactsListRequest{})
	record(err)
	sb.AddFault(sandbox.Fault{API: "whatsapp", BlocklistChanged: true})
	_, _, err = c.WhatsAppBlockedUsers(ctx, kaleyra.WhatsAppListRequest{PhoneNumber: v2Number, PageSize: 5})
	record(err)
	sb.ClearFaults()
	sb.AddFault(sandbox.Fault{RedirectTo: "http://localhost:1"})
	_, _, err = c.ContactsBlocklisted(ctx, kaleyra.ContactsListRequest{})
	record(err)
	wrongKey := "Awrong0key0that0must0not0be0logged"
	bad := newClient(t, sb.URL(), func(cfg *kaleyra.Config) { cfg.Logger = log; cfg.APIKey = wrongKey })
	_, _, err = bad.ContactsBlocklisted(ctx, kaleyra.ContactsListRequest{})
	record(err)
	if len(errs) != 2 {
		t.Fatalf("errors %v; want the redirect and the wrong key to fail", errs)
	}

	entries := log.all()
	var requestLines []logEntry
	for _, e := range entries {
		// Nothing logged carries a key, the right one or the wrong one.
		text := fmt.Sprintf("%s %v", e.msg, e.fields)
		for _, key := range []string{testAPIKey, wrongKey} {
			if strings.Contains(text, key) {
				t.Fatalf("a log entry carries the API key: %s", text)
			}
		}
		_, hasStatus := e.fields["status"]
		_, hasDuration := e.fields["duration_ms"]
		if _, failed := e.fields["error"]; hasStatus && hasDuration && !failed {
			requestLines = append(requestLines, e)
		}
	}
	for _, err := range errs {
		if strings.Contains(err.Error(), testAPIKey) || strings.Contains(err.Error(), wrongKey) {
			t.Errorf("an error carries the API key: %v", err)
		}
	}

	// One line per answered request (the cut-off one has its own), with
	// method, path, status and duration.
	answered := 0
	for _, r := range sb.Requests() {
		if r.Status != 0 {
			answered++
		}
	}
	if len(requestLines) != answered-1 {
		t.Fatalf("%d request log lines for %d answered requests, one of them cut off", len(requestLines), answered)
	}
	for _, e := range requestLines {
		path, _ := e.fields["path"].(string)
		status, _ := e.fields["status"].(int)
		duration, ok := e.fields["duration_ms"].(int64)
		if e.fields["method"] != http.MethodGet || !strings.HasPrefix(path, "/v") || status == 0 || !ok || duration < 15 {
			t.Errorf("request log line %q %v lacks method, path, status or duration", e.msg, e.fields)
		}
		if strings.Contains(path, "?") {
			t.Errorf("a log line carries the query: %v", e.fields)
		}
	}
	for _, want := range []string{"Retrying", "unreadable", "starting again"} {
		if !slices.ContainsFunc(entries, func(e logEntry) bool { return strings.Contains(e.msg, want) }) {
			t.Errorf("no log entry mentions %q", want)
		}
	}
}

// TestFailedRequestsNameNoNumber: a request that gets no usable answer is
// reported with its host and path, never its query, which holds the
// numbers looked up: blocklists are personal data, and errors end up in CI
// logs.
func TestFailedRequestsNameNoNumber(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String()
	_ = closed.Close()

	entries := blocklistEntries(150)
	numbers := make([]string, 150)
	for i := range numbers {
		numbers[i] = mobile(i)
	}
	cases := map[string]struct {
		fault *sandbox.Fault
		tune  func(*kaleyra.Config)
	}{
		"connection refused": {},
		"timeout": {
			fault: &sandbox.Fault{API: "contacts", Delay: sandbox.Duration(5 * time.Second), Times: -1},
			tune:  func(cfg *kaleyra.Config) { cfg.RequestTimeout = 50 * time.Millisecond },
		},
		"connection reset mid-body": {fault: &sandbox.Fault{API: "contacts", Reset: true, Times: -1}},
		"body cut short":            {fault: &sandbox.Fault{API: "contacts", Truncate: true, Times: -1}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			baseURL := closedURL
			if tc.fault != nil {
				sb := startSandbox(t, testSeed(nil, entries), sandbox.Options{})
				sb.AddFault(*tc.fault)
				baseURL = sb.URL()
			}
			log := &recordingLogger{}
			c := newClient(t, baseURL, func(cfg *kaleyra.Config) {
				cfg.Logger = log
				if tc.tune != nil {
					tc.tune(cfg)
				}
			})
			_, _, err := c.ContactsBlocklisted(context.Background(), kaleyra.ContactsListRequest{Mobiles: numbers})
			var reqErr *kaleyra.RequestError
			if !errors.As(err, &reqErr) {
				t.Fatalf("error %v (%T), want a *kaleyra.RequestError", err, err)
			}
			if want := baseURL + "/v1/" + testSID + "/contacts/blocklisted"; reqErr.URL != want || reqErr.Method != http.MethodGet {
				t.Errorf("the error names %s %s, want GET %s", reqErr.Method, reqErr.URL, want)
			}
			texts := []string{err.Error()}
			for _, e := range log.all() {
				texts = append(texts, fmt.Sprintf("%s %v", e.msg, e.fields))
			}
			for _, text := range texts {
				if strings.Contains(text, "mobile=") || strings.Contains(text, "?limit") {
					t.Errorf("the query shows in %q", text)
				}
				for _, n := range numbers {
					if strings.Contains(text, n) || strings.Contains(text, n[1:]) || strings.Contains(text, "%2B"+n[1:]) {
						t.Fatalf("the number %s shows in %q", n, text)
					}
				}
			}
		})
	}
}
