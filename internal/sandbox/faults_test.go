package sandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

func TestFaultEnvelopes(t *testing.T) {
	tests := []struct {
		name   string
		fault  sandbox.Fault
		target string
		status int
		body   string
	}{
		{"status 500", sandbox.Fault{Status: 500}, waPath("v2", bigNumber, nil), 500, bodyWA500},
		{"status 503 is WA500", sandbox.Fault{Status: 503}, contactsPath(nil), 503, bodyWA500},
		{"status 400", sandbox.Fault{Status: 400}, contactsPath(nil), 400, bodyWA400},
		{"status 401", sandbox.Fault{Status: 401}, contactsPath(nil), 401, bodyRBC001},
		{"status 429", sandbox.Fault{Status: 429}, contactsPath(nil), 429,
			`{"code":"WA429","message":"Too many requests, please try again later","data":{},"error":{"error":"Too many requests, please try again later"}}`},
		{"status 403 generic", sandbox.Fault{Status: 403}, contactsPath(nil), 403,
			`{"code":"WA403","message":"Forbidden","data":{},"error":{"error":"Forbidden"}}`},
		{"code E110", sandbox.Fault{Code: "E110"}, contactsPath(nil), 400, bodyE110},
		{"code CNT195", sandbox.Fault{Code: "CNT195"}, contactsPath(nil), 400, bodyCNT195},
		{"code WA401", sandbox.Fault{Code: "WA401"}, waPath("v2", bigNumber, nil), 401, bodyWA401},
		{"code WA-401 on whatsapp", sandbox.Fault{Code: "WA-401"}, waPath("v2", bigNumber, nil), 401, bodyVer},
		{"code WA-401 on contacts", sandbox.Fault{Code: "WA-401"}, contactsPath(nil), 401, bodyAcct},
		{"code with status", sandbox.Fault{Code: "WA500", Status: 502}, contactsPath(nil), 502, bodyWA500},
		{"custom message and fields", sandbox.Fault{Status: 500, Message: "Down", Fields: map[string]string{"error": "maintenance"}},
			contactsPath(nil), 500, `{"code":"WA500","message":"Down","data":{},"error":{"error":"maintenance"}}`},
		{"unknown code", sandbox.Fault{Status: 418, Code: "X1"}, contactsPath(nil), 418,
			`{"code":"X1","message":"I'm a teapot","data":{},"error":{"error":"I'm a teapot"}}`},
		{"accepted", sandbox.Fault{Accepted: true}, contactsPath(nil), 202,
			`{"code":"WA202","message":"Request Accepted","data":{"message_id":"A0000000000000000001"},"error":{}}`},
		{"blocklist changed", sandbox.Fault{BlocklistChanged: true}, waPath("v2", bigNumber, nil), 400, body139102},
		{"faults come before auth", sandbox.Fault{Status: 500}, "/v1/HXNOPE/contacts/blocklisted", 500, bodyWA500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.fault.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			s := newServer(t, sandbox.Options{})
			s.AddFault(tc.fault)
			assertBody(t, get(t, s, tc.target, key), tc.status, tc.body)
			// Times 0 means once: the next request is answered for real.
			if rec := get(t, s, tc.target, key); rec.Code == tc.status && rec.Body.String() == tc.body {
				t.Errorf("the fault applied twice")
			}
			reqs := s.Requests()
			var env struct{ Code string }
			json.Unmarshal([]byte(tc.body), &env) //nolint:errcheck
			if reqs[0].Status != tc.status || reqs[0].Code != env.Code {
				t.Errorf("logged %d %q, want %d %q", reqs[0].Status, reqs[0].Code, tc.status, env.Code)
			}
		})
	}
}

func TestFaultMatching(t *testing.T) {
	s := newServer(t, sandbox.Options{})
	wa := waPath("v2", bigNumber, nil)
	ct := contactsPath(nil)
	status := func(target string) int { return get(t, s, target, key).Code }

	// Skip 2, then 3 times, on WhatsApp only.
	s.AddFault(sandbox.Fault{API: "whatsapp", Skip: 2, Times: 3, Status: 500})
	var got []int
	for range 7 {
		got = append(got, status(wa))
	}
	if want := []int{200, 200, 500, 500, 500, 200, 200}; !slices.Equal(got, want) {
		t.Errorf("skip/times: %v, want %v", got, want)
	}
	if status(ct) != 200 {
		t.Error("a whatsapp fault hit contacts")
	}

	// Every one, until cleared; the first matching fault wins.
	s.ClearFaults()
	s.AddFault(sandbox.Fault{API: "contacts", Times: -1, Status: 429})
	s.AddFault(sandbox.Fault{Times: -1, Status: 503})
	for range 3 {
		if c := status(ct); c != 429 {
			t.Errorf("contacts: %d", c)
		}
		if c := status(wa); c != 503 {
			t.Errorf("whatsapp: %d", c)
		}
	}
	s.ClearFaults()
	if status(ct) != 200 || status(wa) != 200 {
		t.Error("faults survived ClearFaults")
	}

	// A fault in its Skip phase lets the request through untouched, even
	// past later faults.
	s.AddFault(sandbox.Fault{Skip: 1, Status: 500})
	s.AddFault(sandbox.Fault{Times: -1, Status: 503})
	if got := []int{status(ct), status(ct), status(ct)}; !slices.Equal(got, []int{200, 500, 503}) {
		t.Errorf("skip shadowing: %v", got)
	}
	s.ClearFaults()

	// MobileContains: only contacts requests whose list has that number.
	s.AddFault(sandbox.Fault{MobileContains: "+447700900123", Times: -1, Status: 500})
	with := contactsPath(url.Values{"mobile": {"+919812345678, +447700900123"}})
	without := contactsPath(url.Values{"mobile": {"+919812345678"}})
	if status(without) != 200 || status(ct) != 200 || status(wa) != 200 || status(with) != 500 {
		t.Error("mobile_contains matched the wrong requests")
	}
	// Unknown paths are never faulted.
	s.AddFault(sandbox.Fault{Times: -1, Status: 500})
	if c := status("/nowhere"); c != 404 {
		t.Errorf("unknown path: %d", c)
	}
}

func TestFaultRawBodyRetryAfterPad(t *testing.T) {
	s := newServer(t, sandbox.Options{})
	html := "<html><body>502 Bad Gateway</body></html>"
	s.AddFault(sandbox.Fault{Status: 502, RawBody: html, RetryAfter: "7"})
	rec := get(t, s, contactsPath(nil), key)
	if rec.Code != 502 || rec.Body.String() != html || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" || rec.Header().Get("Retry-After") != "7" {
		t.Errorf("raw body: %d %q %v", rec.Code, rec.Body, rec.Header())
	}
	if r := s.Requests()[0]; r.Status != 502 || r.Code != "" {
		t.Errorf("logged %d %q", r.Status, r.Code)
	}

	s.AddFault(sandbox.Fault{RawBody: "not json", ContentType: "text/plain"})
	rec = get(t, s, contactsPath(nil), key)
	if rec.Code != 200 || rec.Body.String() != "not json" || rec.Header().Get("Content-Type") != "text/plain" {
		t.Errorf("raw 200: %d %q %v", rec.Code, rec.Body, rec.Header())
	}

	s.AddFault(sandbox.Fault{Status: 429, RetryAfter: "Wed, 21 Oct 2015 07:28:00 GMT"})
	rec = get(t, s, contactsPath(nil), key)
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "Wed, 21 Oct 2015 07:28:00 GMT" {
		t.Errorf("429: %d %v", rec.Code, rec.Header())
	}

	plain := get(t, s, contactsPath(nil), key).Body.Len()
	s.AddFault(sandbox.Fault{PadTo: 100_000})
	rec = get(t, s, contactsPath(nil), key)
	if rec.Body.Len() != 100_000 || rec.Header().Get("Content-Length") != "100000" {
		t.Errorf("padded to %d (%s)", rec.Body.Len(), rec.Header().Get("Content-Length"))
	}
	if p := decodeContacts(t, rec); len(p.Data) != 100 {
		t.Errorf("padded answer has %d rows", len(p.Data))
	}
	s.AddFault(sandbox.Fault{PadTo: 10})
	if n := get(t, s, contactsPath(nil), key).Body.Len(); n != plain {
		t.Errorf("PadTo below the size changed it: %d, want %d", n, plain)
	}
}

// TestFaultEchoRequest: an echoing fault quotes the request's numbers (as
// written, bare, in the raw query), its path and its api-key in an error
// envelope or a raw body, and the request log still never shows the key.
func TestFaultEchoRequest(t *testing.T) {
	s := startServer(t, sandbox.Options{})
	client := &http.Client{Timeout: 5 * time.Second}
	lookup := contactsPath(url.Values{"mobile": {"+919812345678,+447700900123"}})

	// Kaleyra's envelope naming the numbers it rejects, and the query.
	s.AddFault(sandbox.Fault{
		API: "contacts", Status: 400, Message: "Invalid mobile {mobile}", EchoRequest: true,
		Fields: map[string]string{"mobile": "{mobile_digits} is not a valid number", "request": "{query}", "{mobile}": "rejected"},
	})
	resp, body, err := httpGet(t, client, s.URL()+lookup, key)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"code":"WA400","message":"Invalid mobile +919812345678","data":{},"error":{` +
		`"+919812345678":"rejected","mobile":"919812345678 is not a valid number","request":"mobile=%2B919812345678%2C%2B447700900123"}}`
	if resp.StatusCode != 400 || strings.TrimSpace(string(body)) != want {
		t.Errorf("echoing envelope: %d %s\nwant %s", resp.StatusCode, body, want)
	}

	// A gateway's error page showing the request line and its headers.
	s.AddFault(sandbox.Fault{
		Status: 502, EchoRequest: true,
		RawBody: "<h1>502 Bad Gateway</h1><pre>{method} {path}?{query}\napi-key: {api_key}\nnumbers: {mobiles}</pre>",
	})
	resp, body, err = httpGet(t, client, s.URL()+lookup, key)
	if err != nil {
		t.Fatal(err)
	}
	want = "<h1>502 Bad Gateway</h1><pre>GET /v1/" + sid + "/contacts/blocklisted?mobile=%2B919812345678%2C%2B447700900123\n" +
		"api-key: " + key + "\nnumbers: +919812345678,+447700900123</pre>"
	if resp.StatusCode != 502 || string(body) != want || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("echoing page: %d %q %q\nwant %q", resp.StatusCode, resp.Header.Get("Content-Type"), body, want)
	}

	// On the WhatsApp API the number asked about is the business number.
	s.AddFault(sandbox.Fault{API: "whatsapp", Status: 401, Code: "WA401", Message: "{mobile} / {mobile_digits} / {mobiles} / {query}", EchoRequest: true})
	resp, body, err = httpGet(t, client, s.URL()+waPath("v2", bigNumber, url.Values{"limit": {"5"}}), key)
	if err != nil {
		t.Fatal(err)
	}
	var env struct{ Message string }
	if err := json.Unmarshal(body, &env); err != nil || resp.StatusCode != 401 ||
		env.Message != bigNumber+" / "+strings.TrimPrefix(bigNumber, "+")+" / "+bigNumber+" / limit=5" {
		t.Errorf("whatsapp echo: %d %s (%v)", resp.StatusCode, body, err)
	}

	// Without echo_request, placeholders are text like any other.
	s.AddFault(sandbox.Fault{Status: 500, Message: "{mobile}"})
	if rec := get(t, s, lookup, key); !strings.Contains(rec.Body.String(), `"message":"{mobile}"`) {
		t.Errorf("a fault without echo_request filled its placeholders: %s", rec.Body)
	}

	// The answers held the key; the request log never does.
	if logged, err := json.Marshal(s.Requests()); err != nil || strings.Contains(string(logged), key) {
		t.Errorf("the request log holds the key (%v):\n%s", err, logged)
	}
	status, served := adminDo(t, s, "GET", "/_sandbox/requests", "")
	if status != 200 || strings.Contains(served, key) || !strings.Contains(served, `"api_key_sent":true`) {
		t.Errorf("GET /_sandbox/requests: %d, holds the key: %t\n%s", status, strings.Contains(served, key), served)
	}
}

func TestFaultTruncateAndReset(t *testing.T) {
	s := startServer(t, sandbox.Options{})
	client := &http.Client{Timeout: 5 * time.Second}
	target := s.URL() + waPath("v2", bigNumber, url.Values{"limit": {"1000"}})
	_, full, err := httpGet(t, client, target, key)
	if err != nil {
		t.Fatal(err)
	}

	s.AddFault(sandbox.Fault{Truncate: true})
	resp, body, err := httpGet(t, client, target, key)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncate: err %v, want unexpected EOF", err)
	}
	if resp == nil || resp.StatusCode != 200 || resp.ContentLength != int64(len(full)) || len(body) != len(full)/2 {
		t.Errorf("truncate: resp %v, %d of %d bytes", resp, len(body), len(full))
	}

	s.AddFault(sandbox.Fault{Reset: true})
	resp, body, err = httpGet(t, client, target, key)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("reset: err %v, want connection reset by peer", err)
	}
	if resp != nil && len(body) >= len(full) {
		t.Errorf("reset: the whole body arrived")
	}

	// Truncate applies to error envelopes too, and the server survives.
	s.AddFault(sandbox.Fault{Status: 500, Truncate: true})
	if _, _, err := httpGet(t, client, target, key); err == nil {
		t.Error("truncated 500: no error")
	}
	if resp, _, err := httpGet(t, client, target, key); err != nil || resp.StatusCode != 200 {
		t.Errorf("after the faults: %v %v", resp, err)
	}
	// Recorded with the answer they cut.
	reqs := s.Requests()
	if r := reqs[1]; r.Status != 200 || r.Code != "WA200" {
		t.Errorf("truncate logged %d %q", r.Status, r.Code)
	}
}

func TestFaultDelayAndLatency(t *testing.T) {
	s := startServer(t, sandbox.Options{Latency: 30 * time.Millisecond})
	client := &http.Client{Timeout: 5 * time.Second}
	target := s.URL() + contactsPath(nil)
	start := time.Now()
	if _, _, err := httpGet(t, client, target, key); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("latency: answered in %s", d)
	}
	s.SetLatency(0)
	s.AddFault(sandbox.Fault{Delay: sandbox.Duration(80 * time.Millisecond)})
	start = time.Now()
	resp, _, err := httpGet(t, client, target, key)
	if err != nil || resp.StatusCode != 200 {
		t.Fatal(resp, err)
	}
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Errorf("delay: answered in %s", d)
	}

	// A client that gives up is not kept waiting: the handler returns and
	// the log says no answer was sent.
	answered := make(chan sandbox.Request, 1)
	s2 := startServer(t, sandbox.Options{OnRequest: func(r sandbox.Request) { answered <- r }})
	s2.AddFault(sandbox.Fault{Delay: sandbox.Duration(10 * time.Second)})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s2.URL()+contactsPath(nil), nil)
	req.Header.Set("api-key", key)
	if _, err := client.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled delay: %v", err)
	}
	select {
	case r := <-answered:
		if r.Status != 0 || r.Code != "" || r.APIKey != "" {
			t.Errorf("cancelled request logged %d %q, key %q", r.Status, r.Code, r.APIKey)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the handler kept waiting after the client left")
	}

	// Latency on the bare handler honours cancellation, and Close releases
	// whoever still waits.
	h := newServer(t, sandbox.Options{Latency: time.Hour})
	for _, stop := range []string{"cancel", "close"} {
		ctx, cancel := context.WithCancel(context.Background())
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, contactsPath(nil), nil)
		done := make(chan struct{})
		go func() { h.ServeHTTP(httptest.NewRecorder(), req); close(done) }()
		if stop == "cancel" {
			cancel()
		} else {
			h.Close()
		}
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Fatalf("latency ignored %s", stop)
		}
		cancel()
	}
}

func TestMaxInFlight(t *testing.T) {
	s := startServer(t, sandbox.Options{Latency: 100 * time.Millisecond})
	client := &http.Client{Timeout: 5 * time.Second}
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if _, _, err := httpGet(t, client, s.URL()+contactsPath(nil), key); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := s.MaxInFlight(); n < 2 || n > 6 {
		t.Errorf("MaxInFlight = %d", n)
	}
	// Admin requests are not API requests.
	if _, _, err := httpGet(t, client, s.URL()+"/_sandbox/health", ""); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Requests()); n != 6 {
		t.Errorf("%d logged requests, want 6", n)
	}
	s.ResetRequests()
	if s.MaxInFlight() != 0 || len(s.Requests()) != 0 {
		t.Errorf("after reset: max %d, %d requests", s.MaxInFlight(), len(s.Requests()))
	}
}

func TestFaultRedirect(t *testing.T) {
	s := startServer(t, sandbox.Options{})
	foreign := startServer(t, sandbox.Options{})
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	target := s.URL() + waPath("v2", bigNumber, url.Values{"limit": {"5"}})
	s.AddFault(sandbox.Fault{RedirectTo: foreign.URL() + "/"})
	resp, _, err := httpGet(t, noFollow, target, key)
	if err != nil {
		t.Fatal(err)
	}
	want := foreign.URL() + waPath("v2", bigNumber, url.Values{"limit": {"5"}})
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
		t.Errorf("redirect: %d %q, want %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	if r := s.Requests()[0]; r.Status != 302 || r.Code != "" {
		t.Errorf("logged %d %q", r.Status, r.Code)
	}
	// What a naive client does: Go's http.Client forwards custom headers
	// such as api-key across hosts. The foreign host's log shows it, which
	// is how provider tests prove they refuse the redirect.
	s.AddFault(sandbox.Fault{RedirectTo: foreign.URL(), Status: 307})
	if resp, _, err := httpGet(t, http.DefaultClient, target, key); err != nil || resp.StatusCode != 200 {
		t.Fatal(resp, err)
	}
	if got := foreign.Requests(); len(got) != 1 || got[0].APIKey != key || got[0].Host != strings.TrimPrefix(foreign.URL(), "http://") {
		t.Errorf("foreign host log: %+v", got)
	}
}

func TestFaultCursorLoop(t *testing.T) {
	s := newServer(t, sandbox.Options{PagingNext: true})
	q := url.Values{"limit": {"10"}}
	p1 := decodeWAPage(t, get(t, s, waPath("v2", bigNumber, q), key).Body.Bytes())
	s.AddFault(sandbox.Fault{API: "whatsapp", CursorLoop: true})
	q.Set("after", p1.Paging.Cursors.After)
	p2 := decodeWAPage(t, get(t, s, waPath("v2", bigNumber, q), key).Body.Bytes())
	if p2.Paging.Cursors.After != p1.Paging.Cursors.After {
		t.Errorf("looped after %q, want the earlier %q", p2.Paging.Cursors.After, p1.Paging.Cursors.After)
	}
	if len(p2.Data) != 10 || p2.ids()[0] == p1.ids()[0] {
		t.Errorf("looped page does not hold the real rows")
	}
	if next, _ := url.Parse(*p2.Paging.Next); next.Query().Get("after") != p1.Paging.Cursors.After {
		t.Errorf("paging.next %q does not loop too", *p2.Paging.Next)
	}
	// On a first page the looped cursor points back at its own start.
	s.AddFault(sandbox.Fault{CursorLoop: true})
	first := decodeWAPage(t, get(t, s, waPath("v2", bigNumber, url.Values{"limit": {"10"}}), key).Body.Bytes())
	again := decodeWAPage(t, get(t, s, waPath("v2", bigNumber, url.Values{"after": {first.Paging.Cursors.After}, "limit": {"10"}}), key).Body.Bytes())
	if !slices.Equal(first.ids(), again.ids()) {
		t.Error("first-page loop does not lead back to the first page")
	}
}

func TestFaultDropOffset(t *testing.T) {
	// A gateway that drops offset: every page is the first, with or without
	// a channel or mobile filter; the request log keeps the offset sent.
	s := newServer(t, sandbox.Options{})
	page := func(q url.Values) []string { return decodeContacts(t, get(t, s, contactsPath(q), key)).rows() }
	queries := []url.Values{
		{"limit": {"7"}},
		{"limit": {"7"}, "channel": {"sms"}},
		{"limit": {"1"}, "mobile": {"+919812345678"}},
	}
	for _, q0 := range queries {
		first := page(q0)
		q := url.Values{}
		for k, v := range q0 {
			q[k] = v
		}
		q.Set("offset", strconv.Itoa(len(first)))
		second := page(q)
		if slices.Equal(first, second) {
			t.Fatalf("%v: the second page is the first without the fault", q)
		}
		s.AddFault(sandbox.Fault{API: "contacts", DropOffset: true, Times: 2})
		if got := page(q); !slices.Equal(got, first) {
			t.Errorf("%v with drop_offset: %v, want the first page %v", q, got, first)
		}
		if got := page(q); !slices.Equal(got, first) {
			t.Errorf("%v with drop_offset, again: %v, want the first page %v", q, got, first)
		}
		if got := page(q); !slices.Equal(got, second) {
			t.Errorf("%v after the fault: %v, want the real page %v", q, got, second)
		}
		reqs := s.Requests()
		if last := reqs[len(reqs)-2]; last.Query.Get("offset") != q.Get("offset") || last.Status != http.StatusOK {
			t.Errorf("logged offset %q status %d, want the offset sent, %s, and 200", last.Query.Get("offset"), last.Status, q.Get("offset"))
		}
		s.ClearFaults()
	}
}

func TestFaultBlocklistChanged(t *testing.T) {
	s := newServer(t, sandbox.Options{})
	s.AddFault(sandbox.Fault{API: "whatsapp", Skip: 1, BlocklistChanged: true, AddBlocked: []string{"15550000001", "15550000002"}})
	first := decodeWAPage(t, get(t, s, waPath("v1", v1Number, url.Values{"limit": {"2"}}), key).Body.Bytes())
	rec := get(t, s, waPath("v1", v1Number, url.Values{"limit": {"2"}, "after": {first.Paging.Cursors.After}}), key)
	assertBody(t, rec, 400, body139102)
	ids, _, _ := listAll(t, s, "v1", v1Number, 2)
	checkComplete(t, ids, append(slices.Clone(v1Blocked), "15550000001", "15550000002"))
	if r := s.Requests()[1]; r.Code != sandbox.CodeBlocklistChanged {
		t.Errorf("logged %q", r.Code)
	}
}

func TestFaultValidate(t *testing.T) {
	bad := []sandbox.Fault{
		{API: "sms"},
		{Skip: -1},
		{Times: -2},
		{Status: 99},
		{Status: 600},
		{Code: "NOPE"},
		{PadTo: -1},
		{Delay: -1},
		{RedirectTo: "/relative"},
		{RedirectTo: "ftp://x"},
		{RedirectTo: "http://x/?a=b"},
		{RedirectTo: "http://x", Status: 500},
		{API: "contacts", CursorLoop: true},
		{API: "contacts", BlocklistChanged: true},
		{API: "whatsapp", MobileContains: "+919812345678"},
		{AddBlocked: []string{"15550000001"}},
		{BlocklistChanged: true, AddBlocked: []string{"+15550000001"}},
		{Truncate: true, Reset: true},
		{ContentType: "text/html"},
		{Accepted: true, RawBody: "x"},
		{Accepted: true, Status: 500},
		{CursorLoop: true, BlocklistChanged: true},
		{EchoRequest: true},
		{EchoRequest: true, Status: 400, Message: "no placeholder"},
		{EchoRequest: true, Message: "Invalid mobile {mobile}"},
		{EchoRequest: true, Accepted: true, RawBody: "{query}"},
		{EchoRequest: true, RedirectTo: "http://127.0.0.1:1", Message: "{query}"},
		{EchoRequest: true, API: "whatsapp", BlocklistChanged: true, Message: "{mobile}"},
		{API: "whatsapp", DropOffset: true},
		{DropOffset: true, Status: 500},
		{DropOffset: true, RawBody: "x"},
	}
	for _, f := range bad {
		if err := f.Validate(); err == nil {
			t.Errorf("%+v: no error", f)
		}
	}
	good := []sandbox.Fault{
		{},
		{Times: -1, Status: 503, RetryAfter: "1"},
		{Code: "CNT195"},
		{Status: 418, Code: "X1"},
		{RedirectTo: "http://127.0.0.1:1", Status: 308},
		{API: "whatsapp", BlocklistChanged: true, AddBlocked: []string{"15550000001"}},
		{Status: 500, Truncate: true, PadTo: 4096, Delay: sandbox.Duration(time.Millisecond)},
		{EchoRequest: true, RawBody: "api-key: {api_key}"},
		{EchoRequest: true, Code: "WA400", Fields: map[string]string{"{mobile}": "invalid"}},
		{EchoRequest: true, Status: 400, Message: "Invalid mobile {mobile}", Truncate: true},
		{API: "contacts", DropOffset: true, Times: -1, Delay: sandbox.Duration(time.Millisecond)},
		{DropOffset: true},
	}
	for _, f := range good {
		if err := f.Validate(); err != nil {
			t.Errorf("%+v: %v", f, err)
		}
	}
}

func TestParseFaultsAndDuration(t *testing.T) {
	one, err := sandbox.ParseFaults([]byte(`{"api":"contacts","status":503,"delay":"250ms","retry_after":"2"}`))
	if err != nil || len(one) != 1 || one[0].Delay != sandbox.Duration(250*time.Millisecond) || one[0].Status != 503 {
		t.Fatalf("one: %+v %v", one, err)
	}
	many, err := sandbox.ParseFaults([]byte(` [{"truncate":true},{"delay":1000000,"times":-1}] `))
	if err != nil || len(many) != 2 || many[1].Delay != sandbox.Duration(time.Millisecond) || many[1].Times != -1 {
		t.Fatalf("many: %+v %v", many, err)
	}
	for _, bad := range []string{`{"stauts":500}`, `[{"status":99}]`, `{"delay":"soon"}`, `{"delay":true}`, `{}{}`, ``, `[`} {
		if _, err := sandbox.ParseFaults([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	b, err := json.Marshal(sandbox.Fault{Delay: sandbox.Duration(1500 * time.Millisecond), Status: 500})
	if err != nil || string(b) != `{"status":500,"delay":"1.5s"}` {
		t.Errorf("marshal: %s %v", b, err)
	}
	echo, err := sandbox.ParseFaults([]byte(`{"status":502,"raw_body":"{query}","echo_request":true}`))
	if err != nil || len(echo) != 1 || !echo[0].EchoRequest {
		t.Errorf("echo_request: %+v %v", echo, err)
	}
}

func TestSeedFaults(t *testing.T) {
	seed := testSeed()
	seed.Faults = []sandbox.Fault{{API: "contacts", Status: 500}}
	s, err := sandbox.New(seed, sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	assertBody(t, get(t, s, contactsPath(nil), key), 500, bodyWA500)
	seed.Faults = []sandbox.Fault{{Status: 1}}
	if _, err := sandbox.New(seed, sandbox.Options{}); err == nil {
		t.Error("a bad seed fault was accepted")
	}
}
