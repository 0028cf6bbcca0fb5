package kaleyra_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

// echoingGatewayPage is a gateway's 502 page that shows the request it could not
// pass on: the request line with its query, and the api-key header.
const echoingGatewayPage = `<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>` +
	`<p>The upstream server did not answer.</p><pre>api-key: {api_key}
{method} {path}?{query} HTTP/1.1</pre></body></html>`

// TestEchoingAnswersShowNoNumberNorKey: whatever a server echoes of the
// request (numbers as written, bare or %2B-encoded, the query, the
// api-key header), in an envelope, a page, a body cut mid-way, a malformed
// HTTP answer or a row it cannot decode, neither the error nor any log
// line holds a number looked up or the key. Each case also checks that the
// echo reached the client, masked.
func TestEchoingAnswersShowNoNumberNorKey(t *testing.T) {
	numbers := []string{"+919812345601", "+447700900123", "+14155550123"}
	cases := []struct {
		name   string
		fault  sandbox.Fault
		raw    func(t *testing.T, requestLine, apiKey string) string // instead of the sandbox: a malformed HTTP answer
		wa     bool                                                  // read the WhatsApp list instead of the lookup
		asKind func(error) bool
		masked string // in the error: what the echo turned into
	}{
		{
			name: "Kaleyra's envelope naming the numbers",
			fault: sandbox.Fault{
				API: "contacts", Status: 400, Message: "Invalid mobile {mobile}", EchoRequest: true,
				Fields: map[string]string{"mobile": "{mobile_digits} is not a valid number", "request": "{query}", "{mobile}": "rejected"},
			},
			asKind: isAPIError,
			// The batch's numbers are sent sorted: +1415… first.
			masked: "Invalid mobile +########### (+###########: rejected; mobile: ########### is not a valid number; " +
				"request: limit=100&mobile=%2B###########%2C%2B############%2C%2B############&offset=0)",
		},
		{
			name: "Kaleyra's envelope naming the key",
			fault: sandbox.Fault{
				API: "contacts", Status: 401, Code: "RBC001", Message: "Invalid API key {api_key}", EchoRequest: true,
				Fields: map[string]string{"api-key": "{api_key}"},
			},
			asKind: isAPIError,
			masked: "Invalid API key *** (api-key: ***)",
		},
		{
			name:   "a gateway's page showing the request",
			fault:  sandbox.Fault{API: "contacts", Status: 502, RawBody: echoingGatewayPage, EchoRequest: true, Times: -1},
			asKind: isUnexpected,
			masked: `api-key: ***\nGET /v1/HXCLIENT#######IN/co"…`,
		},
		{
			name:   "a gateway's page showing a WhatsApp request",
			fault:  sandbox.Fault{API: "whatsapp", Status: 502, RawBody: echoingGatewayPage, EchoRequest: true, Times: -1},
			wa:     true,
			asKind: isUnexpected,
			masked: `api-key: ***\nGET /v2/HXCLIENT#######IN/wh"…`,
		},
		{
			// The connection breaks inside the echoed key: 20 bytes, the
			// key (36), 30 bytes; half of it arrives.
			name:   "a page cut off inside the key",
			fault:  sandbox.Fault{API: "contacts", RawBody: "<pre>echo api-key: {api_key} the rest of the page....</pre>", EchoRequest: true, Truncate: true, Times: -1},
			asKind: isRequestError,
			masked: `starting with "<pre>echo api-key: ***"`,
		},
		{
			// encoding/json quotes some numbers it cannot decode (an int
			// that overflows, a map key); today's rows name only the type.
			name:   "a row whose mobile is a JSON number",
			fault:  sandbox.Fault{API: "contacts", RawBody: `{"code":"CNT196","message":"ok","data":[{"mobile":{mobile_digits},"channel_type":"1"}]}`, ContentType: "application/json", EchoRequest: true},
			asKind: func(err error) bool { return strings.Contains(err.Error(), "decoding the Contacts rows") },
			masked: "cannot unmarshal number",
		},
		{
			name: "a malformed HTTP answer quoting the request",
			raw: func(_ *testing.T, requestLine, apiKey string) string {
				return "HTTP/1.1 200 OK\r\n" + requestLine + " api-key " + apiKey + "\r\n\r\n"
			},
			asKind: isRequestError,
			masked: `"GET /v1/HXCLIENT#######IN/contacts/blocklisted?limit=100&mobile=%2B###########%2C%2B############%2C%2B############&offset=0 api-key ***"`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var baseURL string
			if tc.raw != nil {
				baseURL = rawHTTPServer(t, tc.raw)
			} else {
				sb := startSandbox(t, testSeed(waIDs(919900000000, 12), blocklistEntries(5)), sandbox.Options{})
				sb.AddFault(tc.fault)
				baseURL = sb.URL()
			}
			log := &recordingLogger{}
			c := newClient(t, baseURL, func(cfg *kaleyra.Config) { cfg.Logger = log })
			var err error
			if tc.wa {
				_, _, err = c.WhatsAppBlockedUsers(context.Background(), kaleyra.WhatsAppListRequest{PhoneNumber: v2Number})
			} else {
				_, _, err = c.ContactsBlocklisted(context.Background(), kaleyra.ContactsListRequest{Mobiles: numbers})
			}
			if err == nil || !tc.asKind(err) {
				t.Fatalf("error %v (%T), not the kind the case means", err, err)
			}
			if !strings.Contains(err.Error(), tc.masked) {
				t.Errorf("the error does not show the echo masked (%s):\n%v", tc.masked, err)
			}
			texts := []string{err.Error()}
			for _, e := range log.all() {
				texts = append(texts, fmt.Sprintf("%s %s %v", e.level, e.msg, e.fields))
			}
			// (The business number is the user's own, in every path the
			// log names; the lookup's numbers never show.)
			for _, text := range texts {
				assertNothingPersonal(t, text, numbers, testAPIKey)
			}
		})
	}
}

func isAPIError(err error) bool {
	var e *kaleyra.APIError
	return errors.As(err, &e)
}

func isUnexpected(err error) bool {
	var e *kaleyra.UnexpectedResponseError
	return errors.As(err, &e)
}

func isRequestError(err error) bool {
	var e *kaleyra.RequestError
	return errors.As(err, &e)
}

// assertNothingPersonal fails when text holds a number in any form (as
// written, bare, %2B-encoded), the key, or either half of the key.
func assertNothingPersonal(t *testing.T, text string, numbers []string, key string) {
	t.Helper()
	for _, n := range numbers {
		digits := strings.TrimPrefix(n, "+")
		for _, form := range []string{n, digits, "%2B" + digits} {
			if strings.Contains(text, form) {
				t.Errorf("the number %s shows as %q in:\n%s", n, form, text)
			}
		}
	}
	half := len(key) / 2
	for _, piece := range []string{key, key[:half], key[half:]} {
		if strings.Contains(text, piece) {
			t.Errorf("the key shows (%q) in:\n%s", piece, text)
		}
	}
}

// rawHTTPServer answers every request with what answer makes of its
// request line and api-key header, then closes the connection: an answer
// net/http cannot parse, so the error quotes it.
func rawHTTPServer(t *testing.T, answer func(t *testing.T, requestLine, apiKey string) string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { _ = conn.Close() }()
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					return
				}
				_, _ = conn.Write([]byte(answer(t, req.Method+" "+req.URL.RequestURI(), req.Header.Get("api-key"))))
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}
