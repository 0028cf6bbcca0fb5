package kaleyra_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

// ---- A gateway that drops offset, and pages that repeat (issue 19, item 2).

// longDigits is a run of digits as long as a phone number's.
var longDigits = regexp.MustCompile(`[0-9]{7,}`)

func TestContactsRepeatedPage_gatewayDroppingOffsetFailsFast(t *testing.T) {
	// Every request is answered as if it had no offset: every page is the
	// first, full, so the read would never see a short page. It fails on
	// the first repeat instead, as a sequential read would: page 2 repeats
	// page 1. The pages read ahead before any answered are the only others:
	// the first page, then at most MaxParallel pages (each of which is a
	// repeat as it answers, so none is asked after the first answer), so
	// at most 1 + MaxParallel requests for the list.
	const parallel = 4
	numbers := make([]string, 130)
	for i := range numbers {
		numbers[i] = mobile(i)
	}
	cases := []struct {
		name string
		req  kaleyra.ContactsListRequest
		// requests bounds the requests: 1 + parallel for the list that
		// pages, plus one for each batch that fits on one page.
		requests int
		prefix   string
	}{
		{name: "whole list", req: kaleyra.ContactsListRequest{}, requests: 1 + parallel},
		// 130 numbers: batch 1 (numbers 0..99) has 199 rows and pages,
		// batch 2 (100..129) has 60 rows, one short page.
		{name: "lookup", req: kaleyra.ContactsListRequest{Mobiles: numbers}, requests: 2 + parallel, prefix: "batch 1 of 2, 100 numbers: "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sb := startSandbox(t, testSeed(nil, blocklistEntries(300)), sandbox.Options{})
			sb.AddFault(sandbox.Fault{API: "contacts", DropOffset: true, Times: -1})
			c := newClient(t, sb.URL(), func(cfg *kaleyra.Config) { cfg.MaxParallel = parallel })
			// Without the check, the read would go on until this deadline.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start := time.Now()
			rows, _, err := c.ContactsBlocklisted(ctx, tc.req)
			elapsed := time.Since(start)
			reqs := sb.Requests()
			t.Logf("failed after %s and %d requests: %v", elapsed.Round(time.Millisecond), len(reqs), err)

			var repeated *kaleyra.RepeatedPageError
			if !errors.As(err, &repeated) {
				t.Fatalf("error %v (%T), want a *kaleyra.RepeatedPageError", err, err)
			}
			if rows != nil {
				t.Errorf("a failed read returned %d rows", len(rows))
			}
			if repeated.Page != 2 || repeated.Earlier != 1 || repeated.Offset != 100 || repeated.EarlierOffset != 0 {
				t.Errorf("page %d (offset %d) repeats page %d (offset %d); want page 2 (offset 100) repeating page 1 (offset 0)",
					repeated.Page, repeated.Offset, repeated.Earlier, repeated.EarlierOffset)
			}
			if !strings.HasPrefix(err.Error(), tc.prefix) || !strings.Contains(err.Error(), "returned the same page again") ||
				!strings.Contains(err.Error(), "ignoring offset") {
				t.Errorf("error %q does not start with %q and say the page came again", err, tc.prefix)
			}
			if d := longDigits.FindString(err.Error()); d != "" {
				t.Errorf("the error shows a number (%s): %v", d, err)
			}
			if len(reqs) > tc.requests {
				t.Errorf("%d requests, want at most %d", len(reqs), tc.requests)
			}
		})
	}
}

func TestContactsRepeatedPage_decidedAsASequentialRead(t *testing.T) {
	// Pages answer out of order (the delayed ones last), yet the outcome
	// is what reading one page after another gives: the first page that
	// repeats an earlier full page fails the read, named with the page it
	// repeats; a repeat past the first short page never counts.
	fast := func(delayed ...int) func(int) time.Duration {
		return func(offset int) time.Duration {
			if slices.Contains(delayed, offset) {
				return 150 * time.Millisecond
			}
			return 0
		}
	}
	// same(pairs) makes the page at each key offset hold the rows of the
	// page at its value offset.
	same := func(pairs map[int]int) func(int) int {
		return func(offset int) int {
			if o, ok := pairs[offset]; ok {
				return o
			}
			return offset
		}
	}
	cases := []struct {
		name   string
		srv    *offsetServer
		page   int // the repeat the read fails with, 1-based; 0: no error
		of     int
		rows   int
		stats  int
		offset int
	}{
		{
			name: "repeat answered first, fails at the later page",
			// Page 4 (offset 300) holds page 2's rows and answers before
			// it: the repeat is page 4's, once page 2 has answered.
			srv:  &offsetServer{rows: listOf(2000), first: same(map[int]int{300: 100}), delay: fast(100)},
			page: 4, of: 2, offset: 300,
		},
		{
			name: "the lowest of two repeats",
			// Page 6 repeats page 5 and answers first; page 4 repeats
			// page 2, late: a sequential read stops at page 4.
			srv:  &offsetServer{rows: listOf(2000), first: same(map[int]int{300: 100, 500: 400}), delay: fast(100, 300)},
			page: 4, of: 2, offset: 300,
		},
		{
			name: "a repeat past the first short page does not count",
			// Page 3 (offset 200) is short and late; page 4 repeats page 2
			// and answers first. A sequential read ends at page 3.
			srv: &offsetServer{
				rows:  func(offset int) int { return map[int]int{0: 100, 100: 100, 200: 50}[offset] + 100*btoi(offset > 200) },
				first: same(map[int]int{300: 100}), delay: fast(200),
			},
			rows: 250, stats: 3,
		},
		{
			name: "a repeat of the first page",
			srv:  &offsetServer{rows: listOf(2000), first: same(map[int]int{200: 0})},
			page: 3, of: 1, offset: 200,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			hs := httptest.NewServer(tc.srv)
			t.Cleanup(hs.Close)
			c := newClient(t, hs.URL, func(cfg *kaleyra.Config) {
				cfg.MaxParallel = 8
				cfg.MaxRetries = 0
			})
			rows, stats, err := c.ContactsBlocklisted(ctx, kaleyra.ContactsListRequest{PageSize: 100})
			if tc.page == 0 {
				if err != nil || len(rows) != tc.rows || stats.Pages != tc.stats {
					t.Fatalf("%d rows in %d pages, error %v; want %d rows in %d pages", len(rows), stats.Pages, err, tc.rows, tc.stats)
				}
				return
			}
			var repeated *kaleyra.RepeatedPageError
			if !errors.As(err, &repeated) {
				t.Fatalf("error %v (%T), want a *kaleyra.RepeatedPageError", err, err)
			}
			if repeated.Page != tc.page || repeated.Earlier != tc.of || repeated.Offset != tc.offset || repeated.Rows != 100 {
				t.Errorf("%+v, want page %d (offset %d) repeating page %d, 100 rows", *repeated, tc.page, tc.offset, tc.of)
			}
			if rows != nil {
				t.Errorf("a failed read returned %d rows", len(rows))
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestContactsChangingList_readsAsASequentialRead(t *testing.T) {
	// Rows added or removed at the front after the first page shift every
	// later page: pages overlap (a row read twice) or skip a row, but none
	// repeats a page. The parallel read gives what the sequential read
	// gives, and no error.
	for _, shift := range []int{-1, 1, -37, 60} {
		t.Run(fmt.Sprintf("shift %d", shift), func(t *testing.T) {
			srv := func() *offsetServer {
				return &offsetServer{
					rows: listOf(1050 + shift),
					first: func(offset int) int {
						if offset == 0 {
							return 0
						}
						return offset + shift
					},
				}
			}
			want, wantStats, err := readWhole(t, srv(), 1)
			if err != nil {
				t.Fatalf("the sequential read: %v", err)
			}
			got, stats, err := readWhole(t, srv(), 8)
			if err != nil {
				t.Fatalf("the parallel read: %v", err)
			}
			if !slices.Equal(got, want) || stats.Pages != wantStats.Pages || stats.Rows != wantStats.Rows {
				t.Errorf("the parallel read gave %d rows (%d unique) in %d pages, the sequential %d (%d unique) in %d",
					stats.Rows, len(got), stats.Pages, wantStats.Rows, len(want), wantStats.Pages)
			}
		})
	}
}

// ---- Bounded fan-out of many batches (issue 19, item 3).

// kaleyraGoroutines counts the goroutines running code of package kaleyra
// (not its tests): the read's own, whatever they are waiting for. The
// transport's connection goroutines run net/http code only.
func kaleyraGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "terraform-provider-kaleyra/internal/kaleyra.") {
			count++
		}
	}
	return count
}

// batchNumbers is batches·100 numbers, none blocklisted: a lookup of that
// many batches.
func batchNumbers(batches int) []string {
	numbers := make([]string, batches*kaleyra.MaxMobilesPerRequest)
	for i := range numbers {
		numbers[i] = mobile(500_000 + i)
	}
	return numbers
}

func TestContactsBatches_goroutinesAndRequestsBounded(t *testing.T) {
	// 40 batches at MaxParallel 32, each batch three pages (100, 100 and 50
	// rows): batches times page workers could reach 32² goroutines. The
	// read has one pool of workers, started as there is work, at most one
	// per request it may have in flight: at most 32 goroutines beside the
	// caller's, sampled as each request arrives. The client's requests in
	// flight stay at most 32, and the result is the sequential read's.
	const parallel, batches = 32, 40
	var peak atomic.Int64
	srv := &offsetServer{
		rows:  func(offset int) int { return map[int]int{0: 100, 100: 100, 200: 50}[offset] },
		delay: func(int) time.Duration { return 10 * time.Millisecond },
		onRequest: func(*http.Request) {
			n := int64(kaleyraGoroutines())
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
		},
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c := newClient(t, hs.URL, func(cfg *kaleyra.Config) {
		cfg.MaxParallel = parallel
		cfg.MaxRetries = 0
	})
	rows, stats, err := c.ContactsBlocklisted(context.Background(), kaleyra.ContactsListRequest{Mobiles: batchNumbers(batches)})
	if err != nil {
		t.Fatal(err)
	}
	// Every batch gets the same 250 rows: 250 unique.
	if len(rows) != 250 || stats.Batches != batches || stats.Pages != 3*batches || stats.Rows != 250*batches {
		t.Errorf("%d rows, %+v; want 250 rows, %d batches, %d pages, %d rows received", len(rows), stats, batches, 3*batches, 250*batches)
	}
	// The server's own count is no bound: a request cancelled past a
	// batch's end leaves the client at once but its handler runs on.
	t.Logf("at most %d goroutines in package kaleyra; %d requests at the server at once", peak.Load(), srv.peak.Load())
	if got := peak.Load(); got > parallel+1 || got < 2 {
		t.Errorf("%d goroutines of the read at once, want 2..%d: %d workers and the caller", got, parallel+1, parallel)
	}
	if _, inFlight, limiterPeak := c.InFlight(); limiterPeak > parallel || inFlight != 0 {
		t.Errorf("the limiter had %d in flight at most and %d after the read; want at most %d, then 0", limiterPeak, inFlight, parallel)
	}
}

// countingTransport records the first number of each request's mobile
// parameter, as the client's transport hands it on: a request attempted,
// whether or not it reaches the server.
type countingTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	seen []string
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	first, _, _ := strings.Cut(req.URL.Query().Get("mobile"), ",")
	c.mu.Lock()
	c.seen = append(c.seen, first)
	c.mu.Unlock()
	return c.base.RoundTrip(req)
}

func TestContactsBatches_noBatchStartsAfterOneFailed(t *testing.T) {
	// 40 batches, 4 in flight. Batch 3 fails at once (CNT195, not
	// retried); the others answer after 200ms. The first four batches
	// start together; once batch 3 has failed, no other batch is started:
	// no request of batches 5 to 40 is even attempted, and the three in
	// flight are cancelled.
	const parallel, batches = 4, 40
	numbers := batchNumbers(batches)
	failing := numbers[2*kaleyra.MaxMobilesPerRequest]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(r.URL.Query().Get("mobile"), failing) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"code":"CNT195","message":"Unable to fetch blocklisted numbers","data":[],"error":{}}`)
			return
		}
		select {
		case <-time.After(200 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		fmt.Fprint(w, `{"code":"CNT196","message":"ok","data":[],"error":{}}`)
	}))
	t.Cleanup(srv.Close)
	counting := &countingTransport{base: http.DefaultTransport}
	c := newClient(t, srv.URL, func(cfg *kaleyra.Config) {
		cfg.MaxParallel = parallel
		cfg.Transport = counting
	})
	start := time.Now()
	rows, _, err := c.ContactsBlocklisted(context.Background(), kaleyra.ContactsListRequest{Mobiles: numbers})
	elapsed := time.Since(start)
	if rows != nil {
		t.Errorf("a failed read returned %d rows", len(rows))
	}
	if apiErr := asAPIError(t, err); apiErr.Code != kaleyra.CodeContactsFailed || !strings.HasPrefix(err.Error(), "batch 3 of 40, 100 numbers: ") {
		t.Errorf("error %v, want batch 3 of 40's CNT195", err)
	}
	started := map[int]bool{}
	for _, first := range counting.seen {
		started[slices.Index(numbers, first)/kaleyra.MaxMobilesPerRequest+1] = true
	}
	for batch := range started {
		if batch > parallel {
			t.Errorf("batch %d was started after batch 3 failed (batches attempted: %v)", batch, slices.Sorted(maps.Keys(started)))
		}
	}
	if elapsed > 2*time.Second {
		t.Errorf("the failed read took %s: the batches in flight were not cancelled", elapsed)
	}
}
