package kaleyra

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Kaleyra response codes the client and provider act on.
const (
	CodeWhatsAppOK       = "WA200"  // WhatsApp success
	CodeContactsOK       = "CNT196" // contacts success
	CodeAccepted         = "WA202"  // accepted, not ready: retried
	CodeAuth             = "RBC001" // wrong SID or API key
	CodeNumber           = "WA401"  // business number unknown or not active
	CodeVersionOrAccount = "WA-401" // wrong WhatsApp API version, or API not on the account
	CodeBadRequest       = "WA400"  // the request was rejected
	CodeLowBalance       = "E110"   // low balance
	CodeServer           = "WA500"  // server error: retried
	CodeContactsFailed   = "CNT195" // unable to fetch the blocklist
	// CodeBlocklistChanged is Meta's error 139102, passed through when the
	// blocklist changed while it was being paged.
	CodeBlocklistChanged = "139102"
)

// snippetBytes is how much of an unexpected body an error shows.
const snippetBytes = 200

// APIError is a Kaleyra error envelope, or a success status whose envelope
// says otherwise. The client fills Code, Message and Fields redacted (see
// Redactor): no API key and no long run of digits, so a queried number
// never shows.
type APIError struct {
	API        API
	HTTPStatus int
	Code       string
	Message    string
	// Fields is the envelope's `error` object, values as text.
	Fields map[string]string
	// Attempts is how many times the request was sent.
	Attempts int
	// RetryAfter is the wait the answer's Retry-After header asked for, 0
	// without one.
	RetryAfter time.Duration
	// MaxRetryAfter is set when the client did not retry because RetryAfter
	// was longer than it waits (Config.MaxRetryAfter); 0 otherwise.
	MaxRetryAfter time.Duration

	// versionMismatch and blocklistChanged are IsVersionMismatch and
	// IsBlocklistChanged as decided on the answer's raw code, message and
	// fields, before they were redacted: the decisions never depend on
	// what redaction changed. An APIError built by hand has neither, and
	// is judged on its fields.
	versionMismatch, blocklistChanged bool
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Kaleyra %s API answered HTTP %d", e.API, e.HTTPStatus)
	if e.Code != "" {
		fmt.Fprintf(&b, " with code %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if f := e.FieldsString(); f != "" {
		fmt.Fprintf(&b, " (%s)", f)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.RetryAfterTooLong() {
		fmt.Fprintf(&b, "; it asked to wait %s (Retry-After), longer than the client waits (%s)", e.RetryAfter, e.MaxRetryAfter)
	}
	return b.String()
}

// RetryAfterTooLong reports an answer the client did not retry because its
// Retry-After asked for a longer wait than the client makes.
func (e *APIError) RetryAfterTooLong() bool { return e.MaxRetryAfter > 0 }

// FieldsString renders the `error` fields as "key: value; key: value",
// sorted by key.
func (e *APIError) FieldsString() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+e.Fields[k])
	}
	return strings.Join(parts, "; ")
}

// IsVersionMismatch reports a WA-401 saying the business number belongs to
// the other WhatsApp API version.
func (e *APIError) IsVersionMismatch() bool {
	if e.versionMismatch {
		return true
	}
	if e.Code != CodeVersionOrAccount {
		return false
	}
	text := strings.ToLower(e.Message + " " + e.FieldsString())
	return strings.Contains(text, "version")
}

// IsBlocklistChanged reports Meta's 139102, in the code or the fields.
func (e *APIError) IsBlocklistChanged() bool {
	if e.blocklistChanged || e.Code == CodeBlocklistChanged {
		return true
	}
	for _, v := range e.Fields {
		if v == CodeBlocklistChanged {
			return true
		}
	}
	return false
}

// UnexpectedResponseError is an answer that is not Kaleyra's JSON envelope:
// an HTML page from a gateway, a truncated body, an empty body.
type UnexpectedResponseError struct {
	API        API
	HTTPStatus int
	// ContentType is the answer's Content-Type, redacted (see Redactor).
	ContentType string
	// Snippet is the start of the body, redacted and made printable (see
	// Redactor.Snippet).
	Snippet string
	// CutShort tells that the body starts as JSON but ends before the JSON
	// does: the answer was cut short on its way (and retried as such).
	CutShort bool
	Attempts int
	// Err is why the body is not the envelope, its text redacted.
	Err error
}

func (e *UnexpectedResponseError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Kaleyra %s API answered HTTP %d with a body that is not a Kaleyra JSON envelope", e.API, e.HTTPStatus)
	if e.ContentType != "" {
		fmt.Fprintf(&b, " (Content-Type %s)", e.ContentType)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.Snippet == "" {
		b.WriteString("; the body is empty")
	} else {
		fmt.Fprintf(&b, "; it starts with: %s", e.Snippet)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, " [%v]", e.Err)
	}
	return b.String()
}

func (e *UnexpectedResponseError) Unwrap() error { return e.Err }

// RequestError is a request that got no usable answer: a network error, a
// timeout, a refused redirect, a body over the size cap or cut off mid-way.
type RequestError struct {
	API    API
	Method string
	// URL is the request's scheme, host and path, never its query: a
	// lookup's query holds the numbers looked up, which are personal data.
	URL      string
	Attempts int
	// Err is the cause, without net/http's "Get <url>:" prefix, its text
	// redacted: net/http quotes the bytes of a malformed answer, and a
	// redirect's Location, in its errors.
	Err error
}

func (e *RequestError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "kaleyra: %s request %s %s failed", e.API, e.Method, e.URL)
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *RequestError) Unwrap() error { return e.Err }

// RequestTimeoutError is an attempt that had no complete answer within the
// client's request timeout (Config.RequestTimeout), counted from the moment
// it held its place among the requests in flight: the wait for that place
// does not count. It is a timeout as net.Error says, and is retried like a
// network error.
type RequestTimeoutError struct {
	Limit time.Duration
	// Err is what the transport saw when the deadline passed.
	Err error
}

func (e *RequestTimeoutError) Error() string {
	return fmt.Sprintf("no complete answer within the request timeout (%s)", e.Limit)
}

// Unwrap makes the error a context.DeadlineExceeded, as net/http's own
// timeouts are.
func (e *RequestTimeoutError) Unwrap() []error { return []error{context.DeadlineExceeded, e.Err} }

// Timeout reports true: see net.Error.
func (e *RequestTimeoutError) Timeout() bool { return true }

// Temporary reports true: see net.Error.
func (e *RequestTimeoutError) Temporary() bool { return true }

// plural is "1 number", "2 numbers": n and the noun, in the right number.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
