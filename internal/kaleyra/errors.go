package kaleyra

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
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

// envelope is the shape of every Kaleyra answer.
type envelope struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
	Error   json.RawMessage `json:"error"`
	Paging  *paging         `json:"paging"`
}

// paging is the WhatsApp API's cursor block.
type paging struct {
	Cursors struct {
		Before string `json:"before"`
		After  string `json:"after"`
	} `json:"cursors"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
}

// decodeResponse turns one HTTP answer into an envelope, or an error when
// the answer is a failure or not the envelope at all.
func decodeResponse(api API, resp *http.Response, attempts int) (*envelope, error) {
	body, err := readBody(api, resp)
	if err != nil {
		return nil, err
	}
	return decodeBody(api, resp, body, attempts)
}

func readBody(api API, resp *http.Response) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, fmt.Errorf("kaleyra: reading the %s response: %w", api, err)
	}
	return buf.Bytes(), nil
}

func decodeBody(api API, resp *http.Response, body []byte, attempts int) (*envelope, error) {
	env, err := parseEnvelope(body)
	if err != nil {
		return nil, &UnexpectedResponseError{
			API: api, HTTPStatus: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
			Snippet: Snippet(body, snippetBytes), Attempts: attempts, Err: err,
		}
	}
	if resp.StatusCode == http.StatusOK && env.isSuccess() {
		return env, nil
	}
	return nil, &APIError{
		API: api, HTTPStatus: resp.StatusCode, Code: env.Code, Message: env.Message,
		Fields: decodeFields(env.Error), Attempts: attempts,
	}
}

// decodeRows decodes one answer's rows (its data) and envelope. A success
// is decoded in one pass, straight into the rows; anything else goes
// through decodeResponse's checks, which the fast path must agree with
// (FuzzDecodeEnvelope holds them to it).
func decodeRows[T any](api API, resp *http.Response, attempts int) ([]T, *envelope, error) {
	body, err := readBody(api, resp)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode == http.StatusOK {
		var fast struct {
			Code    string          `json:"code"`
			Message string          `json:"message"`
			Data    []T             `json:"data"`
			Error   json.RawMessage `json:"error"`
			Paging  *paging         `json:"paging"`
		}
		// A nil Data after a clean decode means data was null or missing:
		// the slow path says why that is not a success.
		if json.Unmarshal(body, &fast) == nil && fast.Data != nil && successCode(fast.Code, fast.Error) {
			return fast.Data, &envelope{Code: fast.Code, Message: fast.Message, Paging: fast.Paging}, nil
		}
	}
	env, err := decodeBody(api, resp, body, attempts)
	if err != nil {
		return nil, nil, err
	}
	var rows []T
	if err := json.Unmarshal(env.Data, &rows); err != nil {
		return nil, nil, fmt.Errorf("kaleyra: decoding the %s rows: %w", api, err)
	}
	return rows, env, nil
}

// parseEnvelope decodes body as the envelope and insists on its shape: a JSON
// object with a code.
func parseEnvelope(body []byte) (*envelope, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, err
	}
	if env.Code == "" {
		return nil, fmt.Errorf("the JSON has no Kaleyra `code`")
	}
	return &env, nil
}

// isSuccess: a 200 is only a success when no `error` fields are set, the
// code is not a documented failure and the data is a list; Kaleyra sends
// failures such as CNT195 with a message and fields of their own, and a
// failure code with data [] must never read as an empty page.
func (e *envelope) isSuccess() bool {
	d := bytes.TrimSpace(e.Data)
	return successCode(e.Code, e.Error) && len(d) > 0 && d[0] == '['
}

// successCode tells whether a 200 with this code and `error` object is a
// success, given that its data is a list.
func successCode(code string, errorObject json.RawMessage) bool {
	switch code {
	case CodeWhatsAppOK, CodeContactsOK:
		return true
	case "", CodeContactsFailed, CodeAccepted, CodeServer, CodeAuth, CodeNumber,
		CodeVersionOrAccount, CodeBadRequest, CodeLowBalance, CodeBlocklistChanged:
		return false
	}
	return len(decodeFields(errorObject)) == 0
}

// decodeFields flattens the `error` object into text values. Anything that
// is not an object (null, [], a string) gives no fields, except a bare
// string, kept under "error".
func decodeFields(raw json.RawMessage) map[string]string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	switch raw[0] {
	case '{':
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil || len(m) == 0 {
			return nil
		}
		out := make(map[string]string, len(m))
		for k, v := range m {
			out[k] = jsonText(v)
		}
		return out
	case '"':
		s := jsonText(raw)
		if s == "" {
			return nil
		}
		return map[string]string{"error": s}
	}
	return nil
}

// jsonText renders a JSON value as text: strings unquoted, numbers as
// written, anything else compact JSON.
func jsonText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(v, &n) == nil {
		return n.String()
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) == nil {
		return buf.String()
	}
	return string(v)
}

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
