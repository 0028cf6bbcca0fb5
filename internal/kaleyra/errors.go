package kaleyra

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
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
// says otherwise.
type APIError struct {
	API        API
	HTTPStatus int
	Code       string
	Message    string
	// Fields is the envelope's `error` object, values as text.
	Fields map[string]string
	// Attempts is how many times the request was sent.
	Attempts int
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
	return b.String()
}

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
	if e.Code != CodeVersionOrAccount {
		return false
	}
	text := strings.ToLower(e.Message + " " + e.FieldsString())
	return strings.Contains(text, "version")
}

// IsBlocklistChanged reports Meta's 139102, in the code or the fields.
func (e *APIError) IsBlocklistChanged() bool {
	if e.Code == CodeBlocklistChanged {
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
	API         API
	HTTPStatus  int
	ContentType string
	// Snippet is the start of the body, made printable.
	Snippet  string
	Attempts int
	Err      error
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

// Snippet returns the first n bytes of b as printable, quoted text.
func Snippet(b []byte, n int) string {
	if len(b) == 0 {
		return ""
	}
	cut := len(b) > n
	if cut {
		b = b[:n]
		// Drop a rune cut in half at the end, and nothing more: invalid
		// bytes before it (a Latin-1 page, a binary body) are shown escaped.
		for i := 1; i < utf8.UTFMax && i <= len(b); i++ {
			if utf8.RuneStart(b[len(b)-i]) {
				if !utf8.FullRune(b[len(b)-i:]) {
					b = b[:len(b)-i]
				}
				break
			}
		}
	}
	s := strconv.Quote(string(b))
	if cut {
		s += "…"
	}
	return s
}
