package kaleyra

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The seed corpora under testdata/fuzz/<Target>/ hold the documented sample
// bodies of both API pages and the odd shapes a gateway can send.

// documentedFailureCodes are the codes the API pages document for failures
// (WA202 included: accepted, not ready), and Meta's 139102.
var documentedFailureCodes = []string{
	CodeAuth, CodeNumber, CodeVersionOrAccount, CodeBadRequest, CodeLowBalance,
	CodeServer, CodeContactsFailed, CodeAccepted, CodeBlocklistChanged,
}

func FuzzDecodeEnvelope(f *testing.F) {
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		resp := &http.Response{
			StatusCode: status,
			Header:     http.Header{"Content-Type": {"application/json"}},
			Body:       io.NopCloser(bytes.NewReader(body)),
		}
		agreeFastAndSlow[BlockedUser](t, status, body)
		agreeFastAndSlow[contactRow](t, status, body)
		env, err := decodeResponse(fuzzRedactor, APIContacts, resp, 1)
		if err == nil {
			// Success: a 200 whose data is a JSON array, under no failure code.
			if env == nil || status != http.StatusOK || env.Code == "" {
				t.Fatalf("success with status %d, envelope %+v", status, env)
			}
			var items []json.RawMessage
			if err := json.Unmarshal(env.Data, &items); err != nil || items == nil {
				t.Fatalf("success with data %q that is not an array", env.Data)
			}
			for _, code := range documentedFailureCodes {
				if env.Code == code {
					t.Fatalf("the failure code %s read as a success", code)
				}
			}
			return
		}
		if env != nil {
			t.Fatalf("an envelope came with the error %v", err)
		}
		var apiErr *APIError
		var unexpected *UnexpectedResponseError
		switch {
		case errors.As(err, &apiErr):
			if apiErr.HTTPStatus != status || apiErr.Code == "" || apiErr.Attempts != 1 {
				t.Fatalf("APIError %#v for status %d", apiErr, status)
			}
			if !strings.Contains(err.Error(), "HTTP "+strconv.Itoa(status)) || !strings.Contains(err.Error(), apiErr.Code) {
				t.Fatalf("error %q does not name the status and code", err)
			}
			checkRedacted(t, "the code", apiErr.Code, body)
			checkRedacted(t, "the message", apiErr.Message, body)
			checkRedacted(t, "the fields", apiErr.FieldsString(), body)
		case errors.As(err, &unexpected):
			if unexpected.HTTPStatus != status {
				t.Fatalf("UnexpectedResponseError for HTTP %d, status %d", unexpected.HTTPStatus, status)
			}
			checkSnippet(t, body, unexpected.Snippet)
			if !strings.Contains(err.Error(), "HTTP "+strconv.Itoa(status)) {
				t.Fatalf("error %q does not name the status", err)
			}
			checkRedacted(t, "the Content-Type", unexpected.ContentType, body)
			checkRedacted(t, "the decoding error", unexpected.Err.Error(), body)
		default:
			t.Fatalf("error %v is a %T, neither *APIError nor *UnexpectedResponseError", err, err)
		}
	})
}

// fuzzKey is the API key the fuzz targets decode with. Its digits make one
// run with digits around it, which must hide neither.
const fuzzKey = "Zfuzz0api0key0never0shown0000000007"

var fuzzRedactor = NewRedactor(fuzzKey)

// checkRedacted fails when text, taken from body, holds fuzzKey, its first
// half, or a run of minNumberDigits digits; or its second half, unless the
// body holds that half on its own (no redactor can tell it from any text).
func checkRedacted(t *testing.T, what, text string, body []byte) {
	t.Helper()
	half := len(fuzzKey) / 2
	pieces := []string{fuzzKey, fuzzKey[:half]}
	if bytes.Count(body, []byte(fuzzKey[half:])) == bytes.Count(body, []byte(fuzzKey)) {
		pieces = append(pieces, fuzzKey[half:])
	}
	for _, piece := range pieces {
		if strings.Contains(text, piece) {
			t.Fatalf("%s %q holds the API key (%q)", what, text, piece)
		}
	}
	if numberRun.MatchString(text) {
		t.Fatalf("%s %q shows a run of %d digits", what, text, minNumberDigits)
	}
}

// checkSnippet: a snippet shows the body's first bytes, all of them up to
// snippetBytes, less at most a rune cut in half at the end, with every run
// of minNumberDigits digits masked; and no piece of the key.
func checkSnippet(t *testing.T, body []byte, snippet string) {
	t.Helper()
	if len(body) == 0 {
		if snippet != "" {
			t.Fatalf("snippet %s of an empty body", snippet)
		}
		return
	}
	quoted, cut := strings.CutSuffix(snippet, "…")
	shown, err := strconv.Unquote(quoted)
	if err != nil {
		t.Fatalf("snippet %s is not a quoted string: %v", snippet, err)
	}
	checkRedacted(t, "the snippet", shown, body)
	if bytes.Contains(body, []byte(fuzzKey[:partialKeyMin])) {
		// The key, or a piece of it, is masked as keyMask: the snippet
		// is no longer the body's bytes one for one.
		return
	}
	if !bytes.HasPrefix(maskNumbers(body), []byte(shown)) {
		t.Fatalf("snippet %s is not the start of the body %q, numbers masked", snippet, body)
	}
	if cut != (len(body) > snippetBytes) {
		t.Fatalf("snippet %s of %d bytes: cut = %t", snippet, len(body), cut)
	}
	if want := min(len(body), snippetBytes); len(shown) < want-3 {
		t.Fatalf("snippet %s shows %d of the first %d bytes", snippet, len(shown), want)
	}
}

// maskNumbers is the model of what the Redactor does to numbers: a copy of
// b with every run of minNumberDigits or more ASCII digits replaced by as
// many '#'s.
func maskNumbers(b []byte) []byte {
	out := bytes.Clone(b)
	for i := 0; i < len(out); {
		if !isDigit(out[i]) {
			i++
			continue
		}
		j := i
		for j < len(out) && isDigit(out[j]) {
			j++
		}
		if j-i >= minNumberDigits {
			for k := i; k < j; k++ {
				out[k] = '#'
			}
		}
		i = j
	}
	return out
}

// numberRun matches what a Redactor must never show: a run of
// minNumberDigits digits.
var numberRun = regexp.MustCompile(`[0-9]{` + strconv.Itoa(minNumberDigits) + `}`)

// fieldValue returns the JSON string under exactly the key name in obj, if
// the object has that key and no other spelling of it (encoding/json matches
// keys case-insensitively).
func fieldValue(obj map[string]json.RawMessage, name string) (value json.RawMessage, ok bool) {
	for k := range obj {
		if strings.EqualFold(k, name) && k != name {
			return nil, false
		}
	}
	value, ok = obj[name]
	return value, ok
}

// dataItems returns env.Data as an array of objects, if it is one.
func dataItems(data json.RawMessage) ([]map[string]json.RawMessage, bool) {
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(data, &items); err != nil || items == nil {
		return nil, false
	}
	return items, true
}

// okResponse is body as the client receives a 200 answer.
func okResponse(body []byte) *http.Response {
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(bytes.NewReader(body)),
	}
}

// FuzzWhatsAppPage runs a 200 answer through what WhatsAppBlockedUsersPage
// runs on it: decodeRows, then whatsAppPage. Every page it returns keeps
// each user and the cursors exactly as sent.
func FuzzWhatsAppPage(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		users, env, err := decodeRows[BlockedUser](fuzzRedactor, APIWhatsApp, okResponse(body), 1)
		var page *WhatsAppPage
		if err == nil {
			page, err = whatsAppPage(users, env)
		}
		if err != nil {
			if page != nil {
				t.Fatalf("a page came with the error %v", err)
			}
			return
		}
		// What was sent, decoded on its own.
		var sent envelope
		if err := json.Unmarshal(body, &sent); err != nil {
			t.Fatalf("a page from a body that is not JSON: %v", err)
		}
		for i, u := range page.Users {
			if u.WAID == "" {
				t.Fatalf("user %d has no wa_id", i)
			}
		}
		items, ok := dataItems(sent.Data)
		if !ok {
			t.Fatalf("a page from data %q that is not a list of objects", sent.Data)
		}
		if len(items) != len(page.Users) {
			t.Fatalf("%d users decoded from %d items", len(page.Users), len(items))
		}
		for i, item := range items {
			var want string
			if raw, ok := fieldValue(item, "wa_id"); ok && json.Unmarshal(raw, &want) == nil && want != page.Users[i].WAID {
				t.Fatalf("user %d: wa_id %q, sent %q", i, page.Users[i].WAID, want)
			}
		}
		var before, after, next string
		hasNext := false
		if sent.Paging != nil {
			before, after = sent.Paging.Cursors.Before, sent.Paging.Cursors.After
			if sent.Paging.Next != nil {
				hasNext, next = true, *sent.Paging.Next
			}
		}
		if page.Before != before || page.After != after || page.HasNext != hasNext || page.Next != next {
			t.Fatalf("page cursors %q/%q next %t %q; sent %q/%q next %t %q",
				page.Before, page.After, page.HasNext, page.Next, before, after, hasNext, next)
		}
	})
}

// FuzzContactsPage runs a 200 answer through what ContactsBlocklistedPage
// runs on it: decodeRows, then contactsPage. Every row it returns keeps the
// mobile and channel_type exactly as sent.
func FuzzContactsPage(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		decoded, _, err := decodeRows[contactRow](fuzzRedactor, APIContacts, okResponse(body), 1)
		var rows []BlocklistedContact
		if err == nil {
			rows, err = contactsPage(decoded)
		}
		if err != nil {
			if rows != nil {
				t.Fatalf("rows came with the error %v", err)
			}
			return
		}
		var sent envelope
		if err := json.Unmarshal(body, &sent); err != nil {
			t.Fatalf("rows from a body that is not JSON: %v", err)
		}
		for i, r := range rows {
			if r.Mobile == "" {
				t.Fatalf("row %d has no mobile", i)
			}
		}
		items, ok := dataItems(sent.Data)
		if !ok {
			t.Fatalf("rows from data %q that is not a list of objects", sent.Data)
		}
		if len(items) != len(rows) {
			t.Fatalf("%d rows decoded from %d items", len(rows), len(items))
		}
		for i, item := range items {
			var mobile string
			if raw, ok := fieldValue(item, "mobile"); ok && json.Unmarshal(raw, &mobile) == nil && mobile != rows[i].Mobile {
				t.Fatalf("row %d: mobile %q, sent %q", i, rows[i].Mobile, mobile)
			}
			// channel_type exactly as sent: a string unquoted, a number as written.
			raw, ok := fieldValue(item, "channel_type")
			if !ok {
				continue
			}
			var want string
			var n json.Number
			switch {
			case json.Unmarshal(raw, &want) == nil:
			case json.Unmarshal(raw, &n) == nil:
				want = n.String()
			case string(bytes.TrimSpace(raw)) == "null":
			default:
				continue
			}
			if rows[i].ChannelType != want {
				t.Fatalf("row %d: channel_type %q, sent %s", i, rows[i].ChannelType, raw)
			}
		}
	})
}

// agreeFastAndSlow holds decodeRows's one-pass success path to the
// reference: decodeResponse, then the data decoded on its own.
func agreeFastAndSlow[T any](t *testing.T, status int, body []byte) {
	t.Helper()
	newResp := func() *http.Response {
		return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body))}
	}
	fastRows, fastEnv, fastErr := decodeRows[T](fuzzRedactor, APIWhatsApp, newResp(), 1)
	var slowRows []T
	slowEnv, slowErr := decodeResponse(fuzzRedactor, APIWhatsApp, newResp(), 1)
	if slowErr == nil {
		slowErr = json.Unmarshal(slowEnv.Data, &slowRows)
	}
	if (fastErr == nil) != (slowErr == nil) {
		t.Fatalf("fast path error %v, reference error %v", fastErr, slowErr)
	}
	if fastErr != nil {
		return
	}
	if !reflect.DeepEqual(fastRows, slowRows) || fastEnv.Code != slowEnv.Code || !reflect.DeepEqual(fastEnv.Paging, slowEnv.Paging) {
		t.Fatalf("fast path %#v %#v, reference %#v %#v", fastRows, fastEnv, slowRows, slowEnv)
	}
}
