package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Fault changes how the sandbox answers matching API requests. Faults are
// consulted in the order added; the first that matches a request applies and
// its counter advances. A fault still in its Skip phase also counts as the
// match: the request goes through untouched and later faults are not
// consulted. A fault whose Times are used up no longer matches.
//
// What happens, in order: Delay; then RedirectTo, or RawBody, or Accepted, or
// BlocklistChanged, or an error envelope (Status and/or Code), or else the
// real answer (with CursorLoop, or DropOffset); then RetryAfter, PadTo, and
// Truncate or Reset apply to whatever answer was built.
//
// DropOffset plays a proxy or gateway that drops the contacts API's offset
// parameter: the real answer is built as if the request had none, so every
// page is the first. A client that pages by offset and never checks what
// comes back reads the first page forever.
//
// EchoRequest makes the answer quote the request, as an API that names the
// value it rejects or a gateway's error page that shows the request do: in
// Message, in Fields (keys and values) and in RawBody, these placeholders
// are replaced by what the request carried:
//
//	{method}         the method, "GET"
//	{path}           the path as sent (escaped: "%2B9194…" stays so)
//	{query}          the query as sent: "limit=100&mobile=%2B9198…%2C%2B9198…"
//	{mobile}         the first number asked about, as written: a contacts
//	                 request's first `mobile`, a WhatsApp request's business
//	                 number ("+9198…"); "" if none
//	{mobile_digits}  {mobile} without its '+' ("9198…")
//	{mobiles}        every number of a contacts request's `mobile`, as
//	                 written, comma-separated; a WhatsApp request's business
//	                 number
//	{api_key}        the api-key header as received
//
// An echo goes into the answer only: the request log never shows the key.
type Fault struct {
	// Which requests: all must match.
	API            string `json:"api,omitempty"`             // "whatsapp" | "contacts" | "" (any)
	MobileContains string `json:"mobile_contains,omitempty"` // contacts requests whose mobile list contains this number
	Skip           int    `json:"skip,omitempty"`            // let the first Skip matching requests through untouched
	Times          int    `json:"times,omitempty"`           // how many it affects after Skip: 0 means 1, -1 means every one

	// What happens.
	Status           int               `json:"status,omitempty"`            // error envelope with this HTTP status ...
	Code             string            `json:"code,omitempty"`              // ... this Kaleyra code (default by status: 500→WA500, 400→WA400, 401→RBC001, 404→WA404, 429→WA429, other 5xx→WA500)
	Message          string            `json:"message,omitempty"`           // ... message (default: the documented one for the code)
	Fields           map[string]string `json:"fields,omitempty"`            // ... and error object (default: documented)
	RetryAfter       string            `json:"retry_after,omitempty"`       // Retry-After header value
	RawBody          string            `json:"raw_body,omitempty"`          // send this body verbatim (status: Status, default 200) ...
	ContentType      string            `json:"content_type,omitempty"`      // ... with this Content-Type (default text/html; charset=utf-8)
	Accepted         bool              `json:"accepted,omitempty"`          // 202 with the documented WA202 envelope
	Truncate         bool              `json:"truncate,omitempty"`          // Content-Length announced, half the body sent, connection closed
	Reset            bool              `json:"reset,omitempty"`             // headers + half the body, then TCP RST
	PadTo            int               `json:"pad_to,omitempty"`            // body padded with JSON whitespace to at least PadTo bytes
	Delay            Duration          `json:"delay,omitempty"`             // wait before answering (request cancellation honoured)
	RedirectTo       string            `json:"redirect_to,omitempty"`       // 302 Found (or Status if 3xx), Location: RedirectTo + original path and query
	CursorLoop       bool              `json:"cursor_loop,omitempty"`       // WhatsApp: paging.cursors.after (and next) is the request's own after cursor (on a first page: its before cursor)
	DropOffset       bool              `json:"drop_offset,omitempty"`       // contacts: answered as if the request had no offset (a gateway dropping it): always the first page
	BlocklistChanged bool              `json:"blocklist_changed,omitempty"` // WhatsApp: Meta's 139102 passed through (see CodeBlocklistChanged)
	AddBlocked       []string          `json:"add_blocked,omitempty"`       // with BlocklistChanged: append these wa_ids to the number first
	EchoRequest      bool              `json:"echo_request,omitempty"`      // fill the placeholders in Message, Fields and RawBody from the request (see above)
}

// echoPlaceholders are the placeholders EchoRequest fills.
var echoPlaceholders = []string{"{method}", "{path}", "{query}", "{mobile}", "{mobile_digits}", "{mobiles}", "{api_key}"}

// Duration is a time.Duration that marshals to JSON as a string such as
// "250ms". It unmarshals from such a string or from integer nanoseconds.
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New(`a duration is a string such as "250ms" or integer nanoseconds`)
	}
	*d = Duration(n)
	return nil
}

// Validate reports a fault that cannot do what it says: unknown API, negative
// counts, conflicting actions, an error code with no known HTTP status.
func (f Fault) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch f.API {
	case "", "whatsapp", "contacts":
	default:
		bad("api %q must be whatsapp, contacts or empty", f.API)
	}
	if f.MobileContains != "" && f.API == "whatsapp" {
		bad("mobile_contains matches contacts requests only")
	}
	if f.Skip < 0 {
		bad("skip %d is negative", f.Skip)
	}
	if f.Times < -1 {
		bad("times %d must be -1 (every one), 0 (one) or a count", f.Times)
	}
	if f.Status != 0 && (f.Status < 200 || f.Status > 599) {
		bad("status %d is outside 200..599", f.Status)
	}
	if f.Code != "" && f.Status == 0 {
		if _, ok := documentedError(f.Code, f.API); !ok {
			bad("code %q is not one the sandbox knows; give its status too", f.Code)
		}
	}
	if f.PadTo < 0 {
		bad("pad_to %d is negative", f.PadTo)
	}
	if f.Delay < 0 {
		bad("delay %s is negative", time.Duration(f.Delay))
	}
	if f.RedirectTo != "" {
		u, err := url.Parse(f.RedirectTo)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			bad("redirect_to %q must be an absolute http(s) URL without query", f.RedirectTo)
		}
		if f.Status != 0 && (f.Status < 300 || f.Status > 399) {
			bad("redirect_to takes a 3xx status, not %d", f.Status)
		}
	}
	if (f.CursorLoop || f.BlocklistChanged) && f.API == "contacts" {
		bad("cursor_loop and blocklist_changed apply to whatsapp requests only")
	}
	if f.DropOffset && f.API == "whatsapp" {
		bad("drop_offset applies to contacts requests only")
	}
	if len(f.AddBlocked) > 0 && !f.BlocklistChanged {
		bad("add_blocked needs blocklist_changed")
	}
	if err := validateWAIDs(f.AddBlocked); err != nil {
		bad("add_blocked: %v", err)
	}
	if f.Truncate && f.Reset {
		bad("truncate and reset exclude each other")
	}
	if f.ContentType != "" && f.RawBody == "" {
		bad("content_type needs raw_body")
	}
	actions := 0
	for _, set := range []bool{f.RedirectTo != "", f.RawBody != "", f.Accepted, f.BlocklistChanged, f.CursorLoop, f.DropOffset} {
		if set {
			actions++
		}
	}
	if actions > 1 {
		bad("redirect_to, raw_body, accepted, blocklist_changed, cursor_loop and drop_offset exclude each other")
	}
	if (f.Accepted || f.CursorLoop || f.DropOffset) && (f.Status != 0 || f.Code != "") {
		bad("accepted, cursor_loop and drop_offset take no status or code")
	}
	if f.EchoRequest {
		switch {
		case f.RedirectTo != "" || f.Accepted || f.BlocklistChanged || f.CursorLoop:
			bad("echo_request fills message, fields and raw_body; redirect_to, accepted, blocklist_changed and cursor_loop send none")
		case !f.hasPlaceholder():
			bad("echo_request needs a placeholder (%s) in message, fields or raw_body", strings.Join(echoPlaceholders, ", "))
		case f.RawBody == "" && f.Status == 0 && f.Code == "":
			bad("echo_request with message or fields needs the error envelope's status or code")
		}
	}
	return errors.Join(errs...)
}

// hasPlaceholder reports whether Message, Fields or RawBody holds one of
// the placeholders EchoRequest fills.
func (f Fault) hasPlaceholder() bool {
	texts := []string{f.Message, f.RawBody}
	for k, v := range f.Fields {
		texts = append(texts, k, v)
	}
	for _, t := range texts {
		for _, p := range echoPlaceholders {
			if strings.Contains(t, p) {
				return true
			}
		}
	}
	return false
}

// echoed is f with the placeholders of EchoRequest filled from r; f itself
// when it does not echo.
func (f *Fault) echoed(r *http.Request, rt route) *Fault {
	if !f.EchoRequest {
		return f
	}
	var mobiles []string
	switch rt.api {
	case "contacts":
		if q, err := url.ParseQuery(r.URL.RawQuery); err == nil && len(q["mobile"]) > 0 {
			mobiles = splitMobiles(q["mobile"][0])
		}
	case "whatsapp":
		mobiles = []string{rt.phone}
	}
	first := ""
	if len(mobiles) > 0 {
		first = mobiles[0]
	}
	fill := strings.NewReplacer(
		"{method}", r.Method,
		"{path}", r.URL.EscapedPath(),
		"{query}", r.URL.RawQuery,
		"{mobile}", first,
		"{mobile_digits}", strings.TrimPrefix(first, "+"),
		"{mobiles}", strings.Join(mobiles, ","),
		"{api_key}", r.Header.Get("api-key"),
	).Replace
	e := *f
	e.Message, e.RawBody = fill(f.Message), fill(f.RawBody)
	if f.Fields != nil {
		e.Fields = make(map[string]string, len(f.Fields))
		for k, v := range f.Fields {
			e.Fields[fill(k)] = fill(v)
		}
	}
	return &e
}

// ParseFaults decodes one Fault or a JSON array of them, refusing unknown
// fields, and validates each. It reads the admin endpoint's body and the
// command's -faults file.
func ParseFaults(data []byte) ([]Fault, error) {
	var faults []Fault
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '[' {
		if err := decodeStrict(trimmed, &faults); err != nil {
			return nil, err
		}
	} else {
		var f Fault
		if err := decodeStrict(data, &f); err != nil {
			return nil, err
		}
		faults = []Fault{f}
	}
	for i, f := range faults {
		if err := f.Validate(); err != nil {
			return nil, fmt.Errorf("fault %d: %w", i, err)
		}
	}
	return faults, nil
}

type faultState struct {
	fault Fault
	seen  int // matching requests so far, Skip included
}

// AddFault installs f after the faults already installed. It does not
// validate f (see Fault.Validate); a nonsensical fault does its best.
func (s *Server) AddFault(f Fault) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faults = append(s.faults, &faultState{fault: f})
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faults = nil
}

// matchFault returns the fault that applies to a request, or nil.
func (s *Server) matchFault(api string, mobiles []string) *Fault {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	for _, st := range s.faults {
		f := &st.fault
		if f.API != "" && f.API != api {
			continue
		}
		if f.MobileContains != "" && (api != "contacts" || !slices.Contains(mobiles, f.MobileContains)) {
			continue
		}
		times := f.Times
		if times == 0 {
			times = 1
		}
		if times > 0 && st.seen >= f.Skip+times {
			continue
		}
		st.seen++
		if st.seen <= f.Skip {
			return nil
		}
		applied := *f
		return &applied
	}
	return nil
}

// faultResponse builds the answer a fault replaces the real one with, or
// reports false when the real answer is to be built.
func (s *Server) faultResponse(r *http.Request, rt route, f *Fault) (response, bool) {
	f = f.echoed(r, rt)
	switch {
	case f.RedirectTo != "":
		status := f.Status
		if status < 300 || status > 399 {
			status = http.StatusFound
		}
		loc := strings.TrimSuffix(f.RedirectTo, "/") + r.URL.EscapedPath()
		if r.URL.RawQuery != "" {
			loc += "?" + r.URL.RawQuery
		}
		return response{status: status, location: loc}, true
	case f.RawBody != "":
		status, ct := f.Status, f.ContentType
		if status == 0 {
			status = http.StatusOK
		}
		if ct == "" {
			ct = "text/html; charset=utf-8"
		}
		return response{status: status, contentType: ct, body: []byte(f.RawBody)}, true
	case f.Accepted || (f.Status == http.StatusAccepted && f.Code == ""):
		return acceptedResponse(fmt.Sprintf("A%019d", s.acceptedIDs.Add(1))), true
	case f.BlocklistChanged:
		if len(f.AddBlocked) > 0 && rt.api == "whatsapp" {
			s.appendBlocked(rt.sid, rt.phone, f.AddBlocked)
		}
		return documentedWithStatus(CodeBlocklistChanged, rt.api, f.Status), true
	case f.Status != 0 || f.Code != "":
		return faultEnvelope(f, rt.api), true
	}
	return response{}, false
}

// faultEnvelope is the error envelope of a fault's Status, Code, Message and
// Fields, each defaulting to the documented value.
func faultEnvelope(f *Fault, api string) response {
	code := f.Code
	if code == "" {
		code = codeForStatus(f.Status)
	}
	doc, known := documentedError(code, api)
	status := f.Status
	switch {
	case status != 0:
	case known:
		status = doc.status
	default:
		status = http.StatusBadRequest
	}
	message := f.Message
	if message == "" {
		message = doc.message
		if !known {
			message = http.StatusText(status)
		}
	}
	fields := f.Fields
	if fields == nil {
		fields = doc.fields
		if !known {
			fields = map[string]string{"error": message}
		}
	}
	return errorResponse(status, code, message, doc.dataArray, fields)
}
