package kaleyra_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

func TestContactsWholeBlocklist(t *testing.T) {
	// offset advances by the rows received; a page shorter than the limit
	// ends the list. 1,050 rows: 10 full pages of 100 and one of 50; 150
	// full pages of 7 and one empty page. After a full first page the
	// offsets are read ahead in parallel, so up to MaxParallel-1 requests
	// may go past the last page.
	entries := entriesN(1050)
	cases := []struct {
		pageSize, wantLimit, wantPages int
	}{
		{pageSize: 100, wantLimit: 100, wantPages: 11},
		{pageSize: 7, wantLimit: 7, wantPages: 151},
		{pageSize: 0, wantLimit: kaleyra.ContactsDefaultPageSize, wantPages: 11},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("page_size=%d", tc.pageSize), func(t *testing.T) {
			t.Parallel()
			sb := startSandbox(t, testSeed(nil, entries), sandbox.Options{})
			c := newClient(t, sb.URL())

			rows, stats, err := c.ContactsBlocklisted(context.Background(), kaleyra.ContactsListRequest{PageSize: tc.pageSize})
			if err != nil {
				t.Fatalf("ContactsBlocklisted: %v", err)
			}
			if want := expectedContacts(entries, nil, ""); !slices.Equal(rows, want) {
				t.Fatalf("got %d rows, want %d sorted (first got %v)", len(rows), len(want), rows[:min(3, len(rows))])
			}
			expectPagedOffsets(t, sb.Requests(), tc.wantLimit, tc.wantPages, kaleyra.DefaultMaxParallel)
			if stats.Pages != tc.wantPages || stats.Rows != 1050 || stats.Batches != 1 {
				t.Errorf("stats = %+v", stats)
			}
		})
	}
}

// expectPagedOffsets checks one list's requests: the first is offset 0
// alone; then every offset limit·k for k < pages is asked exactly once;
// beyond those, at most maxParallel-1 further offsets (read ahead before the
// last page answered), each once; every request has the same limit.
func expectPagedOffsets(t *testing.T, reqs []sandbox.Request, limit, pages, maxParallel int) {
	t.Helper()
	if len(reqs) == 0 || reqs[0].Query.Get("offset") != "0" {
		t.Fatalf("the first request is not offset 0: %v", reqs[:min(1, len(reqs))])
	}
	seen := map[int]int{}
	for i, r := range reqs {
		if got := r.Query.Get("limit"); got != strconv.Itoa(limit) {
			t.Fatalf("request %d limit=%s, want %d", i, got, limit)
		}
		off, err := strconv.Atoi(r.Query.Get("offset"))
		if err != nil || off%limit != 0 {
			t.Fatalf("request %d offset %q is not a multiple of the limit %d", i, r.Query.Get("offset"), limit)
		}
		seen[off/limit]++
	}
	for k := range pages {
		if seen[k] != 1 {
			t.Fatalf("page %d (offset %d) asked %d times, want once", k, k*limit, seen[k])
		}
	}
	past := 0
	for k, n := range seen {
		if k >= pages {
			past++
			if n != 1 || k >= pages+maxParallel-1 {
				t.Fatalf("offset %d asked %d times, past the last page %d", k*limit, n, pages-1)
			}
		}
	}
	if past > maxParallel-1 {
		t.Fatalf("%d requests past the last page, want at most %d", past, maxParallel-1)
	}
}

func TestContactsDuplicateRowsComeOutOnce(t *testing.T) {
	entries := blocklistEntries(40)
	stored := slices.Concat(entries, entries[:25], entries[10:12])
	sb := startSandbox(t, testSeed(nil, stored), sandbox.Options{})
	rows, _, err := newClient(t, sb.URL()).ContactsBlocklisted(context.Background(), kaleyra.ContactsListRequest{PageSize: 9})
	if err != nil {
		t.Fatalf("ContactsBlocklisted: %v", err)
	}
	if want := expectedContacts(entries, nil, ""); !slices.Equal(rows, want) {
		t.Fatalf("got %d rows, want the %d unique rows sorted", len(rows), len(want))
	}
}

// queriedNumbers is 250 distinct numbers, 200 of them blocklisted on one to
// three channels, unsorted, followed by 30 repeats.
func queriedNumbers() (query, unique []string) {
	for i := range 200 {
		unique = append(unique, mobile((i*37)%200))
	}
	for i := range 50 {
		unique = append(unique, mobile(5000+i))
	}
	query = slices.Concat(unique, unique[100:115], unique[:15])
	return query, unique
}

func TestContactsManyNumbers(t *testing.T) {
	entries := blocklistEntries(300) // numbers 0..299
	query, unique := queriedNumbers()

	for _, channel := range []string{"", kaleyra.ChannelWhatsApp} {
		t.Run("channel="+channel, func(t *testing.T) {
			t.Parallel()
			sb := startSandbox(t, testSeed(nil, entries), sandbox.Options{})
			c := newClient(t, sb.URL())

			rows, stats, err := c.ContactsBlocklisted(context.Background(), kaleyra.ContactsListRequest{
				Channel: channel, Mobiles: query,
			})
			if err != nil {
				t.Fatalf("ContactsBlocklisted: %v", err)
			}
			if want := expectedContacts(entries, unique, channel); !slices.Equal(rows, want) {
				t.Fatalf("got %d rows, want %d unique and sorted", len(rows), len(want))
			}
			if stats.Batches != 3 {
				t.Errorf("%d batches, want 3 (100 + 100 + 50 numbers)", stats.Batches)
			}

			queried := map[string]int{}
			for i, r := range sb.Requests() {
				if len(r.Mobiles) == 0 || len(r.Mobiles) > kaleyra.MaxMobilesPerRequest {
					t.Fatalf("request %d carried %d numbers", i, len(r.Mobiles))
				}
				if r.Query.Get("channel") != channel {
					t.Fatalf("request %d: channel=%q, want %q", i, r.Query.Get("channel"), channel)
				}
				// '+' reaches the server as %2B: the numbers arrive intact.
				if strings.Contains(r.RawQuery, "+") || !strings.Contains(r.RawQuery, "mobile=%2B") {
					t.Fatalf("request %d query %q: '+' not sent as %%2B", i, r.RawQuery)
				}
				for _, m := range r.Mobiles {
					if !slices.Contains(unique, m) {
						t.Fatalf("request %d asked for %q, which was not queried", i, m)
					}
				}
				if r.Query.Get("offset") == "0" {
					for _, m := range r.Mobiles {
						queried[m]++
					}
				}
			}
			for _, m := range unique {
				if queried[m] != 1 {
					t.Fatalf("number %s was in %d batches, want 1", m, queried[m])
				}
			}
		})
	}
}

func TestContactsBatchSpanningPages(t *testing.T) {
	// Numbers 0..99 hold 199 rows: the one batch takes pages at offsets
	// 0, 10, ..., 190, each with the same numbers.
	entries := blocklistEntries(100)
	var numbers []string
	for i := range 100 {
		numbers = append(numbers, mobile(i))
	}
	sb := startSandbox(t, testSeed(nil, entries), sandbox.Options{})
	rows, _, err := newClient(t, sb.URL()).ContactsBlocklisted(context.Background(), kaleyra.ContactsListRequest{
		Mobiles: numbers, PageSize: 10,
	})
	if err != nil {
		t.Fatalf("ContactsBlocklisted: %v", err)
	}
	want := expectedContacts(entries, numbers, "")
	if len(want) != 199 || !slices.Equal(rows, want) {
		t.Fatalf("got %d rows, want %d", len(rows), len(want))
	}
	reqs := sb.Requests()
	expectPagedOffsets(t, reqs, 10, 20, kaleyra.DefaultMaxParallel)
	for i, r := range reqs {
		if !slices.Equal(r.Mobiles, reqs[0].Mobiles) {
			t.Fatalf("request %d asked for other numbers than the first page", i)
		}
	}
}

func TestContactsOneFailingBatchFailsTheRead(t *testing.T) {
	entries := blocklistEntries(300)
	var numbers []string
	for i := range 300 {
		numbers = append(numbers, mobile(i))
	}
	cases := map[string]sandbox.Fault{
		"CNT195":        {API: "contacts", MobileContains: mobile(150), Code: kaleyra.CodeContactsFailed, Times: -1},
		"5xx exhausted": {API: "contacts", MobileContains: mobile(250), Status: 503, Times: -1},
		"later page":    {API: "contacts", MobileContains: mobile(20), Code: kaleyra.CodeContactsFailed, Skip: 1, Times: -1},
	}
	for name, fault := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sb := startSandbox(t, testSeed(nil, entries), sandbox.Options{})
			sb.AddFault(fault)
			rows, _, err := newClient(t, sb.URL()).ContactsBlocklisted(context.Background(), kaleyra.ContactsListRequest{
				Mobiles: numbers, PageSize: 100,
			})
			if err == nil {
				t.Fatalf("no error; got %d rows", len(rows))
			}
			if rows != nil {
				t.Errorf("a failed read returned %d rows", len(rows))
			}
			apiErr := asAPIError(t, err)
			wantCode := fault.Code
			if wantCode == "" {
				wantCode = kaleyra.CodeServer
			}
			if apiErr.Code != wantCode {
				t.Errorf("code %s, want %s", apiErr.Code, wantCode)
			}
			if !strings.Contains(err.Error(), "of 3, 100 numbers: ") {
				t.Errorf("error %q does not name the batch", err)
			}
		})
	}
}

func TestContactsBatchesRunInParallel(t *testing.T) {
	// 3,000 numbers that are not blocklisted: 30 batches of one page each.
	const latency = 30 * time.Millisecond
	var numbers []string
	for i := range 3000 {
		numbers = append(numbers, mobile(100000+i))
	}
	for _, parallel := range []int{2, 4} {
		t.Run(fmt.Sprintf("max_parallel=%d", parallel), func(t *testing.T) {
			sb := startSandbox(t, testSeed(nil, blocklistEntries(10)), sandbox.Options{Latency: latency})
			c := newClient(t, sb.URL(), func(cfg *kaleyra.Config) { cfg.MaxParallel = parallel })

			start := time.Now()
			rows, stats, err := c.ContactsBlocklisted(context.Background(), kaleyra.ContactsListRequest{Mobiles: numbers})
			elapsed := time.Since(start)
			if err != nil {
				t.Fatalf("ContactsBlocklisted: %v", err)
			}
			if len(rows) != 0 || stats.Batches != 30 || len(sb.Requests()) != 30 {
				t.Fatalf("%d rows, %d batches, %d requests; want 0, 30, 30", len(rows), stats.Batches, len(sb.Requests()))
			}
			if got := sb.MaxInFlight(); got > parallel || got < 2 {
				t.Errorf("at most %d requests were in flight; want 2..%d", got, parallel)
			}
			// One after the other, 30 requests take at least 30 latencies;
			// four at a time need about 8 (2 at a time, 15: too close to
			// assert on a busy machine).
			if sequential := 30 * latency; parallel == 4 && elapsed >= sequential {
				t.Errorf("the read took %s, no faster than %s one at a time", elapsed, sequential)
			}
		})
	}
}

func TestContactsNoNumbersMakesNoRequest(t *testing.T) {
	sb := startSandbox(t, testSeed(nil, blocklistEntries(10)), sandbox.Options{})
	rows, _, err := newClient(t, sb.URL()).ContactsBlocklisted(context.Background(), kaleyra.ContactsListRequest{Mobiles: []string{}})
	if err != nil || rows == nil || len(rows) != 0 {
		t.Fatalf("rows %v, error %v; want an empty, non-nil list", rows, err)
	}
	if n := len(sb.Requests()); n != 0 {
		t.Errorf("%d requests for no numbers", n)
	}
}

func TestContactsPageRefusesMoreThan100Numbers(t *testing.T) {
	sb := startSandbox(t, testSeed(nil, nil), sandbox.Options{})
	numbers := make([]string, kaleyra.MaxMobilesPerRequest+1)
	for i := range numbers {
		numbers[i] = mobile(i)
	}
	_, err := newClient(t, sb.URL()).ContactsBlocklistedPage(context.Background(), kaleyra.ContactsPageRequest{Mobiles: numbers})
	if err == nil || !strings.Contains(err.Error(), "at most 100") {
		t.Fatalf("error %v, want one about the 100-number cap", err)
	}
	if n := len(sb.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestContactsChannelTypeAsSent(t *testing.T) {
	// The documented sample: a whatsapp row has channel_type "3", and the
	// documented code names its channel; others are not guessed.
	entries := []sandbox.BlocklistEntry{
		{Mobile: "+918021234552", Channel: "whatsapp"},
		{Mobile: "+918021234552", Channel: "sms"},
	}
	sb := startSandbox(t, testSeed(nil, entries), sandbox.Options{})
	rows, _, err := newClient(t, sb.URL()).ContactsBlocklisted(context.Background(), kaleyra.ContactsListRequest{
		Mobiles: []string{"+918021234552", "+918031234553"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []kaleyra.BlocklistedContact{
		{Mobile: "+918021234552", ChannelType: channelType("sms")},
		{Mobile: "+918021234552", ChannelType: "3"},
	}
	if !slices.Equal(rows, want) {
		t.Fatalf("rows = %+v, want %+v", rows, want)
	}
	if ch, ok := kaleyra.ChannelForType("3"); !ok || ch != kaleyra.ChannelWhatsApp {
		t.Errorf(`ChannelForType("3") = %q, %t`, ch, ok)
	}
	if ch, ok := kaleyra.ChannelForType(channelType("sms")); ok {
		t.Errorf("an undocumented channel_type was named %q", ch)
	}
}

func TestContactsFailingBatchOfOneNumberIsNamedGrammatically(t *testing.T) {
	// 101 numbers: a batch of 100 and a batch of 1. The error names the
	// batch by index and size, never by its numbers.
	var numbers []string
	for i := range 101 {
		numbers = append(numbers, mobile(i))
	}
	sb := startSandbox(t, testSeed(nil, nil), sandbox.Options{})
	sb.AddFault(sandbox.Fault{API: "contacts", MobileContains: mobile(100), Status: 400, Code: kaleyra.CodeContactsFailed, Times: -1})
	_, _, err := newClient(t, sb.URL()).ContactsBlocklisted(context.Background(), kaleyra.ContactsListRequest{Mobiles: numbers})
	if err == nil || !strings.HasPrefix(err.Error(), "batch 2 of 2, 1 number: ") {
		t.Fatalf("err = %v, want it to start with %q", err, "batch 2 of 2, 1 number: ")
	}
	if strings.Contains(err.Error(), mobile(100)) || strings.Contains(err.Error(), strings.TrimPrefix(mobile(100), "+")) {
		t.Errorf("the error names a queried number: %v", err)
	}
}
