package provider

import (
	"slices"
	"strings"
	"testing"
	"time"

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

// TestPrivacy_lookupNumbersNeverShown: whatever goes wrong in a lookup,
// nothing Terraform prints or logs, at any level, holds a number looked up
// or the query that carried them. Blocklists are personal data, and plan
// output and logs land in CI.
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
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			baseURL := closedURL
			var sb *sandbox.Server
			if tc.fault != nil {
				sb = startSandbox(t, testAccount(nil, blocklist), sandbox.Options{})
				sb.AddFault(*tc.fault)
				baseURL = sb.URL()
			}
			run := newCLIRun(t, cliLookupConfig(baseURL, tc.provider, numbers))
			stdout, stderr, log, code := run.terraform("plan", "-no-color")
			if code != 1 {
				t.Fatalf("terraform plan: exit %d, want 1 (failed)\n%s\n%s", code, stdout, stderr)
			}
			if !strings.Contains(stdout+stderr, "Unable to Read Contacts Blocklist") || !strings.Contains(strings.Join(strings.Fields(stdout+stderr), " "), tc.want) {
				t.Fatalf("the plan did not fail with %q:\n%s\n%s", tc.want, stdout, stderr)
			}
			// The log holds the provider's own TRACE lines, and the
			// sandbox was asked to look numbers up: the scan below covers
			// what the provider did. (Whether the second batch was asked
			// before the first failed depends on timing.)
			if !strings.Contains(log, "Calling provider defined DataSource Read") {
				t.Fatalf("the TRACE log has no provider lines (%d bytes)", len(log))
			}
			if sb != nil && !slices.ContainsFunc(sb.Requests(), func(r sandbox.Request) bool { return len(r.Mobiles) > 0 }) {
				t.Error("the sandbox was asked to look up no number")
			}
			for name, text := range map[string]string{"stdout": stdout, "stderr": stderr, "the TRACE log": log} {
				if strings.Contains(text, "mobile=") {
					t.Errorf("%s holds a lookup's query", name)
				}
				for _, n := range numbers {
					for _, form := range numberForms(n) {
						if i := strings.Index(text, form); i >= 0 {
							t.Fatalf("%s holds the number %s as %q: …%s…", name, n, form, text[max(0, i-200):min(len(text), i+100)])
						}
					}
				}
			}
		})
	}
}
