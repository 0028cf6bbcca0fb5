package kaleyra

import (
	"bytes"
	"encoding/json"
	"html"
	"net/url"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Redactor takes out of text that came from a server what the client must
// never print or log:
//
//   - the configured API key, as written and in the forms an echo carries
//     it in (URL-, HTML- and JSON-escaped), shown as keyMask; so is its
//     start, partialKeyMin bytes or more of it, wherever it shows: a key cut
//     off with the body it came in, or shortened by a gateway that shows
//     only the start of a header;
//   - every run of minNumberDigits or more ASCII digits, shown as as many
//     '#'s: phone numbers and WhatsApp IDs, personal data. A queried number
//     in any form holds such a run: as written ("+9198…"), bare ("9198…")
//     or URL-encoded ("%2B9198…").
//
// A key next to digits, or digits inside a key, are masked as one piece, so
// neither hides the other. Shorter digit runs (Kaleyra's codes such as
// "139102", "WA-401", HTTP statuses, counts) are kept.
//
// A Client owns one, built from its API key, and runs every piece of server
// text it keeps through it before the text reaches an error or a log line:
// an error envelope's code, message and fields, a body's excerpt and
// Content-Type, a cursor, and Go error text that can quote response bytes
// (net/http's "malformed HTTP response …", encoding/json's "cannot unmarshal
// number …"). Decisions that read the text (retries, restarts, hints) are
// made on the raw values first. Text the client writes itself (URLs, paths,
// counts) is not redacted: it holds no server text, and the business number
// and SID in a path are the user's own configuration.
//
// A nil *Redactor masks numbers only.
type Redactor struct {
	// forms are the API key's forms, longest first; none without a key.
	forms [][]byte
}

// keyMask is what the API key is shown as. It holds no digit and no letter,
// so no key can be rebuilt around it.
const keyMask = "***"

// partialKeyMin is the shortest start of a key form that is masked as the
// key: long enough not to match words by chance when a key starts with one
// ("sandbox-demo-key"), short enough that the first half of any key of 16
// characters or more is masked.
const partialKeyMin = 8

// minNumberDigits is the shortest run of digits the Redactor masks: E.164
// numbers have 8 to 15 digits, and a little shorter still reveals too much.
const minNumberDigits = 7

// NewRedactor returns the Redactor for apiKey; with an empty key it masks
// numbers only.
func NewRedactor(apiKey string) *Redactor {
	if apiKey == "" {
		return &Redactor{}
	}
	escaped, _ := json.Marshal(apiKey) // a string always marshals
	candidates := []string{
		apiKey,
		url.QueryEscape(apiKey),
		url.PathEscape(apiKey),
		html.EscapeString(apiKey),
		string(escaped[1 : len(escaped)-1]),
	}
	// Percent-encoding's hex digits may come back in lower case.
	for _, c := range candidates[1:3] {
		candidates = append(candidates, lowerHex(c))
	}
	slices.SortStableFunc(candidates, func(a, b string) int { return len(b) - len(a) })
	r := &Redactor{}
	for _, c := range candidates {
		if !slices.ContainsFunc(r.forms, func(f []byte) bool { return string(f) == c }) {
			r.forms = append(r.forms, []byte(c))
		}
	}
	return r
}

// lowerHex is s with the hex digits of its %XX escapes in lower case.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lowerASCII(b[i+1]), lowerASCII(b[i+2])
		}
	}
	return string(b)
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// String returns s with the key and every long run of digits masked.
func (r *Redactor) String(s string) string {
	if !r.mustMask([]byte(s), true) {
		return s
	}
	b := []byte(s)
	return string(r.redact(make([]byte, 0, len(b)), b, len(b), true))
}

// WithoutKey returns s with the key masked and nothing else: for text that
// rightly holds numbers the user wrote (a business number, a SID), such as
// a whole diagnostic.
func (r *Redactor) WithoutKey(s string) string {
	if !r.mustMask([]byte(s), false) {
		return s
	}
	b := []byte(s)
	return string(r.redact(make([]byte, 0, len(b)), b, len(b), false))
}

// Snippet returns the first n bytes of body, redacted, as printable, quoted
// text, with "…" after it when the body goes on. The key and the numbers
// are found in the whole body before it is cut, so a key or a number that
// straddles the cut shows no piece of itself: the key is shown as keyMask
// whole, a number as '#'s up to the cut.
func (r *Redactor) Snippet(body []byte, n int) string {
	if len(body) == 0 {
		return ""
	}
	n = max(n, 0)
	cut := len(body) > n
	b := r.redact(make([]byte, 0, min(len(body), n)+len(keyMask)), body, min(len(body), n), true)
	if cut {
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

// Error returns err with its text redacted. The text is fixed when Error
// is called; errors.Is and errors.As still see err and what it wraps, but
// only the returned error's own text is safe to print. An error with
// nothing to mask is returned as it is.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	if redacted := r.String(text); redacted != text {
		return &redactedError{text: redacted, err: err}
	}
	return err
}

// redactedError is an error whose text was redacted.
type redactedError struct {
	text string
	err  error
}

func (e *redactedError) Error() string { return e.text }
func (e *redactedError) Unwrap() error { return e.err }

// mustMask is a quick check that b has something to mask.
func (r *Redactor) mustMask(b []byte, numbers bool) bool {
	if r != nil {
		for _, f := range r.forms {
			// A key, whole or not, starts with these bytes.
			if bytes.Contains(b, f[:min(len(f), partialKeyMin)]) {
				return true
			}
		}
	}
	if !numbers {
		return false
	}
	run := 0
	for _, c := range b {
		if isDigit(c) {
			if run++; run >= minNumberDigits {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// redact appends to dst b[:limit] redacted. A piece to mask that starts
// before limit is judged on the whole of b, so the limit never cuts it
// short: a key is shown as keyMask whole, digits as '#'s up to limit.
// Without numbers, only the key is masked.
func (r *Redactor) redact(dst, b []byte, limit int, numbers bool) []byte {
	for i := 0; i < limit; {
		end, key := r.span(b, i, numbers)
		switch {
		case key:
			dst = append(dst, keyMask...)
		case numbers && end-i >= minNumberDigits:
			for range min(end, limit) - i {
				dst = append(dst, '#')
			}
		case end > i:
			dst = append(dst, b[i:min(end, limit)]...)
		default:
			dst = append(dst, b[i])
			end = i + 1
		}
		i = end
	}
	return dst
}

// span is the piece of b that starts at i: key occurrences and (with
// numbers) digits, glued together. key tells whether a key occurrence is
// in it; end == i when b[i] starts neither.
func (r *Redactor) span(b []byte, i int, numbers bool) (end int, key bool) {
	j := i
	for j < len(b) {
		if n := r.keyAt(b, j); n > 0 {
			j += n
			key = true
			continue
		}
		if numbers && isDigit(b[j]) {
			j++
			continue
		}
		break
	}
	return j, key
}

// keyAt is the length of the key form b holds at i, else of the longest
// start of a key form, partialKeyMin bytes or more, that b holds there; 0
// if neither.
func (r *Redactor) keyAt(b []byte, i int) int {
	if r == nil {
		return 0
	}
	rest := b[i:]
	longest := 0
	for _, f := range r.forms {
		if bytes.HasPrefix(rest, f) {
			return len(f)
		}
		n := 0
		for n < len(f) && n < len(rest) && rest[n] == f[n] {
			n++
		}
		if n >= partialKeyMin {
			longest = max(longest, n)
		}
	}
	return longest
}

// redactFields redacts the `error` fields, keys and values. Two keys that
// redact to the same text keep both values, joined in the order of their
// raw keys.
func (r *Redactor) redactFields(fields map[string]string) map[string]string {
	if fields == nil {
		return nil
	}
	out := make(map[string]string, len(fields))
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		rk, v := r.String(k), r.String(fields[k])
		if prev, ok := out[rk]; ok {
			v = prev + "; " + v
		}
		out[rk] = v
	}
	return out
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
