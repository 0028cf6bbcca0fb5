package provider

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

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
		"kaleyra": providerserver.NewProtocol6WithError(New("test", WithClientConfig(fastRetries))()),
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
