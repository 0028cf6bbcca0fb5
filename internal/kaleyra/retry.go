package kaleyra

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// retryPolicy retries 429, 5xx (but 501), 202 (accepted, not ready), a
// WA500 or WA202 envelope under any other non-200 status, a JSON body cut
// short under any status, and network errors; never a refused redirect, an
// oversized body, a cancellation, or a Retry-After longer than
// maxRetryAfter (which it records in the request's state for the error).
func retryPolicy(maxRetryAfter time.Duration) retryablehttp.CheckRetry {
	return func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if err != nil {
			var redirect *RedirectError
			var tooLarge *ResponseTooLargeError
			if errors.As(err, &redirect) || errors.As(err, &tooLarge) {
				return false, err
			}
			return retryablehttp.DefaultRetryPolicy(ctx, nil, err)
		}
		retryable := resp.StatusCode == http.StatusTooManyRequests ||
			resp.StatusCode == http.StatusAccepted ||
			(resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented)
		if !retryable && resp.StatusCode != http.StatusOK {
			// Kaleyra's own "try again" codes count whatever the status.
			code := envelopeCode(resp)
			retryable = code == CodeServer || code == CodeAccepted
		}
		if !retryable {
			// A body cut short arrived with a complete HTTP answer; the
			// GET is idempotent, so it is retried like a cut connection.
			return bodyCutShort(resp), nil
		}
		if d, ok := retryAfter(resp); ok && d > maxRetryAfter {
			// Waiting that long would stall the plan; report it instead.
			if st := stateOf(ctx); st != nil {
				st.retryAfterRefused = d
			}
			return false, nil
		}
		return true, nil
	}
}

// backoff is the wait before retry attempt+1: min·2ⁿ capped at max, with
// the upper half jittered so parallel readers do not retry in lock-step. A
// Retry-After is honoured and jittered too: the wait is what it asks for
// plus up to a fifth more (never more than max more), so the readers a 429
// burst stopped together do not come back together. A Retry-After shorter
// than the lower edge of the normal wait (0, or a date in the past) is no
// reason to retry sooner: the normal wait applies.
func backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	wait := maxWait
	if attempt < 30 {
		if w := minWait << attempt; w > 0 && w < maxWait {
			wait = w
		}
	}
	half := wait / 2
	if resp != nil {
		if d, ok := retryAfter(resp); ok && d >= half {
			return d + rand.N(min(d/5, maxWait)+1)
		}
	}
	return half + rand.N(wait-half+1)
}

// retryAfter parses a Retry-After header in seconds or as an HTTP date.
func retryAfter(resp *http.Response) (time.Duration, bool) {
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := time.Until(t)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// exhaustedError carries the last response (or error) and the attempts made
// when the retry policy gives up.
type exhaustedError struct {
	resp     *http.Response
	err      error
	attempts int
}

func (e *exhaustedError) Error() string {
	if e.err != nil {
		return fmt.Sprintf("giving up after %d attempt(s): %v", e.attempts, e.err)
	}
	return fmt.Sprintf("giving up after %d attempt(s)", e.attempts)
}

func (e *exhaustedError) Unwrap() error { return e.err }

func giveUp(resp *http.Response, err error, attempts int) (*http.Response, error) {
	// Keep the last answer so its Kaleyra envelope can be reported; but an
	// answer that comes with an error (a redirect to another host, refused)
	// is reported by the error, not by the redirect's empty body.
	if resp != nil && err != nil {
		_ = resp.Body.Close()
		resp = nil
	}
	return nil, &exhaustedError{resp: resp, err: err, attempts: attempts}
}

// RedirectError is a redirect the client refused because it leads away from
// the configured host: the API key must never reach another host.
type RedirectError struct {
	From, To string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("refused a redirect from %s to %s: the API key is only sent to the configured host", e.From, e.To)
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host) {
		return &RedirectError{From: first.Scheme + "://" + first.Host, To: req.URL.Scheme + "://" + req.URL.Host}
	}
	if len(via) >= 5 {
		return fmt.Errorf("stopped after %d redirects", len(via))
	}
	return nil
}
