package kaleyra

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// transport sits under the retrying client. Per attempt it takes a place
// from the client's in-flight limiter (and tells it how the answer went, so
// a 429 lowers the limit), bounds the attempt by the request timeout from
// then on, reads the whole body up to a cap (so a body cut off mid-way is a
// network error the retry policy sees), and logs method, path, status and
// duration; never headers, query or body. An error's text is logged
// redacted (net/http quotes the bytes of a malformed answer), but returned
// as it is: the retry policy inspects its type.
type transport struct {
	base     http.RoundTripper
	limit    *limiter
	timeout  time.Duration
	maxBytes int64
	log      Logger
	redact   *Redactor
}

// errAttemptTimedOut is the cause of an attempt's context when its request
// timeout passed: it tells that deadline from the read's own.
var errAttemptTimedOut = errors.New("the request timeout passed")

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	epoch, err := t.limit.acquire(ctx)
	if err != nil {
		return nil, err
	}
	result := outcomeOther
	defer func() { t.limit.release(ctx, epoch, result) }()

	// The request timeout bounds this attempt from the moment it holds its
	// place: the round trip and the body. The wait for the place is bounded
	// by the caller's context only (the read's timeout), so requests queued
	// behind max_parallel_requests do not time out before they are sent.
	attemptCtx, cancel := context.WithTimeoutCause(ctx, t.timeout, errAttemptTimedOut)
	defer cancel()
	timedOut := func(err error) error {
		if errors.Is(context.Cause(attemptCtx), errAttemptTimedOut) {
			return &RequestTimeoutError{Limit: t.timeout, Err: err}
		}
		return err
	}

	start := time.Now()
	resp, err := t.base.RoundTrip(req.WithContext(attemptCtx))
	if err != nil {
		err = timedOut(err)
		t.log.Debug(ctx, "Kaleyra request failed", map[string]any{
			"method": req.Method, "path": req.URL.Path, "duration_ms": msSince(start), "error": t.redact.String(err.Error()),
		})
		return nil, err
	}
	body, err := readCapped(resp.Body, t.maxBytes)
	_ = resp.Body.Close()
	resp.Request = req
	if err != nil {
		err = timedOut(err)
		t.log.Debug(ctx, "Kaleyra response unreadable", map[string]any{
			"method": req.Method, "path": req.URL.Path, "status": resp.StatusCode,
			"duration_ms": msSince(start), "error": t.redact.String(err.Error()),
		})
		var tooLarge *ResponseTooLargeError
		var timeout *RequestTimeoutError
		if !errors.As(err, &tooLarge) && !errors.As(err, &timeout) {
			// A body cut off mid-way: say what had arrived.
			err = fmt.Errorf("%w (HTTP %d; %d bytes arrived%s)", err, resp.StatusCode, len(body), t.startsWith(body))
		}
		return nil, err
	}
	t.log.Debug(ctx, "Kaleyra request", map[string]any{
		"method": req.Method, "path": req.URL.Path, "status": resp.StatusCode,
		"duration_ms": msSince(start), "bytes": len(body),
	})
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		result = outcomeRateLimited
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		result = outcomeSuccess
	}
	resp.Body = &bufferedBody{Reader: bytes.NewReader(body), data: body}
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Encoding")
	return resp, nil
}

// bufferedBody is a response body the transport has read whole: readers
// of it (the retry policy's checks, the decoder) take its bytes without
// copying them again.
type bufferedBody struct {
	*bytes.Reader
	data []byte
}

func (*bufferedBody) Close() error { return nil }

// bodyBytes returns a response's whole body: a bufferedBody's bytes as
// they are, any other body read (and put back for the next reader).
func bodyBytes(resp *http.Response) ([]byte, error) {
	if b, ok := resp.Body.(*bufferedBody); ok {
		return b.data, nil
	}
	data, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = &bufferedBody{Reader: bytes.NewReader(data), data: data}
	return data, err
}

func msSince(t time.Time) int64 { return time.Since(t).Milliseconds() }

// ResponseTooLargeError is a response body over the client's size cap.
type ResponseTooLargeError struct {
	Limit int64
}

func (e *ResponseTooLargeError) Error() string {
	return fmt.Sprintf("the response body is larger than the %d-byte cap", e.Limit)
}

// readCapped reads r up to limit bytes; on a read error it returns what
// arrived before it.
func readCapped(r io.Reader, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return body, fmt.Errorf("reading the response body: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, &ResponseTooLargeError{Limit: limit}
	}
	return body, nil
}

// startsWith is the excerpt of a body that arrived in part, redacted
// before it is cut: the cut is where the connection broke, so no piece of
// a key or number at the end shows either.
func (t *transport) startsWith(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	return ", starting with " + t.redact.Snippet(body, snippetBytes)
}
