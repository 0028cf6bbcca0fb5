package sandbox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

const (
	sid       = "HXTEST0000001IN"
	key       = "test-key-0123456789"
	lowSID    = "HXLOWBAL00002IN"
	lowKey    = "low-key"
	noCntSID  = "HXNOCNT000003IN"
	noCntKey  = "nocnt-key"
	bigNumber = "+919400000001" // v2, 300 generated wa_ids
	v1Number  = "+919400000002" // v1, 3 wa_ids
	offNumber = "+919400000003" // v2, inactive
	nilNumber = "+919400000004" // v2, nothing blocked
)

var v1Blocked = []string{"919812345678", "447700900123", "14155550123"}

// explicitBlocklist is the head of the test account's blocklist; 250
// generated rows follow it.
var explicitBlocklist = []sandbox.BlocklistEntry{
	{Mobile: "+919812345678", Channel: "sms"},
	{Mobile: "+919812345678", Channel: "whatsapp"},
	{Mobile: "+447700900123", Channel: "voice"},
	{Mobile: "+14155550123", Channel: "whatsapp"},
	{Mobile: "+919812345678", Channel: "voice"},
}

func testSeed() sandbox.Seed {
	return sandbox.Seed{Accounts: []sandbox.Account{
		{
			SID:    sid,
			APIKey: key,
			WhatsAppNumbers: []sandbox.WhatsAppNumber{
				{PhoneNumber: bigNumber, GenerateBlocked: 300},
				{PhoneNumber: v1Number, APIVersion: "v1", Blocked: v1Blocked},
				{PhoneNumber: offNumber, APIVersion: "v2", Inactive: true, Blocked: []string{"919898989898"}},
				{PhoneNumber: nilNumber},
			},
			Blocklist:         explicitBlocklist,
			GenerateBlocklist: 250,
		},
		{SID: lowSID, APIKey: lowKey, LowBalance: true},
		{SID: noCntSID, APIKey: noCntKey, ContactsUnavailable: true},
	}}
}

func newServer(t testing.TB, opts sandbox.Options) *sandbox.Server {
	t.Helper()
	s, err := sandbox.New(testSeed(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func startServer(t testing.TB, opts sandbox.Options) *sandbox.Server {
	t.Helper()
	s, err := sandbox.Start(testSeed(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// get serves GET target with the api-key header (none if apiKey is "").
func get(t testing.TB, h http.Handler, target, apiKey string) *httptest.ResponseRecorder {
	t.Helper()
	return do(t, h, http.MethodGet, target, apiKey)
}

func do(t testing.TB, h http.Handler, method, target, apiKey string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	if apiKey != "" {
		req.Header.Set("api-key", apiKey)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func waPath(version, number string, q url.Values) string {
	p := "/" + version + "/" + sid + "/whatsapp/" + strings.ReplaceAll(number, "+", "%2B") + "/block_users"
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return p
}

func contactsPath(q url.Values) string {
	p := "/v1/" + sid + "/contacts/blocklisted"
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return p
}

// assertBody checks status, content type and the exact body (compacted,
// fields in order).
func assertBody(t testing.TB, rec *httptest.ResponseRecorder, status int, want string) {
	t.Helper()
	if rec.Code != status {
		t.Errorf("status = %d, want %d (body %s)", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(want)); err != nil {
		t.Fatalf("bad want JSON: %v", err)
	}
	if got := strings.TrimSpace(rec.Body.String()); got != compact.String() {
		t.Errorf("body\n got: %s\nwant: %s", got, compact.String())
	}
}

// Documented error bodies, verbatim from the API pages.
const (
	bodyRBC001 = `{"code":"RBC001","message":"Incorrect SID or API key.","data":[],"error":{"error":"Incorrect SID or API key."}}`
	bodyWA400  = `{"code":"WA400","message":"Refer to correct payload format","data":{},"error":{"payload":"Incorrect payload format"}}`
	bodyWA401  = `{"code":"WA401","message":"Phone number is not present or does not belong to the account.","data":{},"error":{"phone_number":"Phone number is not present or does not belong to the account."}}`
	bodyWA401i = `{"code":"WA401","message":"The phone number you're using not active","data":{},"error":{"phone_number":"The phone number you're using not active"}}`
	bodyVer    = `{"code":"WA-401","message":"The phone number you're using is associated with different Version of our WA API. Please use the appropriate endpoint.","data":{},"error":{"phone_number":"The phone number you're using is associated with different Version of our WA API. Please use the appropriate endpoint."}}`
	bodyAcct   = `{"code":"WA-401","message":"API is not available for given customer.Please contact support for more info","data":{},"error":{"account":"API is not available for given customer.Please contact support for more info"}}`
	bodyE110   = `{"code":"E110","message":"Please check your balance, You have a low balance!","data":{},"error":{"balance":"Please check your balance, You have a low balance!"}}`
	bodyWA500  = `{"code":"WA500","message":"Please try again later","data":{},"error":{"error":"Internal server error"}}`
	bodyCNT195 = `{"code":"CNT195","message":"Unable to fetch the blocklisted number","data":[],"error":{"description":"Unable to fetch the blocklisted number"}}`
	body139102 = `{"code":"139102","message":"The blocklist changed while it was being paged. Start again from the first page.","data":{},"error":{"code":"139102","message":"The blocklist changed while it was being paged. Start again from the first page."}}`
)

type waPage struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Data    []struct {
		MessagingProduct string `json:"messaging_product"`
		WAID             string `json:"wa_id"`
	} `json:"data"`
	Paging *struct {
		Cursors struct {
			Before string `json:"before"`
			After  string `json:"after"`
		} `json:"cursors"`
		Next *string `json:"next"`
	} `json:"paging"`
}

func decodeWAPage(t testing.TB, body []byte) waPage {
	t.Helper()
	var p waPage
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if p.Code != "WA200" || p.Message != "Request Processed Successfully" {
		t.Fatalf("not a WA200 page: %s", body)
	}
	return p
}

func (p waPage) ids() []string {
	out := make([]string, len(p.Data))
	for i, d := range p.Data {
		out[i] = d.WAID
	}
	return out
}

type contactsPage struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Data    []struct {
		Mobile      string `json:"mobile"`
		ChannelType string `json:"channel_type"`
	} `json:"data"`
	Error map[string]string `json:"error"`
}

func decodeContacts(t testing.TB, rec *httptest.ResponseRecorder) contactsPage {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var p contactsPage
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Code != "CNT196" || p.Message != "Successfully fetched blocklisted number(s)" || p.Error == nil || len(p.Error) != 0 {
		t.Fatalf("not a CNT196 page: %s", rec.Body)
	}
	return p
}

func (p contactsPage) rows() []string {
	out := make([]string, len(p.Data))
	for i, d := range p.Data {
		out[i] = d.Mobile + "/" + d.ChannelType
	}
	return out
}

// httpGet is a real client GET against a started server.
func httpGet(t testing.TB, client *http.Client, rawURL, apiKey string) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if apiKey != "" {
		req.Header.Set("api-key", apiKey)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func mobiles(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("+9170000%05d", i)
	}
	return out
}

// mustWriteFile writes a test input file or stops the test.
func mustWriteFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
