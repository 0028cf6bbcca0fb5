package provider

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

// The privacy tests run the Terraform CLI the way a user does (newCLIRun),
// and read everything a CI job keeps: stdout, stderr and a TRACE log of
// Terraform and the provider.

// numberForms are the ways a number can show in text: as written, without
// its '+', and URL-encoded as in a query.
func numberForms(number string) []string {
	digits := strings.TrimPrefix(number, "+")
	return []string{number, digits, "%2B" + digits}
}

// echoingGatewayPage is a gateway's 502 page that shows the request it
// could not pass on: its api-key header, then the request line with the
// query, so that the 200 bytes a diagnostic shows of it end inside the
// first number.
const echoingGatewayPage = `<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>` +
	`<pre>api-key: {api_key}
{method} {path}?{query} HTTP/1.1</pre></body></html>`

// TestPrivacy_lookupNumbersNeverShown: whatever goes wrong in a lookup,
// whatever Kaleyra or a gateway sends back, nothing Terraform prints or
// logs, at any level, holds a number looked up (as written, bare or
// %2B-encoded), the query that carried them, or the API key. Blocklists
// are personal data, plan output and logs land in CI, and a key in a CI
// log is a key to rotate.
func TestPrivacy_lookupNumbersNeverShown(t *testing.T) {
	// 160 numbers: two batches, 100 and 60. A third of them are
	// blocklisted, so a page the sandbox cuts off holds some of them.
	numbers := lookupNumbers(160)
	var blocklist []sandbox.BlocklistEntry
	for i, n := range numbers {
		if i%3 == 0 {
			blocklist = append(blocklist, sandbox.BlocklistEntry{Mobile: n, Channel: "sms"})
		}
	}
	cutPage := `{"code":"CNT196","message":"Successfully fetched blocklisted number(s)","data":[{"mobile":"` +
		numbers[0] + `","channel_type":"1"},{"mobile":"` + numbers[3]

	closedURL, _ := closedLoopbackURL(t)
	cases := []struct {
		name     string
		fault    *sandbox.Fault    // nil: no sandbox, base_url where nothing listens
		provider map[string]string // provider arguments, as in sandboxProvider
		want     string            // in the diagnostic, so the run failed the way the case means
		echoes   bool              // the answer quotes the request: its query shows, every number masked
		whatsapp bool              // read the WhatsApp blocklist of faultBusiness instead of the lookup
	}{
		{name: "network error", provider: map[string]string{"max_retries": "1"}, want: "connection refused"},
		{name: "WA400", fault: &sandbox.Fault{API: "contacts", Status: 400, Times: -1}, want: "WA400"},
		{name: "5xx until the retries run out", fault: &sandbox.Fault{API: "contacts", Status: 503, Times: -1}, provider: map[string]string{"max_retries": "1"}, want: "WA500"},
		{
			name:     "timeout",
			fault:    &sandbox.Fault{API: "contacts", Delay: sandbox.Duration(5 * time.Second), Times: -1},
			provider: map[string]string{"request_timeout": `"200ms"`, "max_retries": "1"},
			want:     "request_timeout",
		},
		{name: "HTML body", fault: &sandbox.Fault{API: "contacts", RawBody: htmlSignInPage, Times: -1}, want: "Sign in to the corporate gateway"},
		{
			name:     "cut JSON",
			fault:    &sandbox.Fault{API: "contacts", RawBody: cutPage, ContentType: "application/json", Times: -1},
			provider: map[string]string{"max_retries": "1"},
			want:     "cut short",
		},
		{name: "connection cut mid-body", fault: &sandbox.Fault{API: "contacts", Truncate: true, Times: -1}, provider: map[string]string{"max_retries": "1"}, want: "bytes arrived"},
		{
			// Kaleyra naming the numbers it rejects: as written, bare, and
			// in the query it quotes.
			name: "echoing JSON 400",
			fault: &sandbox.Fault{
				API: "contacts", Status: 400, Message: "Invalid mobile {mobile}", EchoRequest: true, Times: -1,
				Fields: map[string]string{"mobile": "{mobile_digits} is not a valid number", "request": "{query}"},
			},
			want:   "Kaleyra answered HTTP 400 with code WA400: Invalid mobile +############",
			echoes: true,
		},
		{
			name: "echoing JSON 401 naming the key",
			fault: &sandbox.Fault{
				API: "contacts", Status: 401, Code: "RBC001", Message: "Invalid API key {api_key} for {mobile}", EchoRequest: true, Times: -1,
				Fields: map[string]string{"api-key": "{api_key}"},
			},
			want:   "Invalid API key *** for +############",
			echoes: true,
		},
		{
			name:     "echoing HTML 502",
			fault:    &sandbox.Fault{API: "contacts", Status: 502, RawBody: echoingGatewayPage, EchoRequest: true, Times: -1},
			provider: map[string]string{"max_retries": "1"},
			want:     `api-key: ***\nGET /v1/HXTEST########IN/contacts/blocklisted?limit=100&mobile=%2B#####"…`,
			echoes:   true,
		},
		{
			name:     "WhatsApp: echoing HTML 502",
			fault:    &sandbox.Fault{API: "whatsapp", Status: 502, RawBody: echoingGatewayPage, EchoRequest: true, Times: -1},
			provider: map[string]string{"max_retries": "1"},
			want:     `api-key: ***\nGET /v2/HXTEST########IN/whatsapp/+############/block_users?limit=100 H"…`,
			echoes:   true,
			whatsapp: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			baseURL := closedURL
			var sb *sandbox.Server
			if tc.fault != nil {
				seed := testAccount([]sandbox.WhatsAppNumber{{PhoneNumber: faultBusiness, APIVersion: "v2", Blocked: waIDs(919800000000, 5)}}, blocklist)
				seed.Accounts[0].APIKey = secretAPIKey
				sb = startSandbox(t, seed, sandbox.Options{})
				sb.AddFault(*tc.fault)
				baseURL = sb.URL()
			}
			// The key comes from the environment: Terraform logs the
			// configuration, and the scan is for what the provider prints.
			provider := map[string]string{"api_key": ""}
			maps.Copy(provider, tc.provider)
			config, summary := cliLookupConfig(baseURL, provider, numbers), "Unable to Read Contacts Blocklist"
			if tc.whatsapp {
				config, summary = cliWhatsAppConfig(baseURL, provider, faultBusiness), "Unable to Read WhatsApp Blocked Users"
			}
			if strings.Contains(config, secretAPIKey) {
				t.Fatal("the configuration holds the key")
			}
			run := newCLIRun(t, config)
			run.setEnv(EnvAPIKey + "=" + secretAPIKey)
			stdout, stderr, log, code := run.terraform("plan", "-no-color")
			if code != 1 {
				t.Fatalf("terraform plan: exit %d, want 1 (failed)\n%s\n%s", code, stdout, stderr)
			}
			// The log holds the provider's own TRACE lines, and the
			// sandbox was asked to look numbers up (or to read the
			// WhatsApp list) with the key: the scan below covers what the
			// provider did. (Whether the second batch was asked before the
			// first failed depends on timing.)
			if !strings.Contains(log, "Calling provider defined DataSource Read") {
				t.Fatalf("the TRACE log has no provider lines (%d bytes)", len(log))
			}
			if sb != nil && !slices.ContainsFunc(sb.Requests(), func(r sandbox.Request) bool {
				return r.APIKey == secretAPIKey && (len(r.Mobiles) > 0 || tc.whatsapp)
			}) {
				t.Error("the sandbox was asked to look up no number with the key")
			}
			for _, out := range []struct{ name, text string }{{"stdout", stdout}, {"stderr", stderr}, {"the TRACE log", log}} {
				name, text := out.name, out.text
				// Without an echo the query never shows at all; an echoed
				// one shows with every number masked.
				if !tc.echoes && strings.Contains(text, "mobile=") {
					t.Errorf("%s holds a lookup's query", name)
				}
				if i := unmaskedQuery.FindStringIndex(text); i != nil {
					t.Errorf("%s holds a lookup's query with a number: …%s…", name, text[max(0, i[0]-100):min(len(text), i[1]+100)])
				}
				if n, form, i := firstNumber(text, numbers); i >= 0 {
					t.Errorf("%s holds the number %s as %q: …%s…", name, n, form, text[max(0, i-200):min(len(text), i+100)])
				}
				assertNoSecrets(t, name, text, []string{secretAPIKey})
			}
			// Last, so that a leak is reported even when it also changed
			// the diagnostic: the run failed the way the case means.
			if !strings.Contains(stdout+stderr, summary) || !strings.Contains(strings.Join(strings.Fields(stdout+stderr), " "), tc.want) {
				t.Errorf("the plan did not fail with %q:\n%s\n%s", tc.want, stdout, stderr)
			}
		})
	}
}

// firstNumber finds the first of numbers that text holds in any of its
// forms (numberForms): the number, the form and where; i is -1 if none.
func firstNumber(text string, numbers []string) (number, form string, i int) {
	for _, n := range numbers {
		for _, f := range numberForms(n) {
			if i := strings.Index(text, f); i >= 0 {
				return n, f, i
			}
		}
	}
	return "", "", -1
}

// unmaskedQuery matches a mobile query parameter that shows a digit.
var unmaskedQuery = regexp.MustCompile(`mobile=(%2B|\+)?[0-9]`)

// cliWhatsAppConfig is a configuration for the real CLI (newCLIRun): the
// provider's source, sandboxProvider(baseURL, provider) and a
// kaleyra_whatsapp_blocked_users "test" of phone.
func cliWhatsAppConfig(baseURL string, provider map[string]string, phone string) string {
	return `
terraform {
  required_providers {
    kaleyra = {
      source = "kaleyra/kaleyra"
    }
  }
}
` + whatsappConfig(baseURL, provider, phone, "")
}

// TestPrivacy_readErrorHidesTheKeyLast: an error that carries the key by a
// path the client did not redact (here an APIError built by hand) still
// gives a diagnostic without it; the business number the user wrote stays.
func TestPrivacy_readErrorHidesTheKeyLast(t *testing.T) {
	var diags diag.Diagnostics
	failure := readFailure{
		summary: "Unable to Read WhatsApp Blocked Users",
		subject: "the users blocked by business number " + faultBusiness + " (WhatsApp API v2)",
	}
	err := &kaleyra.APIError{
		API: kaleyra.APIWhatsApp, HTTPStatus: 401, Code: kaleyra.CodeAuth,
		Message: "Invalid API key " + secretAPIKey, Fields: map[string]string{"api-key": secretAPIKey[:20] + "…"},
	}
	addReadError(&diags, failure, err, kaleyra.NewRedactor(secretAPIKey))
	if len(diags) != 1 {
		t.Fatalf("%d diagnostics, want 1", len(diags))
	}
	detail := diags[0].Detail()
	assertNoSecrets(t, "the diagnostic", detail, []string{secretAPIKey})
	for _, want := range []string{"Invalid API key ***", "api-key: ***…", faultBusiness} {
		if !strings.Contains(detail, want) {
			t.Errorf("the diagnostic does not show %q:\n%s", want, detail)
		}
	}
}
