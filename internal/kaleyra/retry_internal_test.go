package kaleyra

import (
	"net/http"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	resp := &http.Response{Header: http.Header{}}
	resp.Header.Set("Retry-After", "3")
	if got := backoff(time.Second, 30*time.Second, 0, resp); got != 3*time.Second {
		t.Errorf("Retry-After 3 gave %s", got)
	}
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
