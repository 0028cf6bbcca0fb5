package kaleyra

import (
	"net/http"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	for attempt := range 8 {
		base := min(time.Second<<attempt, 30*time.Second)
		for range 50 {
			got := backoff(time.Second, 30*time.Second, attempt, nil)
			if got < base/2 || got > base {
				t.Fatalf("attempt %d: wait %s outside [%s, %s]", attempt, got, base/2, base)
			}
		}
	}
}

// retryAfterAnswer is a 429 whose Retry-After header is v.
func retryAfterAnswer(v string) *http.Response {
	resp := &http.Response{StatusCode: http.StatusTooManyRequests, Header: http.Header{}}
	resp.Header.Set("Retry-After", v)
	return resp
}

func TestBackoff_retryAfterIsJitteredNeverShortened(t *testing.T) {
	// Readers that one 429 burst stopped must not all come back at the same
	// instant: a Retry-After wait gets up to a fifth more (at most the
	// maximum backoff more), never less than asked.
	const samples = 1000
	cases := []struct {
		retryAfter string
		asked      time.Duration
		maxExtra   time.Duration
		slack      time.Duration // an HTTP date is to the second
	}{
		{"3", 3 * time.Second, 600 * time.Millisecond, 0},
		{"120", 2 * time.Minute, 24 * time.Second, 0},
		// An hour away: a fifth would be 12 minutes, more than the 30s
		// maximum backoff.
		{time.Now().Add(time.Hour).UTC().Format(http.TimeFormat), time.Hour - time.Second, 30 * time.Second, time.Second},
	}
	for _, tc := range cases {
		lo, hi := time.Duration(1<<62), time.Duration(0)
		for range samples {
			got := backoff(time.Second, 30*time.Second, 0, retryAfterAnswer(tc.retryAfter))
			lo, hi = min(lo, got), max(hi, got)
		}
		if lo < tc.asked || hi > tc.asked+tc.maxExtra+tc.slack {
			t.Errorf("Retry-After %s: waits in [%s, %s], want within [%s, %s]", tc.retryAfter, lo, hi, tc.asked, tc.asked+tc.maxExtra)
		}
		// 1,000 draws from hundreds of millions of nanoseconds: equal
		// draws throughout would mean no jitter at all.
		if hi-lo < tc.maxExtra/10 {
			t.Errorf("Retry-After %s: waits in [%s, %s], want them spread over up to %s more", tc.retryAfter, lo, hi, tc.maxExtra)
		}
	}

	// The jitter never exceeds the maximum backoff.
	for range samples {
		if got := backoff(time.Millisecond, 10*time.Millisecond, 0, retryAfterAnswer("1")); got < time.Second || got > time.Second+10*time.Millisecond {
			t.Fatalf("Retry-After 1 with a 10ms maximum backoff waited %s, want 1s to 1.01s", got)
		}
	}
}

func TestBackoff_retryAfterZeroOrPastWaitsTheNormalBackoff(t *testing.T) {
	// "Retry-After: 0" or a date already past is no invitation to retry at
	// once: the wait is at least the lower edge of that attempt's normal
	// backoff, min·2ⁿ/2.
	past := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	for _, v := range []string{"0", past} {
		for attempt := range 6 {
			base := min(time.Second<<attempt, 30*time.Second)
			for range 200 {
				got := backoff(time.Second, 30*time.Second, attempt, retryAfterAnswer(v))
				if got < base/2 || got > base {
					t.Fatalf("Retry-After %q, attempt %d: wait %s outside the normal [%s, %s]", v, attempt, got, base/2, base)
				}
			}
		}
	}
	// A Retry-After shorter than the normal wait's lower edge is raised to
	// the normal wait, a longer one kept.
	for range 200 {
		if got := backoff(time.Second, 30*time.Second, 3, retryAfterAnswer("2")); got < 4*time.Second || got > 8*time.Second {
			t.Fatalf("Retry-After 2 on attempt 3 (normal 4s to 8s) waited %s", got)
		}
		if got := backoff(time.Second, 30*time.Second, 1, retryAfterAnswer("5")); got < 5*time.Second || got > 6*time.Second {
			t.Fatalf("Retry-After 5 on attempt 1 (normal 1s to 2s) waited %s, want 5s to 6s", got)
		}
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	resp := &http.Response{Header: http.Header{}}
	resp.Header.Set("Retry-After", time.Now().Add(5*time.Second).UTC().Format(http.TimeFormat))
	d, ok := retryAfter(resp)
	if !ok || d < 3*time.Second || d > 6*time.Second {
		t.Errorf("HTTP-date Retry-After = %s, %v", d, ok)
	}
	resp.Header.Set("Retry-After", "soon")
	if _, ok := retryAfter(resp); ok {
		t.Error("a malformed Retry-After was accepted")
	}
}
