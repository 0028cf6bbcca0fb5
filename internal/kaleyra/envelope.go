package kaleyra

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

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
// the answer is a failure or not the envelope at all. The error's server
// text is redacted by r.
func decodeResponse(r *Redactor, api API, resp *http.Response, attempts int) (*envelope, error) {
	body, err := readBody(api, resp)
	if err != nil {
		return nil, err
	}
	return decodeBody(r, api, resp, body, attempts)
}

func readBody(api API, resp *http.Response) ([]byte, error) {
	body, err := bodyBytes(resp)
	if err != nil {
		return nil, fmt.Errorf("kaleyra: reading the %s response: %w", api, err)
	}
	return body, nil
}

// decodeBody is decodeResponse on a body already read. Every decision is
// made on the raw answer; only what the error keeps is redacted.
func decodeBody(r *Redactor, api API, resp *http.Response, body []byte, attempts int) (*envelope, error) {
	env, err := parseEnvelope(body)
	if err != nil {
		return nil, &UnexpectedResponseError{
			API: api, HTTPStatus: resp.StatusCode, ContentType: r.String(resp.Header.Get("Content-Type")),
			Snippet: r.Snippet(body, snippetBytes), CutShort: jsonCutShort(body), Attempts: attempts, Err: r.Error(err),
		}
	}
	if resp.StatusCode == http.StatusOK && env.isSuccess() {
		return env, nil
	}
	wait, _ := retryAfter(resp)
	raw := APIError{Code: env.Code, Message: env.Message, Fields: decodeFields(env.Error)}
	return nil, &APIError{
		API: api, HTTPStatus: resp.StatusCode, Code: r.String(raw.Code), Message: r.String(raw.Message),
		Fields: r.redactFields(raw.Fields), Attempts: attempts, RetryAfter: wait,
		versionMismatch: raw.IsVersionMismatch(), blocklistChanged: raw.IsBlocklistChanged(),
	}
}

// decodeRows decodes one answer's rows (its data) and envelope. A success
// is decoded in one pass, straight into the rows; anything else goes
// through decodeResponse's checks, which the fast path must agree with
// (FuzzDecodeEnvelope holds them to it).
func decodeRows[T any](r *Redactor, api API, resp *http.Response, attempts int) ([]T, *envelope, error) {
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
	env, err := decodeBody(r, api, resp, body, attempts)
	if err != nil {
		return nil, nil, err
	}
	var rows []T
	if err := json.Unmarshal(env.Data, &rows); err != nil {
		// encoding/json quotes a number it cannot decode: a row's mobile
		// sent as a JSON number would show.
		return nil, nil, fmt.Errorf("kaleyra: decoding the %s rows: %w", api, r.Error(err))
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

// envelopeCode is the Kaleyra code of a response, or "".
func envelopeCode(resp *http.Response) string {
	var env struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(peekBody(resp), &env) != nil {
		return ""
	}
	return env.Code
}

// bodyCutShort reports a response whose body starts as JSON but ends
// before the JSON does: a complete HTTP answer carrying a cut body, which a
// retry can fix as it fixes a cut connection.
func bodyCutShort(resp *http.Response) bool {
	body := peekBody(resp)
	return !json.Valid(body) && jsonCutShort(body)
}

// jsonCutShort reports a body that is an object or array whose JSON ends
// before it is complete.
func jsonCutShort(body []byte) bool {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || (trimmed[0] != '{' && trimmed[0] != '[') {
		return false
	}
	var v json.RawMessage
	return errors.Is(json.NewDecoder(bytes.NewReader(trimmed)).Decode(&v), io.ErrUnexpectedEOF)
}

// peekBody returns a response's body and leaves it for the caller. The
// transport has read it whole, so this costs no I/O and no copy.
func peekBody(resp *http.Response) []byte {
	data, err := bodyBytes(resp)
	if err != nil {
		return nil
	}
	return data
}
