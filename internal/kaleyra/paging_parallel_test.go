package kaleyra_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

// offsetServer answers contacts pages by offset: rows(offset) rows after
// delay(offset), or fail(offset) when it returns an envelope code. Row i of
// a page is the synthetic number first(offset)+i, first(offset) = offset
// unless set (a list that changes, or a gateway that ignores offset). It
// counts the offsets asked and the requests in flight, and calls
// onRequest, if set, as each request arrives.
type offsetServer struct {
	rows      func(offset int) int
	delay     func(offset int) time.Duration
	fail      func(offset int) string
	first     func(offset int) int
	onRequest func(r *http.Request)

	mu       sync.Mutex
	asked    map[int]int
	inFlight atomic.Int64
	peak     atomic.Int64
}

func (s *offsetServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
	}
	if s.onRequest != nil {
		s.onRequest(r)
	}
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	s.mu.Lock()
	if s.asked == nil {
		s.asked = map[int]int{}
	}
	s.asked[offset]++
	s.mu.Unlock()
	if s.delay != nil {
		select {
		case <-time.After(s.delay(offset)):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if s.fail != nil {
		if code := s.fail(offset); code != "" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"code":%q,"message":"failed at offset %d","data":[],"error":{}}`, code, offset)
			return
		}
	}
	first := offset
	if s.first != nil {
		first = s.first(offset)
	}
	var rows []string
	for i := range s.rows(offset) {
		rows = append(rows, fmt.Sprintf(`{"mobile":"+9170%08d","channel_type":"1"}`, first+i))
	}
	fmt.Fprintf(w, `{"code":"CNT196","message":"ok","data":[%s],"error":{}}`, strings.Join(rows, ","))
}

func (s *offsetServer) askedOnce(t *testing.T, offsets ...int) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range offsets {
		if s.asked[o] != 1 {
			t.Errorf("offset %d asked %d times, want once (asked: %v)", o, s.asked[o], s.asked)
		}
	}
}

// listOf answers a list of n rows in pages of 100, the page size the
// tests ask for.
func listOf(n int) func(int) int {
	return func(offset int) int { return max(0, min(100, n-offset)) }
}

func readWhole(t *testing.T, srv *offsetServer, parallel int) ([]kaleyra.BlocklistedContact, kaleyra.ListStats, error) {
	t.Helper()
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c := newClient(t, hs.URL, func(cfg *kaleyra.Config) {
		cfg.MaxParallel = parallel
		cfg.MaxRetries = 0
	})
	return c.ContactsBlocklisted(context.Background(), kaleyra.ContactsListRequest{PageSize: 100})
}

func TestContactsParallelPaging_failuresPastTheEndDoNotCount(t *testing.T) {
	// 250 rows: pages at 0 and 100 are full, 200 is the short last page and
	// answers late; the pages read ahead past it fail at once. A sequential
	// read never asks for them, so neither their rows nor their errors count.
	srv := &offsetServer{
		rows: listOf(250),
		delay: func(offset int) time.Duration {
			if offset == 200 {
				return 150 * time.Millisecond
			}
			return 0
		},
		fail: func(offset int) string {
			if offset >= 300 {
				return kaleyra.CodeContactsFailed
			}
			return ""
		},
	}
	rows, stats, err := readWhole(t, srv, 4)
	if err != nil {
		t.Fatalf("a failure past the last page failed the read: %v", err)
	}
	if len(rows) != 250 || stats.Pages != 3 {
		t.Fatalf("got %d rows in %d pages, want 250 in 3", len(rows), stats.Pages)
	}
	srv.askedOnce(t, 0, 100, 200)
	if p := srv.peak.Load(); p > 4 {
		t.Errorf("%d requests in flight, want at most 4", p)
	}
}

func TestContactsParallelPaging_failingPageFailsTheReadNoPartialList(t *testing.T) {
	// The page at 300 fails; pages after it are slow and must be cancelled,
	// not waited for.
	srv := &offsetServer{
		rows: listOf(10_000),
		delay: func(offset int) time.Duration {
			if offset > 300 {
				return 20 * time.Second
			}
			return 0
		},
		fail: func(offset int) string {
			if offset == 300 {
				return kaleyra.CodeLowBalance
			}
			return ""
		},
	}
	start := time.Now()
	rows, _, err := readWhole(t, srv, 4)
	if rows != nil {
		t.Fatalf("a failed read returned %d rows", len(rows))
	}
	var apiErr *kaleyra.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != kaleyra.CodeLowBalance {
		t.Fatalf("err = %v, want the page's E110", err)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Fatalf("the read took %s: the pages after the failure were not cancelled", elapsed)
	}
}

func TestContactsParallelPaging_shortMiddlePageEndsTheListLikeASequentialRead(t *testing.T) {
	// A ragged list: the page at 100 is short although later offsets have
	// rows. A sequential read stops there; so must the parallel one.
	srv := &offsetServer{rows: func(offset int) int {
		switch {
		case offset == 100:
			return 60
		case offset < 1000:
			return 100
		}
		return 0
	}}
	rows, stats, err := readWhole(t, srv, 8)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 160 || stats.Pages != 2 {
		t.Fatalf("got %d rows in %d pages, want 160 in 2 (what a sequential read gives)", len(rows), stats.Pages)
	}
}

func TestContactsParallelPaging_wholeListAtLatency(t *testing.T) {
	// SPEC: 20,000 rows, page 100, default parallelism 4: complete, at most
	// 205 requests, never more than 4 in flight. (Time is measured by make
	// bench, not here.)
	sb := startSandbox(t, testSeed(nil, entriesN(20_000)), sandbox.Options{Latency: 10 * time.Millisecond})
	c := newClient(t, sb.URL())
	rows, stats, err := c.ContactsBlocklisted(context.Background(), kaleyra.ContactsListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 20_000 || stats.Pages != 201 {
		t.Fatalf("got %d rows in %d pages, want 20000 in 201", len(rows), stats.Pages)
	}
	reqs := sb.Requests()
	expectPagedOffsets(t, reqs, 100, 201, kaleyra.DefaultMaxParallel)
	if len(reqs) > 205 {
		t.Errorf("%d requests, want at most 205", len(reqs))
	}
	if got := sb.MaxInFlight(); got > kaleyra.DefaultMaxParallel || got < 2 {
		t.Errorf("%d requests in flight at most, want 2..%d", got, kaleyra.DefaultMaxParallel)
	}
}

func TestContactsParallelPaging_rateLimitLowersInFlight(t *testing.T) {
	// Eight pages in flight meet a burst of 429s: the client halves its
	// in-flight limit once for the burst (8 -> 4), honours Retry-After,
	// finishes the list, and raises the limit again after successes. The
	// sandbox's request log shows the in-flight count over time.
	sb := startSandbox(t, testSeed(nil, entriesN(6_000)), sandbox.Options{Latency: 5 * time.Millisecond})
	sb.AddFault(sandbox.Fault{API: "contacts", Skip: 9, Times: 8, Status: http.StatusTooManyRequests, RetryAfter: "0"})
	logs := &recordingLogger{}
	c := newClient(t, sb.URL(), func(cfg *kaleyra.Config) {
		cfg.MaxParallel = 8
		cfg.MaxRetries = 4
		cfg.Logger = logs
	})
	rows, _, err := c.ContactsBlocklisted(context.Background(), kaleyra.ContactsListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6_000 {
		t.Fatalf("got %d rows, want 6000", len(rows))
	}

	reqs := sb.Requests()
	var timeline strings.Builder
	first429 := -1
	for i, r := range reqs {
		fmt.Fprintf(&timeline, "%4dms in flight %d status %d\n", r.Time.Sub(reqs[0].Time).Milliseconds(), r.InFlight, r.Status)
		if r.Status == http.StatusTooManyRequests && first429 < 0 {
			first429 = i
		}
	}
	t.Logf("requests over time (arrival, in flight at the sandbox, status):\n%s", timeline.String())
	if first429 < 0 {
		t.Fatal("the sandbox answered no 429")
	}
	if got := sb.MaxInFlight(); got > 8 {
		t.Errorf("%d requests in flight, want at most 8", got)
	}

	var limits []string
	for _, e := range logs.all() {
		if strings.Contains(e.msg, "requests in flight") {
			limits = append(limits, fmt.Sprintf("%s:%v", e.level, e.fields["limit"]))
		}
	}
	t.Logf("in-flight limit changes: %v", limits)
	if len(limits) == 0 || limits[0] != "warn:4" {
		t.Fatalf("limit changes %v, want a first warning lowering the limit to 4", limits)
	}
	if limit, inFlight, peak := c.InFlight(); limit <= 4 || inFlight != 0 || peak > 8 {
		t.Errorf("after the read: limit %d, in flight %d, peak %d; want the limit raised above 4 again, 0, <= 8", limit, inFlight, peak)
	}
}
