package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

// WhatsApp paging bounds: limit is 1..1000, 25 by default (documented).
const (
	WhatsAppDefaultLimit = 25
	WhatsAppMaxLimit     = 1000
)

type waUser struct {
	MessagingProduct string `json:"messaging_product"`
	WAID             string `json:"wa_id"`
}

// whatsapp answers GET /{v1|v2}/{sid}/whatsapp/{phone_number}/block_users
// for an authenticated account.
//
// Cursors are positions in the number's stored list: a page [start, end)
// carries before = cursor(start) and after = cursor(end). after=c gives the
// rows from c on; before=c the limit rows ending at c. The docs' sample sends
// both; then both must be valid and after wins.
func (s *Server) whatsapp(r *http.Request, rt route, acc *account, q url.Values, cursorLoop bool) response {
	if !onlyParams(q, "limit", "before", "after") {
		return badRequest()
	}
	limit, ok := intParam(q, "limit", 1, WhatsAppMaxLimit, WhatsAppDefaultLimit)
	if !ok || !e164Pattern.MatchString(rt.phone) {
		return badRequest()
	}
	num := acc.numbers[rt.phone]
	switch {
	case num == nil:
		return documented(codeNumber, "whatsapp")
	case num.version != rt.version:
		return documented(codeUnavailable, "whatsapp")
	case num.inactive:
		return numberInactive()
	}
	s.mu.RLock()
	blocked := num.blocked
	s.mu.RUnlock()
	total := len(blocked)

	after, hasAfter := param(q, "after")
	before, hasBefore := param(q, "before")
	afterPos, okAfter := s.decodeCursor(acc.sid, num.phone, after)
	beforePos, okBefore := s.decodeCursor(acc.sid, num.phone, before)
	if (hasAfter && !okAfter) || (hasBefore && !okBefore) {
		return badRequest()
	}
	var start, end int
	switch {
	case hasAfter:
		start = min(afterPos, total)
		end = start + s.pageLen(start, limit, total)
	case hasBefore:
		end = min(beforePos, total)
		start = max(0, end-limit)
	default:
		end = s.pageLen(0, limit, total)
	}

	env := envelope{Code: codeWhatsAppOK, Message: msgWhatsAppOK}
	if start == end {
		// Past the end (or an empty list): no rows, no paging.
		env.Data = emptyArray
		return jsonResponse(http.StatusOK, env)
	}
	users := make([]waUser, end-start)
	for i, id := range blocked[start:end] {
		users[i] = waUser{MessagingProduct: "whatsapp", WAID: id}
	}
	env.Data = users
	p := &paging{Cursors: cursors{
		Before: s.cursor(acc.sid, num.phone, start),
		After:  s.cursor(acc.sid, num.phone, end),
	}}
	if cursorLoop {
		// An after cursor handed out earlier in this listing: the one that
		// led here, or on a first page the cursor of its own start.
		p.Cursors.After = p.Cursors.Before
		if hasAfter {
			p.Cursors.After = after
		}
	}
	if s.opts.PagingNext && end < total {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		next := url.Values{"limit": {strconv.Itoa(limit)}, "after": {p.Cursors.After}}
		p.Next = scheme + "://" + r.Host + r.URL.EscapedPath() + "?" + next.Encode()
	}
	env.Paging = p
	return jsonResponse(http.StatusOK, env)
}

// pageLen is how many rows a forward page from start holds. With RaggedPages,
// a middle page (not the first, and not the one reaching the end) holds a
// deterministic 1..limit-1 rows.
func (s *Server) pageLen(start, limit, total int) int {
	n := min(limit, total-start)
	if s.opts.RaggedPages && start > 0 && limit > 1 && start+limit < total {
		h := uint64(start)*0x9E3779B97F4A7C15 ^ uint64(limit)
		h ^= h >> 29
		n = 1 + int(h%uint64(limit-1))
	}
	return n
}

// Cursors are base64url(version byte, uvarint position, truncated
// HMAC-SHA256 over sid, phone number and the rest), keyed per Server: opaque,
// bound to one number, and any tampering fails.
const (
	cursorVersion = 1
	cursorMACLen  = 12
	maxCursorPos  = 1 << 31
)

var cursorEncoding = base64.RawURLEncoding.Strict()

func (s *Server) cursor(sid, phone string, pos int) string {
	payload := binary.AppendUvarint([]byte{cursorVersion}, uint64(pos))
	return cursorEncoding.EncodeToString(append(payload, s.cursorMAC(sid, phone, payload)...))
}

func (s *Server) decodeCursor(sid, phone, c string) (int, bool) {
	raw, err := cursorEncoding.DecodeString(c)
	if err != nil || len(raw) < 2+cursorMACLen || raw[0] != cursorVersion {
		return 0, false
	}
	payload, mac := raw[:len(raw)-cursorMACLen], raw[len(raw)-cursorMACLen:]
	if !hmac.Equal(mac, s.cursorMAC(sid, phone, payload)) {
		return 0, false
	}
	pos, n := binary.Uvarint(payload[1:])
	if n != len(payload)-1 || pos > maxCursorPos {
		return 0, false
	}
	return int(pos), true
}

func (s *Server) cursorMAC(sid, phone string, payload []byte) []byte {
	h := hmac.New(sha256.New, s.cursorKey)
	h.Write([]byte(sid))
	h.Write([]byte{0})
	h.Write([]byte(phone))
	h.Write([]byte{0})
	h.Write(payload)
	return h.Sum(nil)[:cursorMACLen]
}

// onlyParams reports whether every query parameter is one of allowed and
// none is repeated.
func onlyParams(q url.Values, allowed ...string) bool {
	for k, v := range q {
		if len(v) != 1 || !slices.Contains(allowed, k) {
			return false
		}
	}
	return true
}

// param returns a parameter's single value (see onlyParams).
func param(q url.Values, name string) (string, bool) {
	v, ok := q[name]
	if !ok {
		return "", false
	}
	return v[0], true
}

// intParam parses a decimal integer parameter in [lo, hi]: digits only, no
// sign, no spaces. An absent parameter gives def.
func intParam(q url.Values, name string, lo, hi, def int) (int, bool) {
	s, ok := param(q, name)
	if !ok {
		return def, true
	}
	if s == "" || len(s) > 18 {
		return 0, false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, false
	}
	return n, true
}
