package sandbox_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

// TestDocumentedAnswers asserts the exact status and body of every
// documented case, and of the sandbox's strictness (WA400).
func TestDocumentedAnswers(t *testing.T) {
	s := newServer(t, sandbox.Options{})
	wa := func(q string) string { return "/v2/" + sid + "/whatsapp/%2B919400000004/block_users" + q }
	ct := func(q string) string { return "/v1/" + sid + "/contacts/blocklisted" + q }
	hundredOne := strings.Join(mobiles(101), ",")
	hundredOneEscaped := url.QueryEscape(hundredOne)

	tests := []struct {
		name   string
		method string
		target string
		apiKey string
		status int
		body   string
	}{
		// Success envelopes.
		{"wa empty list", "", wa(""), key, 200, `{"code":"WA200","message":"Request Processed Successfully","data":[]}`},
		{"wa v1", "", "/v1/" + sid + "/whatsapp/+919400000002/block_users?limit=1", key, 200, "" /* checked below */},
		{"contacts one", "", ct("?mobile=%2B447700900123"), key, 200,
			`{"code":"CNT196","message":"Successfully fetched blocklisted number(s)","data":[{"mobile":"+447700900123","channel_type":"2"}],"error":{}}`},
		{"contacts none blocklisted", "", ct("?mobile=%2B919999999999&channel=sms"), key, 200,
			`{"code":"CNT196","message":"Successfully fetched blocklisted number(s)","data":[],"error":{}}`},
		{"contacts sample request", "", ct("?limit=3&offset=0&channel=whatsapp&mobile=%2B919812345678%2C%20%2B14155550123"), key, 200,
			`{"code":"CNT196","message":"Successfully fetched blocklisted number(s)","data":[{"mobile":"+919812345678","channel_type":"3"},{"mobile":"+14155550123","channel_type":"3"}],"error":{}}`},

		// Authentication.
		{"wa no key", "", wa(""), "", 401, bodyRBC001},
		{"wa wrong key", "", wa(""), "nope", 401, bodyRBC001},
		{"wa unknown sid", "", "/v2/HXNOPE/whatsapp/%2B919400000004/block_users", key, 401, bodyRBC001},
		{"wa other account's key", "", wa(""), lowKey, 401, bodyRBC001},
		{"contacts no key", "", ct(""), "", 401, bodyRBC001},
		{"contacts wrong key", "", ct(""), key + "x", 401, bodyRBC001},
		{"auth before validation", "", ct("?limit=0"), "", 401, bodyRBC001},

		// WhatsApp numbers.
		{"wa unknown number", "", "/v2/" + sid + "/whatsapp/%2B919400000099/block_users", key, 401, bodyWA401},
		{"wa other account's number", "", "/v2/" + lowSID + "/whatsapp/%2B919400000001/block_users", lowKey, 401, bodyWA401},
		{"wa v2 number on v1", "", "/v1/" + sid + "/whatsapp/%2B919400000001/block_users", key, 401, bodyVer},
		{"wa v1 number on v2", "", "/v2/" + sid + "/whatsapp/+919400000002/block_users", key, 401, bodyVer},
		{"wa inactive", "", "/v2/" + sid + "/whatsapp/%2B919400000003/block_users", key, 401, bodyWA401i},
		{"wa number without plus", "", "/v2/" + sid + "/whatsapp/919400000001/block_users", key, 400, bodyWA400},
		{"wa number with space", "", "/v2/" + sid + "/whatsapp/%20919400000001/block_users", key, 400, bodyWA400},

		// WhatsApp strictness.
		{"wa POST", http.MethodPost, wa(""), key, 400, bodyWA400},
		{"wa DELETE", http.MethodDelete, wa(""), key, 400, bodyWA400},
		{"wa unknown param", "", wa("?limit=5&page=2"), key, 400, bodyWA400},
		{"wa param case", "", wa("?Limit=5"), key, 400, bodyWA400},
		{"wa repeated limit", "", wa("?limit=5&limit=5"), key, 400, bodyWA400},
		{"wa limit 0", "", wa("?limit=0"), key, 400, bodyWA400},
		{"wa limit 1001", "", wa("?limit=1001"), key, 400, bodyWA400},
		{"wa limit text", "", wa("?limit=ten"), key, 400, bodyWA400},
		{"wa limit signed", "", wa("?limit=%2B5"), key, 400, bodyWA400},
		{"wa limit negative", "", wa("?limit=-5"), key, 400, bodyWA400},
		{"wa limit empty", "", wa("?limit="), key, 400, bodyWA400},
		{"wa limit float", "", wa("?limit=5.0"), key, 400, bodyWA400},
		{"wa limit huge", "", wa("?limit=99999999999999999999999"), key, 400, bodyWA400},
		{"wa bad escape", "", wa("?limit=%zz"), key, 400, bodyWA400},
		{"wa semicolon", "", wa("?limit=5;after=x"), key, 400, bodyWA400},
		{"wa empty after", "", wa("?after="), key, 400, bodyWA400},
		{"wa garbage after", "", wa("?after=MTANTEOTQ1MXXXXXXXXXX"), key, 400, bodyWA400},
		{"wa garbage before", "", wa("?before=NDMyNzQyXXXXXXXX"), key, 400, bodyWA400},

		// Contacts strictness.
		{"contacts POST", http.MethodPost, ct(""), key, 400, bodyWA400},
		{"contacts unknown param", "", ct("?page=1"), key, 400, bodyWA400},
		{"contacts repeated mobile", "", ct("?mobile=%2B919812345678&mobile=%2B14155550123"), key, 400, bodyWA400},
		{"contacts limit 0", "", ct("?limit=0"), key, 400, bodyWA400},
		{"contacts limit 101", "", ct("?limit=101"), key, 400, bodyWA400},
		{"contacts offset negative", "", ct("?offset=-1"), key, 400, bodyWA400},
		{"contacts offset text", "", ct("?offset=first"), key, 400, bodyWA400},
		{"contacts channel upper", "", ct("?channel=SMS"), key, 400, bodyWA400},
		{"contacts channel empty", "", ct("?channel="), key, 400, bodyWA400},
		{"contacts channel unknown", "", ct("?channel=rcs"), key, 400, bodyWA400},
		{"contacts literal plus", "", ct("?mobile=+919812345678"), key, 400, bodyWA400},
		{"contacts literal plus in list", "", ct("?mobile=%2B919812345678,+14155550123"), key, 400, bodyWA400},
		{"contacts no plus", "", ct("?mobile=919812345678"), key, 400, bodyWA400},
		{"contacts empty mobile", "", ct("?mobile="), key, 400, bodyWA400},
		{"contacts empty item", "", ct("?mobile=%2B919812345678,,%2B14155550123"), key, 400, bodyWA400},
		{"contacts trailing comma", "", ct("?mobile=%2B919812345678,"), key, 400, bodyWA400},
		{"contacts too short", "", ct("?mobile=%2B9112345"), key, 400, bodyWA400},
		{"contacts too long", "", ct("?mobile=%2B9112345678901234"), key, 400, bodyWA400},
		{"contacts 101 mobiles", "", ct("?mobile=" + hundredOneEscaped), key, 400, bodyWA400},

		// Account states: after authentication and validation.
		{"contacts low balance", "", "/v1/" + lowSID + "/contacts/blocklisted", lowKey, 400, bodyE110},
		{"contacts unavailable", "", "/v1/" + noCntSID + "/contacts/blocklisted?channel=sms", noCntKey, 401, bodyAcct},
		{"low balance still validates", "", "/v1/" + lowSID + "/contacts/blocklisted?limit=500", lowKey, 400, bodyWA400},

		// Unknown paths.
		{"root", "", "/", key, 404, ""},
		{"v3", "", "/v3/" + sid + "/whatsapp/%2B919400000001/block_users", key, 404, ""},
		{"contacts on v2", "", "/v2/" + sid + "/contacts/blocklisted", key, 404, ""},
		{"trailing slash", "", ct("/"), key, 404, ""},
		{"double slash", "", "/v1//contacts/blocklisted", key, 404, ""},
		{"escaped slash in sid", "", "/v1/HX%2FTEST/contacts/blocklisted", key, 401, bodyRBC001},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			rec := do(t, s, method, tc.target, tc.apiKey)
			switch {
			case tc.status == 404:
				if rec.Code != 404 || !strings.HasPrefix(rec.Body.String(), `{"code":"WA404","message":"Requested resource not found","data":{},"error":{"path":"No API at `) {
					t.Errorf("got %d %s", rec.Code, rec.Body)
				}
			case tc.body == "":
				if rec.Code != tc.status {
					t.Errorf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
				}
			default:
				assertBody(t, rec, tc.status, tc.body)
			}
		})
	}
}

func TestWhatsAppPlusAndEscapedPlusInPath(t *testing.T) {
	s := newServer(t, sandbox.Options{})
	var bodies []string
	for _, spelling := range []string{"+", "%2B", "%2b"} {
		rec := get(t, s, "/v1/"+sid+"/whatsapp/"+spelling+"919400000002/block_users", key)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", spelling, rec.Code, rec.Body)
		}
		if got := decodeWAPage(t, rec.Body.Bytes()).ids(); !slices.Equal(got, v1Blocked) {
			t.Errorf("%s: ids %v, want %v", spelling, got, v1Blocked)
		}
		bodies = append(bodies, rec.Body.String())
	}
	// Every spelling gives the same cursors: the number is decoded first.
	if bodies[0] != bodies[1] || bodies[0] != bodies[2] {
		t.Errorf("bodies differ:\n%s", strings.Join(bodies, "\n"))
	}
	for _, r := range s.Requests() {
		if r.Path != "/v1/"+sid+"/whatsapp/+919400000002/block_users" {
			t.Errorf("logged path %q", r.Path)
		}
	}
}

func TestWhatsAppV1SuccessEnvelope(t *testing.T) {
	s := newServer(t, sandbox.Options{})
	rec := get(t, s, "/v1/"+sid+"/whatsapp/+919400000002/block_users?limit=2", key)
	body := rec.Body.String()
	const head = `{"code":"WA200","message":"Request Processed Successfully","data":[{"messaging_product":"whatsapp","wa_id":"919812345678"},{"messaging_product":"whatsapp","wa_id":"447700900123"}],"paging":{"cursors":{"before":"`
	if rec.Code != 200 || !strings.HasPrefix(body, head) || strings.Contains(body, `"error"`) || strings.Contains(body, `"next"`) {
		t.Errorf("got %d %s", rec.Code, body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestWhatsAppLimits(t *testing.T) {
	s := newServer(t, sandbox.Options{})
	for _, tc := range []struct {
		query string
		rows  int
	}{{"", 25}, {"?limit=1", 1}, {"?limit=25", 25}, {"?limit=299", 299}, {"?limit=1000", 300}, {"?limit=007", 7}} {
		rec := get(t, s, waPath("v2", bigNumber, nil)+tc.query, key)
		if rec.Code != 200 {
			t.Fatalf("%q: %d %s", tc.query, rec.Code, rec.Body)
		}
		if n := len(decodeWAPage(t, rec.Body.Bytes()).Data); n != tc.rows {
			t.Errorf("%q: %d rows, want %d", tc.query, n, tc.rows)
		}
	}
}

func TestContactsPlusVersusEscapedPlus(t *testing.T) {
	s := newServer(t, sandbox.Options{})
	// url.Values encodes '+' as %2B: accepted.
	q := url.Values{"mobile": {"+919812345678,+14155550123"}}
	if !strings.Contains(q.Encode(), "%2B919812345678") {
		t.Fatalf("encode: %s", q.Encode())
	}
	p := decodeContacts(t, get(t, s, contactsPath(q), key))
	want := []string{"+919812345678/1", "+919812345678/3", "+14155550123/3", "+919812345678/2"}
	if got := p.rows(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("rows %v, want %v (stored order)", got, want)
	}
	// A literal '+' decodes to a space: rejected, never repaired.
	assertBody(t, get(t, s, contactsPath(nil)+"?mobile=+919812345678", key), 400, bodyWA400)
	// Spaces around items (as in the docs' sample) are trimmed.
	p = decodeContacts(t, get(t, s, contactsPath(nil)+"?mobile=%2B14155550123%2C%20%20%2B447700900123%20", key))
	if got := p.rows(); strings.Join(got, " ") != "+447700900123/2 +14155550123/3" {
		t.Errorf("rows %v", got)
	}
	reqs := s.Requests()
	if got := reqs[2].Mobiles; len(got) != 2 || got[0] != "+14155550123" || got[1] != "+447700900123" {
		t.Errorf("logged mobiles %q", got)
	}
	if got := reqs[1].Mobiles; len(got) != 1 || got[0] != "919812345678" {
		t.Errorf("logged mobiles of the literal '+' request %q", got)
	}
}

func TestContactsMobileCap(t *testing.T) {
	s := newServer(t, sandbox.Options{})
	hundred := append(mobiles(99), "+919812345678")
	p := decodeContacts(t, get(t, s, contactsPath(url.Values{"mobile": {strings.Join(hundred, ",")}}), key))
	if len(p.Data) != 3 {
		t.Errorf("100 mobiles: %d rows, want 3", len(p.Data))
	}
	over := append(mobiles(100), "+919812345678")
	assertBody(t, get(t, s, contactsPath(url.Values{"mobile": {strings.Join(over, ",")}}), key), 400, bodyWA400)
	// Duplicates count towards the cap but give each row once.
	dup := []string{"+919812345678", "+919812345678", " +919812345678"}
	p = decodeContacts(t, get(t, s, contactsPath(url.Values{"mobile": {strings.Join(dup, ",")}}), key))
	if len(p.Data) != 3 {
		t.Errorf("duplicated mobile: %d rows, want 3", len(p.Data))
	}
}

func TestContactsPagingAndFilters(t *testing.T) {
	s := newServer(t, sandbox.Options{})
	// The whole blocklist in pages of 7: 5 explicit rows, then 250 generated.
	var all []string
	for offset := 0; ; offset += 7 {
		p := decodeContacts(t, get(t, s, contactsPath(url.Values{"limit": {"7"}, "offset": {strconv.Itoa(offset)}}), key))
		all = append(all, p.rows()...)
		if len(p.Data) < 7 {
			break
		}
	}
	if len(all) != 255 {
		t.Fatalf("%d rows, want 255", len(all))
	}
	if all[0] != "+919812345678/1" || all[4] != "+919812345678/2" {
		t.Errorf("stored order lost: %v", all[:5])
	}
	seen := map[string]bool{}
	perChannel := map[string]int{}
	perMobile := map[string]int{}
	for _, r := range all {
		if seen[r] {
			t.Errorf("duplicate row %s", r)
		}
		seen[r] = true
		mobile, ct, _ := strings.Cut(r, "/")
		perChannel[ct]++
		perMobile[mobile]++
	}
	multi := 0
	for _, n := range perMobile {
		if n > 1 {
			multi++
		}
	}
	if multi < 10 {
		t.Errorf("only %d numbers on several channels", multi)
	}

	// Default limit 100, offset 0.
	if p := decodeContacts(t, get(t, s, contactsPath(nil), key)); len(p.Data) != 100 || p.rows()[0] != all[0] {
		t.Errorf("default page: %d rows", len(p.Data))
	}
	// Offset past the end.
	if p := decodeContacts(t, get(t, s, contactsPath(url.Values{"offset": {"255"}}), key)); len(p.Data) != 0 {
		t.Errorf("offset 255: %d rows", len(p.Data))
	}
	if p := decodeContacts(t, get(t, s, contactsPath(url.Values{"offset": {"2147483647"}}), key)); len(p.Data) != 0 {
		t.Errorf("offset max: %d rows", len(p.Data))
	}

	// Channel filter, paged: the same rows as filtering the whole list.
	for name, code := range sandbox.ChannelTypes {
		var got []string
		for offset := 0; ; offset += 13 {
			p := decodeContacts(t, get(t, s, contactsPath(url.Values{"channel": {name}, "limit": {"13"}, "offset": {strconv.Itoa(offset)}}), key))
			got = append(got, p.rows()...)
			if len(p.Data) < 13 {
				break
			}
		}
		var want []string
		for _, r := range all {
			if strings.HasSuffix(r, "/"+code) {
				want = append(want, r)
			}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") || len(want) != perChannel[code] {
			t.Errorf("channel %s: %d rows, want %d", name, len(got), len(want))
		}
	}

	// Mobile + channel filter, paged within the filtered rows.
	q := url.Values{"mobile": {"+919812345678"}, "limit": {"1"}, "offset": {"1"}}
	if got := decodeContacts(t, get(t, s, contactsPath(q), key)).rows(); len(got) != 1 || got[0] != "+919812345678/3" {
		t.Errorf("mobile page 2: %v", got)
	}
	q = url.Values{"mobile": {"+919812345678,+447700900123"}, "channel": {"voice"}}
	if got := decodeContacts(t, get(t, s, contactsPath(q), key)).rows(); strings.Join(got, " ") != "+447700900123/2 +919812345678/2" {
		t.Errorf("mobile+channel: %v", got)
	}
}

func TestChannelTypesExported(t *testing.T) {
	want := map[string]string{"sms": "1", "voice": "2", "whatsapp": "3"}
	if len(sandbox.ChannelTypes) != 3 {
		t.Fatalf("ChannelTypes = %v", sandbox.ChannelTypes)
	}
	for k, v := range want {
		if sandbox.ChannelTypes[k] != v {
			t.Errorf("ChannelTypes[%s] = %q, want %q", k, sandbox.ChannelTypes[k], v)
		}
	}
}
