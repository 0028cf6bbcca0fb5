package provider

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

// The sandbox account every test configuration uses.
const (
	testSID    = "HXTEST00000000IN"
	testAPIKey = "Atest0sandbox0key0000000000000003"
)

// fastRetries keeps the retry behaviour but shortens its waits, so tests of
// retries take milliseconds. Retry-After is still honoured as sent.
func fastRetries(c *kaleyra.Config) {
	c.RetryWaitMin = 5 * time.Millisecond
	c.RetryWaitMax = 40 * time.Millisecond
}

// testProviders serves the provider in-process over protocol 6.
func testProviders() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"kaleyra": ProtocolServer(New("test", WithClientConfig(fastRetries))()),
	}
}

// startSandbox serves seed on loopback for the test's lifetime.
func startSandbox(t *testing.T, seed sandbox.Seed, opts sandbox.Options) *sandbox.Server {
	t.Helper()
	s, err := sandbox.Start(seed, opts)
	if err != nil {
		t.Fatalf("starting the sandbox: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// testAccount is the sandbox account with the given business numbers and
// blocklist.
func testAccount(numbers []sandbox.WhatsAppNumber, blocklist []sandbox.BlocklistEntry) sandbox.Seed {
	return sandbox.Seed{Accounts: []sandbox.Account{{
		SID: testSID, APIKey: testAPIKey, WhatsAppNumbers: numbers, Blocklist: blocklist,
	}}}
}

// providerConfig is a provider block pointed at the sandbox.
func providerConfig(baseURL string) string {
	return fmt.Sprintf(`
provider "kaleyra" {
  sid      = %[1]q
  api_key  = %[2]q
  base_url = %[3]q
}
`, testSID, testAPIKey, baseURL)
}

// waIDs returns n distinct wa_ids, unsorted, starting at base.
func waIDs(base, n int) []string {
	ids := make([]string, n)
	for i := range n {
		// Interleave so the stored order is not the sorted order.
		j := (i * 7919) % n
		ids[i] = strconv.Itoa(base + j)
	}
	return ids
}

// errorLike matches a Terraform error that contains every fragment, in
// order. Terraform wraps long lines, so any run of spaces in a fragment
// matches any whitespace.
func errorLike(fragments ...string) *regexp.Regexp {
	parts := make([]string, len(fragments))
	for i, f := range fragments {
		words := strings.Fields(f)
		for j, w := range words {
			words[j] = regexp.QuoteMeta(w)
		}
		parts[i] = strings.Join(words, `\s+`)
	}
	return regexp.MustCompile(`(?s)` + strings.Join(parts, `.*`))
}

// clearKaleyraEnv unsets the provider's environment variables for the test,
// so that a developer's or CI's real credentials never leak into it.
func clearKaleyraEnv(t *testing.T) {
	t.Helper()
	for _, env := range []string{EnvPod, EnvSID, EnvAPIKey, EnvBaseURL} {
		t.Setenv(env, "")
	}
}

// providerWith is a provider block with exactly these arguments, each given
// as an HCL expression (quote strings with strconv.Quote).
func providerWith(args map[string]string) string {
	var b strings.Builder
	b.WriteString("\nprovider \"kaleyra\" {\n")
	for _, name := range slices.Sorted(maps.Keys(args)) {
		fmt.Fprintf(&b, "  %s = %s\n", name, args[name])
	}
	b.WriteString("}\n")
	return b.String()
}

// withArgs returns a copy of args with set applied; an empty expression
// removes the argument.
func withArgs(args, set map[string]string) map[string]string {
	out := maps.Clone(args)
	for name, expr := range set {
		if expr == "" {
			delete(out, name)
		} else {
			out[name] = expr
		}
	}
	return out
}

// sandboxProvider is providerConfig with arguments added or replaced (see
// withArgs).
func sandboxProvider(baseURL string, set map[string]string) string {
	return providerWith(withArgs(map[string]string{
		"sid":      strconv.Quote(testSID),
		"api_key":  strconv.Quote(testAPIKey),
		"base_url": strconv.Quote(baseURL),
	}, set))
}

// hclStrings renders a list of strings as an HCL list expression.
func hclStrings(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// expectRequests fails the test if the sandbox received no API request.
func expectRequests(t *testing.T, sb *sandbox.Server) {
	t.Helper()
	if len(sb.Requests()) == 0 {
		t.Error("the sandbox received no request")
	}
}

// stateCheckFunc adapts a function to statecheck.StateCheck, for checks
// the statecheck package does not have (check-block results, instance
// counts).
type stateCheckFunc func(context.Context, statecheck.CheckStateRequest, *statecheck.CheckStateResponse)

func (f stateCheckFunc) CheckState(ctx context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	f(ctx, req, resp)
}
