package kaleyra

import (
	"errors"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// redactKey is a key as Kaleyra issues them: letters and digits, here with
// a run of digits of its own.
const redactKey = "A9f4redact0key0never0shown00000042"

func TestRedactor_numbersInEveryForm(t *testing.T) {
	r := NewRedactor(redactKey)
	for in, want := range map[string]string{
		// As written, bare, and %2B-encoded in a query.
		"Invalid mobile +919812345678":                                 "Invalid mobile +############",
		"919812345678 is not a valid number":                           "############ is not a valid number",
		"mobile=%2B919812345678%2C%2B447700900123&limit=100&offset=20": "mobile=%2B############%2C%2B############&limit=100&offset=20",
		// A WhatsApp ID in a cursor, and seven digits, the shortest run hidden.
		"after=919898989898": "after=############",
		"ref 1234567":        "ref #######",
		// Kaleyra's codes, statuses and counts are kept.
		"WA-401 / 139102 / E110 / CNT195 / HTTP 502 / 123456 / 2024-01-31": "WA-401 / 139102 / E110 / CNT195 / HTTP 502 / 123456 / 2024-01-31",
		"": "",
	} {
		if got := r.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactor_keyInEveryForm(t *testing.T) {
	// A key with characters that escaping changes.
	const key = "Ak+y/0=&<x>\"z"
	r := NewRedactor(key)
	for in, want := range map[string]string{
		"api-key: " + key: "api-key: ***",
		"GET /?api-key=Ak%2By%2F0%3D%26%3Cx%3E%22z HTTP/1.1": "GET /?api-key=*** HTTP/1.1",
		"GET /?api-key=Ak%2by%2f0%3d%26%3cx%3e%22z HTTP/1.1": "GET /?api-key=*** HTTP/1.1",
		"/keys/Ak+y%2F0=&%3Cx%3E%22z/":                       "/keys/***/",
		"<td>Ak+y/0=&amp;&lt;x&gt;&#34;z</td>":               "<td>***</td>",
		`{"api_key":"Ak+y/0=\u0026\u003cx\u003e\"z"}`:        `{"api_key":"***"}`,
		"twice: " + key + key + ".":                          "twice: ***.",
	} {
		if got := r.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
	if got := r.WithoutKey("key " + key + " for +919812345678"); got != "key *** for +919812345678" {
		t.Errorf("WithoutKey = %q: the number is the caller's to keep", got)
	}
}

// TestRedactor_keyAndDigitsAsOnePiece: digits around or inside the key are
// masked with it, so neither half of a number nor of the key survives.
func TestRedactor_keyAndDigitsAsOnePiece(t *testing.T) {
	r := NewRedactor(redactKey)
	for in, want := range map[string]string{
		"id " + redactKey:                   "id ***",
		"9198" + redactKey + "12345678 end": "*** end",
		redactKey + "0000":                  "***",
		"x" + redactKey[:20]:                "x***",          // a key cut off at the end of the text
		"api-key: " + redactKey[:12] + "…":  "api-key: ***…", // a key shortened by a gateway
		"x" + redactKey[:partialKeyMin-1]:   "x" + redactKey[:partialKeyMin-1],
		redactKey[:partialKeyMin-1] + " " + redactKey[partialKeyMin-1:partialKeyMin+6]: redactKey[:partialKeyMin-1] + " " + redactKey[partialKeyMin-1:partialKeyMin+6],
	} {
		if got := r.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRedactor_snippetCutsAfterRedacting: wherever the cut falls across the
// key or a number, no piece of either shows.
func TestRedactor_snippetCutsAfterRedacting(t *testing.T) {
	r := NewRedactor(redactKey)
	const n = 200
	for at := n - len(redactKey) - 2; at <= n+2; at++ {
		body := []byte(strings.Repeat("x", at) + redactKey + " tail")
		want := strings.Repeat("x", min(at, n))
		if at < n {
			// The key whole, then what the first n bytes hold after it.
			want += keyMask + " tail"[:max(0, n-at-len(redactKey))]
		}
		if got := r.Snippet(body, n); got != strconv.Quote(want)+"…" {
			t.Errorf("key at %d: Snippet = %s, want %q…", at, got, want)
		}
	}
	for at := n - 14; at <= n; at++ {
		body := []byte(strings.Repeat("x", at) + "mobile=%2B919812345678 tail")
		got := r.Snippet(body, n)
		if numberRun.MatchString(got) || strings.Contains(got, "9198") {
			t.Errorf("number at %d: Snippet = %s", at, got)
		}
		if want := maskNumbers(body)[:n]; got != strconv.Quote(string(want))+"…" {
			t.Errorf("number at %d: Snippet = %s, want %q…", at, got, want)
		}
	}
	// A body that ends inside the key (a connection cut mid-way).
	if got := r.Snippet([]byte("api-key: "+redactKey[:10]), n); got != `"api-key: ***"` {
		t.Errorf("Snippet of a body cut inside the key = %s", got)
	}
	if got := r.Snippet([]byte("short"), n); got != `"short"` {
		t.Errorf("Snippet = %s", got)
	}
}

func TestRedactor_withoutKeyMasksNumbersOnly(t *testing.T) {
	for _, r := range []*Redactor{nil, NewRedactor("")} {
		if got := r.String("key A9f4 for +919812345678"); got != "key A9f4 for +############" {
			t.Errorf("%v: String = %q", r, got)
		}
		if got := r.WithoutKey("+919812345678"); got != "+919812345678" {
			t.Errorf("%v: WithoutKey = %q", r, got)
		}
	}
}

func TestRedactor_errorKeepsItsChain(t *testing.T) {
	r := NewRedactor(redactKey)
	inner := &fs.PathError{Op: "read", Path: "mobile=%2B919812345678&k=" + redactKey, Err: fs.ErrClosed}
	err := r.Error(inner)
	if got, want := err.Error(), "read mobile=%2B############&k=***: file already closed"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var pathErr *fs.PathError
	if !errors.Is(err, fs.ErrClosed) || !errors.As(err, &pathErr) {
		t.Error("the redacted error lost its chain")
	}
	plain := errors.New("connection refused")
	if got := r.Error(plain); got != plain { //nolint:errorlint // the very same error is the point
		t.Error("an error with nothing to mask was wrapped")
	}
	if r.Error(nil) != nil {
		t.Error("Error(nil) != nil")
	}
}

func TestRedactor_fields(t *testing.T) {
	r := NewRedactor(redactKey)
	got := r.redactFields(map[string]string{
		"+919812345678": "rejected",
		"+919812345679": "rejected too",
		"api-key":       redactKey,
		"code":          "139102",
	})
	want := map[string]string{"+############": "rejected; rejected too", "api-key": keyMask, "code": "139102"}
	if len(got) != len(want) {
		t.Fatalf("redactFields = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("redactFields[%q] = %q, want %q", k, got[k], v)
		}
	}
	if r.redactFields(nil) != nil {
		t.Error("redactFields(nil) != nil")
	}
}

// TestRedactor_decisionsOnRawAnswer: the checks that read Kaleyra's text
// decide on what was sent, even when redaction takes the words they look
// for (here a key that happens to be that text).
func TestRedactor_decisionsOnRawAnswer(t *testing.T) {
	resp := func(status int) *http.Response { return &http.Response{StatusCode: status, Header: http.Header{}} }
	version := []byte(`{"code":"WA-401","message":"The phone number you're using is associated with different Version of our WA API.","data":{},"error":{}}`)
	_, err := decodeBody(NewRedactor("different Version"), APIWhatsApp, resp(401), version, 1)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || strings.Contains(apiErr.Message, "Version") || !apiErr.IsVersionMismatch() {
		t.Errorf("WA-401 about the version: %#v, mismatch %t", apiErr, apiErr != nil && apiErr.IsVersionMismatch())
	}
	changed := []byte(`{"code":"WA400","message":"Blocklist changed","data":{},"error":{"code":"139102"}}`)
	_, err = decodeBody(NewRedactor("139102"), APIWhatsApp, resp(400), changed, 1)
	if !errors.As(err, &apiErr) || apiErr.Fields["code"] != keyMask || !apiErr.IsBlocklistChanged() {
		t.Errorf("139102 in a field: %#v, changed %t", apiErr, apiErr != nil && apiErr.IsBlocklistChanged())
	}
	// And with an ordinary key, redaction leaves them alone.
	_, err = decodeBody(NewRedactor(redactKey), APIWhatsApp, resp(400), changed, 1)
	if !errors.As(err, &apiErr) || apiErr.Fields["code"] != CodeBlocklistChanged || !(&APIError{Fields: apiErr.Fields}).IsBlocklistChanged() {
		t.Errorf("139102 in a field, redacted: %#v", apiErr)
	}
}

// FuzzRedact: for any text with the key and numbers spliced in, String and
// Snippet show neither the key (nor either half of it) nor a run of
// minNumberDigits digits.
func FuzzRedact(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string, keyAt, numberAt uint16, number uint64, form uint8, cut uint16) {
		half := len(redactKey) / 2
		for _, piece := range []string{redactKey[:half], redactKey[half:]} {
			if strings.Contains(text, piece) {
				t.Skip("the text holds half of the key already")
			}
		}
		forms := []string{
			"+" + strconv.FormatUint(number, 10), strconv.FormatUint(number, 10),
			"%2B" + strconv.FormatUint(number, 10), "mobile=%2B" + strconv.FormatUint(number, 10) + "%2C%2B" + strconv.FormatUint(number/3, 10),
		}
		splice := func(s string, at uint16, piece string) string {
			i := int(at) % (len(s) + 1)
			return s[:i] + piece + s[i:]
		}
		// The key goes in last, so it is whole (a number may be cut by it).
		spliced := splice(splice(text, numberAt, forms[int(form)%len(forms)]), keyAt, redactKey)
		r := NewRedactor(redactKey)
		check := func(what, out string) {
			for _, piece := range []string{redactKey, redactKey[:half], redactKey[half:]} {
				if strings.Contains(out, piece) {
					t.Fatalf("%s of %q holds %q: %q", what, spliced, piece, out)
				}
			}
			if numberRun.MatchString(out) {
				t.Fatalf("%s of %q shows a run of %d digits: %q", what, spliced, minNumberDigits, out)
			}
		}
		check("String", r.String(spliced))
		snippet, _ := strings.CutSuffix(r.Snippet([]byte(spliced), int(cut)), "…")
		shown, err := strconv.Unquote(snippet)
		if err != nil {
			t.Fatalf("Snippet %s is not quoted text: %v", snippet, err)
		}
		check("Snippet", shown)
		// Without a key, only numbers are masked, as they always were.
		if got, want := (*Redactor)(nil).String(text), string(maskNumbers([]byte(text))); got != want {
			t.Fatalf("String without a key = %q, want %q", got, want)
		}
	})
}
