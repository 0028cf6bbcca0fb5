package kaleyra_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

// statuses returns the HTTP status the sandbox answered each request with.
func statuses(sb *sandbox.Server) []int {
	var out []int
	for _, r := range sb.Requests() {
		out = append(out, r.Status)
	}
	return out
}

// readUsers reads the v2 number's whole list.
func readUsers(ctx context.Context, c *kaleyra.Client) ([]kaleyra.BlockedUser, error) {
	users, _, err := c.WhatsAppBlockedUsers(ctx, kaleyra.WhatsAppListRequest{PhoneNumber: v2Number, PageSize: 100})
	return users, err
}

var fewUsers = []string{"919812345678", "447700900123", "14155550123"}

func TestRetryTransientFailuresThenSuccess(t *testing.T) {
	sb := startSandbox(t, testSeed(fewUsers, nil), sandbox.Options{})
	for _, status := range []int{503, 502, 500} {
		sb.AddFault(sandbox.Fault{API: "whatsapp", Status: status})
	}
	users, err := readUsers(context.Background(), newClient(t, sb.URL(), func(cfg *kaleyra.Config) { cfg.MaxRetries = 4 }))
	if err != nil {
		t.Fatalf("WhatsAppBlockedUsers: %v", err)
	}
	if len(users) != len(fewUsers) {
		t.Fatalf("%d users, want %d", len(users), len(fewUsers))
	}
	// Three failures and the first page, then the empty page.
	if got, want := statuses(sb), []int{503, 502, 500, 200, 200}; !slices.Equal(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	sb := startSandbox(t, testSeed(fewUsers, nil), sandbox.Options{})
	sb.AddFault(sandbox.Fault{API: "whatsapp", Status: 429, RetryAfter: "1"})
	c := newClient(t, sb.URL())

	start := time.Now()
	_, err := c.WhatsAppBlockedUsersPage(context.Background(), kaleyra.WhatsAppPageRequest{PhoneNumber: v2Number})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("WhatsAppBlockedUsersPage: %v", err)
	}
	if elapsed < time.Second || elapsed > 3*time.Second {
		t.Errorf("Retry-After: 1 waited %s; want 1s to 3s", elapsed)
	}
	if got := statuses(sb); !slices.Equal(got, []int{429, 200}) {
		t.Errorf("statuses %v", got)
	}
}

func TestRetryAfterTooLongFailsAtOnce(t *testing.T) {
	sb := startSandbox(t, testSeed(fewUsers, nil), sandbox.Options{})
	sb.AddFault(sandbox.Fault{API: "contacts", Status: 429, RetryAfter: "3", Times: -1})
	c := newClient(t, sb.URL(), func(cfg *kaleyra.Config) { cfg.MaxRetryAfter = 2 * time.Second })

	start := time.Now()
	_, _, err := c.ContactsBlocklisted(context.Background(), kaleyra.ContactsListRequest{})
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("the client waited %s before failing", elapsed)
	}
	got := asAPIError(t, err)
	if got.HTTPStatus != 429 || got.Code != sandbox.CodeTooManyRequests || got.Attempts != 1 {
		t.Errorf("got HTTP %d %s after %d attempts; want 429 %s after 1", got.HTTPStatus, got.Code, got.Attempts, sandbox.CodeTooManyRequests)
	}
	// The error says why it did not wait, for the diagnostic to explain.
	if !got.RetryAfterTooLong() || got.RetryAfter != 3*time.Second || got.MaxRetryAfter != 2*time.Second {
		t.Errorf("RetryAfter %s, MaxRetryAfter %s; want 3s, longer than 2s", got.RetryAfter, got.MaxRetryAfter)
	}
	if !strings.Contains(err.Error(), "asked to wait 3s (Retry-After), longer than the client waits (2s)") {
		t.Errorf("error %q does not say why it did not wait", err)
	}
	if n := len(sb.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestRetryAfterWithinTheLimitIsNoRefusal(t *testing.T) {
	// Retries that run out under a short Retry-After: the wait is reported,
	// but not as refused.
	sb := startSandbox(t, testSeed(fewUsers, nil), sandbox.Options{})
	sb.AddFault(sandbox.Fault{API: "whatsapp", Status: 429, RetryAfter: "0", Times: -1})
	_, err := readUsers(context.Background(), newClient(t, sb.URL()))
	got := asAPIError(t, err)
	if got.RetryAfterTooLong() || got.MaxRetryAfter != 0 || got.Attempts != testMaxRetries+1 {
		t.Errorf("MaxRetryAfter %s after %d attempts; want none after %d", got.MaxRetryAfter, got.Attempts, testMaxRetries+1)
	}
}

func TestRetryAcceptedThenSuccess(t *testing.T) {
	sb := startSandbox(t, testSeed(nil, blocklistEntries(5)), sandbox.Options{})
	sb.AddFault(sandbox.Fault{API: "contacts", Accepted: true})
	rows, _, err := newClient(t, sb.URL()).ContactsBlocklisted(context.Background(), kaleyra.ContactsListRequest{})
	if err != nil {
		t.Fatalf("ContactsBlocklisted: %v", err)
	}
	if want := expectedContacts(blocklistEntries(5), nil, ""); !slices.Equal(rows, want) {
		t.Fatalf("got %d rows, want %d", len(rows), len(want))
	}
	if got := statuses(sb); !slices.Equal(got, []int{202, 200}) {
		t.Errorf("statuses %v, want [202 200]", got)
	}
}

func TestRetriesExhaustedNamesStatusCodeAndAttempts(t *testing.T) {
	sb := startSandbox(t, testSeed(fewUsers, nil), sandbox.Options{})
	sb.AddFault(sandbox.Fault{API: "whatsapp", Status: 503, Times: -1})
	_, err := readUsers(context.Background(), newClient(t, sb.URL(), func(cfg *kaleyra.Config) { cfg.MaxRetries = 3 }))
	if err == nil {
		t.Fatal("no error")
	}
	for _, part := range []string{"HTTP 503", "WA500", "after 4 attempts"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not contain %q", err, part)
		}
	}
	if n := len(sb.Requests()); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
}

func TestFailureAfterARetryCountsEveryAttempt(t *testing.T) {
	// A 503, then a failure that is not retried: the error says both
	// requests were made.
	sb := startSandbox(t, testSeed(nil, nil), sandbox.Options{})
	sb.AddFault(sandbox.Fault{API: "contacts", Status: 503})
	sb.AddFault(sandbox.Fault{API: "contacts", Code: kaleyra.CodeLowBalance})
	_, _, err := newClient(t, sb.URL()).ContactsBlocklisted(context.Background(), kaleyra.ContactsListRequest{})
	got := asAPIError(t, err)
	if got.Code != kaleyra.CodeLowBalance || got.HTTPStatus != 400 || got.Attempts != 2 {
		t.Errorf("got HTTP %d %s after %d attempts; want 400 E110 after 2", got.HTTPStatus, got.Code, got.Attempts)
	}
	if !strings.Contains(err.Error(), "after 2 attempts") {
		t.Errorf("error %q does not name the attempts", err)
	}
}

func TestRetriesDisabled(t *testing.T) {
	sb := startSandbox(t, testSeed(fewUsers, nil), sandbox.Options{})
	sb.AddFault(sandbox.Fault{API: "whatsapp", Status: 500, Times: -1})
	_, err := readUsers(context.Background(), newClient(t, sb.URL(), func(cfg *kaleyra.Config) { cfg.MaxRetries = 0 }))
	if got := asAPIError(t, err); got.Attempts != 1 || len(sb.Requests()) != 1 {
		t.Errorf("%d attempts, %d requests; want 1 and 1", got.Attempts, len(sb.Requests()))
	}
}

func TestNotImplementedIsNotRetried(t *testing.T) {
	sb := startSandbox(t, testSeed(fewUsers, nil), sandbox.Options{})
	sb.AddFault(sandbox.Fault{API: "whatsapp", Status: 501, Code: "WA501", Message: "Not implemented", Times: -1})
	_, err := readUsers(context.Background(), newClient(t, sb.URL()))
	if got := asAPIError(t, err); got.HTTPStatus != 501 || got.Attempts != 1 {
		t.Errorf("got HTTP %d after %d attempts; want 501 after 1", got.HTTPStatus, got.Attempts)
	}
	if n := len(sb.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// Kaleyra's WA500 and WA202 codes are retried whatever HTTP status carries
// them (SPEC: 429, 5xx, WA500 and 202/WA202 are retried).
func TestKaleyraRetryCodesAreRetriedUnderAnyStatus(t *testing.T) {
	for _, f := range []sandbox.Fault{
		{API: "whatsapp", Status: 501, Code: "WA500", Times: 2},
		{API: "whatsapp", Status: 400, Code: "WA500", Times: 2},
		{API: "whatsapp", Status: 409, Code: "WA202", Message: "Request Accepted", Times: 2},
	} {
		sb := startSandbox(t, testSeed(fewUsers, nil), sandbox.Options{})
		sb.AddFault(f)
		users, err := readUsers(context.Background(), newClient(t, sb.URL()))
		if err != nil || len(users) != len(fewUsers) {
			t.Errorf("HTTP %d %s twice: %d users, %v; want the list after retries", f.Status, f.Code, len(users), err)
		}
	}
}

func TestCutOffBodiesAreRetried(t *testing.T) {
	cases := map[string]sandbox.Fault{
		"truncate": {API: "whatsapp", Truncate: true},
		"reset":    {API: "whatsapp", Reset: true},
	}
	for name, fault := range cases {
		t.Run(name+" once", func(t *testing.T) {
			sb := startSandbox(t, testSeed(fewUsers, nil), sandbox.Options{})
			sb.AddFault(fault)
			users, err := readUsers(context.Background(), newClient(t, sb.URL()))
			if err != nil || len(users) != len(fewUsers) {
				t.Fatalf("%d users, error %v; want %d users", len(users), err, len(fewUsers))
			}
			// The cut-off page again, then the empty page.
			if n := len(sb.Requests()); n != 3 {
				t.Errorf("%d requests, want 3", n)
			}
		})
		t.Run(name+" always", func(t *testing.T) {
			sb := startSandbox(t, testSeed(fewUsers, nil), sandbox.Options{})
			fault.Times = -1
			sb.AddFault(fault)
			users, err := readUsers(context.Background(), newClient(t, sb.URL()))
			if err == nil || users != nil {
				t.Fatalf("%d users, error %v; want an error and no users", len(users), err)
			}
			if !strings.Contains(err.Error(), "after 3 attempts") {
				t.Errorf("error %q does not name the attempts", err)
			}
			if name == "truncate" && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("error %q does not say the body ended early", err)
			}
			if n := len(sb.Requests()); n != testMaxRetries+1 {
				t.Errorf("%d requests, want %d", n, testMaxRetries+1)
			}
		})
	}
}

// cutPage is a WhatsApp page cut off after 120 bytes: a complete HTTP
// answer whose JSON ends early.
const cutPage = `{"code":"WA200","message":"Request Processed Successfully","data":[{"messaging_product":"whatsapp","wa_id":"91981`

func TestCutJSONBodiesAreRetried(t *testing.T) {
	cut := sandbox.Fault{API: "whatsapp", RawBody: cutPage, ContentType: "application/json"}

	t.Run("once", func(t *testing.T) {
		sb := startSandbox(t, testSeed(fewUsers, nil), sandbox.Options{})
		sb.AddFault(cut)
		users, err := readUsers(context.Background(), newClient(t, sb.URL()))
		if err != nil || len(users) != len(fewUsers) {
			t.Fatalf("%d users, error %v; want %d users", len(users), err, len(fewUsers))
		}
		// The cut page again, then the empty page.
		if n := len(sb.Requests()); n != 3 {
			t.Errorf("%d requests, want 3", n)
		}
	})

	t.Run("always", func(t *testing.T) {
		sb := startSandbox(t, testSeed(fewUsers, nil), sandbox.Options{})
		always := cut
		always.Times = -1
		sb.AddFault(always)
		_, err := readUsers(context.Background(), newClient(t, sb.URL()))
		var unexpected *kaleyra.UnexpectedResponseError
		if !errors.As(err, &unexpected) {
			t.Fatalf("error %v (%T), want a *kaleyra.UnexpectedResponseError", err, err)
		}
		if unexpected.HTTPStatus != 200 || unexpected.Attempts != testMaxRetries+1 || !unexpected.CutShort {
			t.Errorf("HTTP %d after %d attempts, cut short %t; want 200 after %d, cut short", unexpected.HTTPStatus, unexpected.Attempts, unexpected.CutShort, testMaxRetries+1)
		}
		if !strings.HasPrefix(unexpected.Snippet, `"{\"code\":\"WA200\"`) {
			t.Errorf("snippet %s", unexpected.Snippet)
		}
		if n := len(sb.Requests()); n != testMaxRetries+1 {
			t.Errorf("%d requests, want %d", n, testMaxRetries+1)
		}
	})

	t.Run("whole JSON that is not the envelope is not retried", func(t *testing.T) {
		sb := startSandbox(t, testSeed(fewUsers, nil), sandbox.Options{})
		sb.AddFault(sandbox.Fault{API: "whatsapp", RawBody: `{"status":"ok"} trailing`, ContentType: "application/json", Times: -1})
		_, err := readUsers(context.Background(), newClient(t, sb.URL()))
		var unexpected *kaleyra.UnexpectedResponseError
		if !errors.As(err, &unexpected) || unexpected.CutShort || unexpected.Attempts != 1 {
			t.Fatalf("error %v; want an unexpected body, not cut short, after 1 attempt", err)
		}
	})
}

func TestResponseSizeCap(t *testing.T) {
	const limit = 4096
	capped := func(cfg *kaleyra.Config) { cfg.MaxResponseBytes = limit }

	t.Run("over the cap", func(t *testing.T) {
		sb := startSandbox(t, testSeed(fewUsers, nil), sandbox.Options{})
		sb.AddFault(sandbox.Fault{API: "whatsapp", PadTo: limit + 1, Times: -1})
		_, err := readUsers(context.Background(), newClient(t, sb.URL(), capped))
		var tooLarge *kaleyra.ResponseTooLargeError
		if !errors.As(err, &tooLarge) || tooLarge.Limit != limit {
			t.Fatalf("error %v (%T), want a *kaleyra.ResponseTooLargeError with limit %d", err, err, limit)
		}
		if n := len(sb.Requests()); n != 1 {
			t.Errorf("%d requests: an oversized body was retried", n)
		}
	})

	t.Run("at the cap", func(t *testing.T) {
		sb := startSandbox(t, testSeed(fewUsers, nil), sandbox.Options{})
		sb.AddFault(sandbox.Fault{API: "whatsapp", PadTo: limit, Times: -1})
		users, err := readUsers(context.Background(), newClient(t, sb.URL(), capped))
		if err != nil || len(users) != len(fewUsers) {
			t.Fatalf("%d users, error %v", len(users), err)
		}
	})
}

func TestRequestTimeout(t *testing.T) {
	sb := startSandbox(t, testSeed(fewUsers, nil), sandbox.Options{})
	sb.AddFault(sandbox.Fault{API: "whatsapp", Delay: sandbox.Duration(5 * time.Second), Times: -1})
	c := newClient(t, sb.URL(), func(cfg *kaleyra.Config) { cfg.RequestTimeout = 100 * time.Millisecond })

	start := time.Now()
	_, err := readUsers(context.Background(), c)
	elapsed := time.Since(start)
	var netErr net.Error
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Fatalf("error %v (%T), want a timeout", err, err)
	}
	var timeout *kaleyra.RequestTimeoutError
	if !errors.As(err, &timeout) || timeout.Limit != 100*time.Millisecond || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v (%T), want a *kaleyra.RequestTimeoutError of 100ms that is a context.DeadlineExceeded", err, err)
	}
	if !strings.Contains(err.Error(), "after 3 attempts: no complete answer within the request timeout (100ms)") {
		t.Errorf("error %q does not name the attempts and the timeout", err)
	}
	if strings.Contains(err.Error(), "cancelled") {
		t.Errorf("error %q says cancelled: the read's context never ended", err)
	}
	if n := len(sb.Requests()); n != testMaxRetries+1 {
		t.Errorf("%d requests, want %d", n, testMaxRetries+1)
	}
	if elapsed > 3*time.Second {
		t.Errorf("three 100ms attempts took %s", elapsed)
	}
}

func TestRequestTimeout_countsFromTheRequestSlot(t *testing.T) {
	// One request in flight at a time, 200ms per answer, a 500ms request
	// timeout, no retries, four pages asked at once: the last waits 600ms
	// for its turn. Only the time in flight counts, so all four succeed,
	// with one request each.
	sb := startSandbox(t, testSeed(nil, blocklistEntries(3)), sandbox.Options{Latency: 200 * time.Millisecond})
	c := newClient(t, sb.URL(), func(cfg *kaleyra.Config) {
		cfg.MaxParallel = 1
		cfg.RequestTimeout = 500 * time.Millisecond
		cfg.MaxRetries = 0
	})
	errs := make(chan error, 4)
	for i := range 4 {
		go func() {
			_, err := c.ContactsBlocklistedPage(context.Background(), kaleyra.ContactsPageRequest{Mobiles: []string{mobile(i)}})
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("a page waiting for its turn failed: %v", err)
		}
	}
	if n := len(sb.Requests()); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
	if _, _, peak := c.InFlight(); peak != 1 {
		t.Errorf("%d requests in flight at most, want 1", peak)
	}
}

func TestRequestTimeout_coversTheBody(t *testing.T) {
	// The headers come at once, the body never ends: the request timeout
	// bounds the attempt until the body has arrived.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "1000")
		_, _ = io.WriteString(w, `{"code":"CNT196","data":[`)
		http.NewResponseController(w).Flush() //nolint:errcheck
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, func(cfg *kaleyra.Config) {
		cfg.RequestTimeout = 200 * time.Millisecond
		cfg.MaxRetries = 0
	})
	start := time.Now()
	_, err := c.ContactsBlocklistedPage(context.Background(), kaleyra.ContactsPageRequest{})
	var timeout *kaleyra.RequestTimeoutError
	if !errors.As(err, &timeout) {
		t.Fatalf("error %v (%T), want a *kaleyra.RequestTimeoutError", err, err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("the stalled body was waited for %s", elapsed)
	}
}

func TestRedirects(t *testing.T) {
	t.Run("to another host is refused", func(t *testing.T) {
		sb := startSandbox(t, testSeed(fewUsers, nil), sandbox.Options{})
		// The other host knows the account too: following would succeed.
		other := startSandbox(t, testSeed(fewUsers, nil), sandbox.Options{})
		sb.AddFault(sandbox.Fault{RedirectTo: other.URL(), Times: -1})
		_, err := readUsers(context.Background(), newClient(t, sb.URL()))
		var redirect *kaleyra.RedirectError
		if !errors.As(err, &redirect) {
			t.Fatalf("error %v (%T), want a *kaleyra.RedirectError", err, err)
		}
		if redirect.From != sb.URL() || redirect.To != other.URL() {
			t.Errorf("RedirectError{From: %s, To: %s}; want %s → %s", redirect.From, redirect.To, sb.URL(), other.URL())
		}
		if n := len(other.Requests()); n != 0 {
			t.Errorf("the other host received %d requests", n)
		}
		if n := len(sb.Requests()); n != 1 {
			t.Errorf("%d requests: a refused redirect was retried", n)
		}
	})

	t.Run("to the same server by another name is refused", func(t *testing.T) {
		sb := startSandbox(t, testSeed(fewUsers, nil), sandbox.Options{})
		alias := strings.Replace(sb.URL(), "127.0.0.1", "localhost", 1)
		sb.AddFault(sandbox.Fault{RedirectTo: alias})
		_, err := readUsers(context.Background(), newClient(t, sb.URL()))
		var redirect *kaleyra.RedirectError
		if !errors.As(err, &redirect) {
			t.Fatalf("error %v (%T), want a *kaleyra.RedirectError", err, err)
		}
		if n := len(sb.Requests()); n != 1 {
			t.Errorf("%d requests, want only the redirected one", n)
		}
	})

	t.Run("on the same host is followed", func(t *testing.T) {
		sb := startSandbox(t, testSeed(fewUsers, nil), sandbox.Options{})
		sb.AddFault(sandbox.Fault{RedirectTo: sb.URL(), Status: 307})
		users, err := readUsers(context.Background(), newClient(t, sb.URL()))
		if err != nil || len(users) != len(fewUsers) {
			t.Fatalf("%d users, error %v", len(users), err)
		}
		reqs := sb.Requests()
		if got := statuses(sb); !slices.Equal(got, []int{307, 200, 200}) {
			t.Fatalf("statuses %v, want [307 200 200]", got)
		}
		if reqs[1].APIKey != testAPIKey || reqs[1].RawQuery != reqs[0].RawQuery {
			t.Errorf("the followed request lost its key or query: %q", reqs[1].RawQuery)
		}
	})
}

func TestCancellationIsPrompt(t *testing.T) {
	cases := map[string]struct {
		opts  sandbox.Options
		fault *sandbox.Fault
		// ready reports when the client is waiting where the test wants it.
		ready func(sb *sandbox.Server) bool
	}{
		"during latency": {
			opts:  sandbox.Options{Latency: 10 * time.Second},
			ready: func(sb *sandbox.Server) bool { return len(sb.Requests()) == 1 },
		},
		"during a backoff wait": {
			fault: &sandbox.Fault{Status: 503, RetryAfter: "30", Times: -1},
			ready: func(sb *sandbox.Server) bool {
				reqs := sb.Requests()
				return len(reqs) == 1 && reqs[0].Status == 503
			},
		},
	}
	calls := map[string]call{"WhatsApp": whatsappList(v2Number), "Contacts": contactsList()}
	for name, tc := range cases {
		for api, call := range calls {
			t.Run(api+" "+name, func(t *testing.T) {
				t.Parallel()
				sb := startSandbox(t, testSeed(fewUsers, blocklistEntries(3)), tc.opts)
				if tc.fault != nil {
					sb.AddFault(*tc.fault)
				}
				c := newClient(t, sb.URL(), func(cfg *kaleyra.Config) { cfg.MaxRetryAfter = time.Minute })
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				done := make(chan error, 1)
				go func() { done <- call(ctx, c) }()

				deadline := time.Now().Add(10 * time.Second)
				for !tc.ready(sb) {
					if time.Now().After(deadline) {
						t.Fatal("the client never reached the wait")
					}
					time.Sleep(5 * time.Millisecond)
				}
				time.Sleep(50 * time.Millisecond) // let the client settle into the wait
				cancelled := time.Now()
				cancel()
				select {
				case err := <-done:
					if elapsed := time.Since(cancelled); elapsed > time.Second {
						t.Errorf("returned %s after the cancellation", elapsed)
					}
					if !errors.Is(err, context.Canceled) {
						t.Errorf("error %v does not wrap context.Canceled", err)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("still waiting 5s after the cancellation")
				}
				if n := len(sb.Requests()); n != 1 {
					t.Errorf("%d requests, want 1", n)
				}
			})
		}
	}
}
