package provider

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

// The golden diagnostics: the exact text a user reads for the errors the
// issue tracker asked about. Each is read over the plugin protocol, the way
// Terraform calls the provider; TestPrivacy_* and the README check the same
// text under the real CLI.

// goldenBusinessV1 is on v1 only, so reading it with the default v2 answers
// WA-401 (version).
const (
	goldenBusinessV2 = "+919800022222"
	goldenBusinessV1 = "+919800033333"
	goldenLowSID     = "HXLOWBAL000000IN"
	goldenLowKey     = "Alow0balance0key000000000000003"
)

// cutWhatsAppPage is a WhatsApp page whose JSON ends early: a complete HTTP
// answer carrying a cut body.
const cutWhatsAppPage = `{"code":"WA200","message":"Request Processed Successfully","data":[{"messaging_product":"whatsapp","wa_id":"91981`

func goldenSandbox(t *testing.T, faults ...sandbox.Fault) *sandbox.Server {
	t.Helper()
	seed := testAccount([]sandbox.WhatsAppNumber{
		{PhoneNumber: goldenBusinessV2, APIVersion: "v2", Blocked: waIDs(919800000000, 5)},
		{PhoneNumber: goldenBusinessV1, APIVersion: "v1", Blocked: waIDs(919700000000, 5)},
	}, nil)
	seed.Accounts = append(seed.Accounts, sandbox.Account{SID: goldenLowSID, APIKey: goldenLowKey, LowBalance: true})
	seed.Faults = faults
	return startSandbox(t, seed, sandbox.Options{})
}

// providerAttrs is a provider block: the test account at baseURL, with
// extra attributes.
func providerAttrs(baseURL string, extra map[string]tftypes.Value) map[string]tftypes.Value {
	attrs := map[string]tftypes.Value{
		"sid":      tftypes.NewValue(tftypes.String, testSID),
		"api_key":  tftypes.NewValue(tftypes.String, testAPIKey),
		"base_url": tftypes.NewValue(tftypes.String, baseURL),
	}
	for k, v := range extra {
		attrs[k] = v
	}
	return attrs
}

// readOverProtocol configures the provider with providerAttrs, reads the
// data source with attrs, and returns its diagnostics as text.
func readOverProtocol(t *testing.T, providerAttrs map[string]tftypes.Value, typeName string, attrs map[string]tftypes.Value) string {
	t.Helper()
	server := configuredServer(t, providerAttrs)
	resp, err := server.ReadDataSource(context.Background(), &tfprotov6.ReadDataSourceRequest{
		TypeName: typeName,
		Config:   dataSourceConfig(t, server, typeName, attrs),
	})
	if err != nil {
		t.Fatal(err)
	}
	return diagnosticsText(resp.Diagnostics)
}

func whatsappAttrs(number string) map[string]tftypes.Value {
	return map[string]tftypes.Value{"phone_number": tftypes.NewValue(tftypes.String, number)}
}

func mobilesAttrs(mobiles []string) map[string]tftypes.Value {
	values := make([]tftypes.Value, len(mobiles))
	for i, m := range mobiles {
		values[i] = tftypes.NewValue(tftypes.String, m)
	}
	return map[string]tftypes.Value{"mobiles": tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, values)}
}

// closedLoopbackURL is a loopback base URL where nothing listens.
func closedLoopbackURL(t *testing.T) (baseURL, port string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	_, port, _ = net.SplitHostPort(addr)
	return "http://" + addr, port
}

// lookupNumbers returns n distinct E.164 numbers starting at +9198765 and
// base.
func lookupNumbers(base, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("+9198765%05d", base+i)
	}
	return out
}

func expectGolden(t *testing.T, got, want string) {
	t.Helper()
	if os.Getenv("PRINT_GOLDEN") != "" {
		fmt.Printf("---- %s\n%s----\n", t.Name(), got)
	}
	if got != want {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", got, want)
	}
}

func TestDiagnostics_golden(t *testing.T) {
	int64Value := func(n int64) tftypes.Value { return tftypes.NewValue(tftypes.Number, n) }

	t.Run("RBC001", func(t *testing.T) {
		sb := goldenSandbox(t)
		got := readOverProtocol(t, providerAttrs(sb.URL(), map[string]tftypes.Value{
			"api_key": tftypes.NewValue(tftypes.String, "wrong-key"),
		}), "kaleyra_whatsapp_blocked_users", whatsappAttrs(goldenBusinessV2))
		expectGolden(t, got, `ERROR: Unable to Read WhatsApp Blocked Users: The kaleyra_whatsapp_blocked_users data source could not read the users blocked by business number +919800022222 (WhatsApp API v2). No partial list was returned.

Kaleyra answered HTTP 401 with code RBC001: Incorrect SID or API key.
Attempts: 1

Kaleyra did not accept the SID and API key. Check the provider's `+"`sid`"+` and `+"`api_key`"+` arguments, or the KALEYRA_SID and KALEYRA_API_KEY environment variables, and that `+"`pod`"+` (or KALEYRA_POD) is the pod of this account.
`)
	})

	t.Run("WA-401 version", func(t *testing.T) {
		sb := goldenSandbox(t)
		got := readOverProtocol(t, providerAttrs(sb.URL(), nil), "kaleyra_whatsapp_blocked_users", whatsappAttrs(goldenBusinessV1))
		expectGolden(t, got, `ERROR: Unable to Read WhatsApp Blocked Users: The kaleyra_whatsapp_blocked_users data source could not read the users blocked by business number +919800033333 (WhatsApp API v2). No partial list was returned.

Kaleyra answered HTTP 401 with code WA-401: The phone number you're using is associated with different Version of our WA API. Please use the appropriate endpoint.
Attempts: 1

The business number is registered on the other version of Kaleyra's WhatsApp API. Set `+"`api_version = \"v1\"`"+` on the data source.
`)
	})

	t.Run("E110", func(t *testing.T) {
		sb := goldenSandbox(t)
		got := readOverProtocol(t, providerAttrs(sb.URL(), map[string]tftypes.Value{
			"sid":     tftypes.NewValue(tftypes.String, goldenLowSID),
			"api_key": tftypes.NewValue(tftypes.String, goldenLowKey),
		}), "kaleyra_contacts_blocklisted", mobilesAttrs(lookupNumbers(0, 1)))
		expectGolden(t, got, `ERROR: Unable to Read Contacts Blocklist: The kaleyra_contacts_blocklisted data source could not read the blocklist status of 1 number on every channel. No partial list was returned.

Kaleyra answered HTTP 400 with code E110: Please check your balance, You have a low balance!
Attempts: 1

The Kaleyra account's balance is low. Top it up in the Kaleyra console, then run again.
`)
	})

	t.Run("long Retry-After", func(t *testing.T) {
		sb := goldenSandbox(t, sandbox.Fault{API: "whatsapp", Status: 429, RetryAfter: "300", Times: -1})
		got := readOverProtocol(t, providerAttrs(sb.URL(), nil), "kaleyra_whatsapp_blocked_users", whatsappAttrs(goldenBusinessV2))
		expectGolden(t, got, `ERROR: Unable to Read WhatsApp Blocked Users: The kaleyra_whatsapp_blocked_users data source could not read the users blocked by business number +919800022222 (WhatsApp API v2). No partial list was returned.

Kaleyra answered HTTP 429 with code WA429: Too many requests, please try again later
Attempts: 1

Kaleyra asked to wait 300 seconds before the next request (Retry-After), longer than the provider waits (2 minutes), so the read stopped rather than stall the plan. Run it again later. If it keeps happening, lower `+"`max_parallel_requests`"+` in the provider block.
`)
		if n := len(sb.Requests()); n != 1 {
			t.Errorf("%d requests, want 1: the provider does not wait 5 minutes", n)
		}
	})

	t.Run("cut JSON after retries", func(t *testing.T) {
		sb := goldenSandbox(t, sandbox.Fault{API: "whatsapp", RawBody: cutWhatsAppPage, ContentType: "application/json", Times: -1})
		got := readOverProtocol(t, providerAttrs(sb.URL(), map[string]tftypes.Value{"max_retries": int64Value(2)}),
			"kaleyra_whatsapp_blocked_users", whatsappAttrs(goldenBusinessV2))
		expectGolden(t, got, `ERROR: Unable to Read WhatsApp Blocked Users: The kaleyra_whatsapp_blocked_users data source could not read the users blocked by business number +919800022222 (WhatsApp API v2). No partial list was returned.

Kaleyra answered HTTP 200 with a body that is not Kaleyra's JSON envelope (Content-Type application/json).
The body starts with: "{\"code\":\"WA200\",\"message\":\"Request Processed Successfully\",\"data\":[{\"messaging_product\":\"whatsapp\",\"wa_id\":\"91981"
The JSON ends before it is complete: the answer was cut short.
Attempts: 3

This usually comes from a proxy, gateway or load balancer in front of the API, or a connection cut mid-answer. Check `+"`base_url`"+` (or KALEYRA_BASE_URL) and HTTPS_PROXY/NO_PROXY, then try again.
`)
		if n := len(sb.Requests()); n != 3 {
			t.Errorf("%d requests, want 3 (max_retries = 2)", n)
		}
	})

	t.Run("network error on a 300-number lookup", func(t *testing.T) {
		baseURL, port := closedLoopbackURL(t)
		// One request at a time, so the first batch is the one that fails.
		got := readOverProtocol(t, providerAttrs(baseURL, map[string]tftypes.Value{
			"max_retries":           int64Value(1),
			"max_parallel_requests": int64Value(1),
		}), "kaleyra_contacts_blocklisted", mobilesAttrs(lookupNumbers(0, 300)))
		expectGolden(t, strings.ReplaceAll(got, port, "PORT"), `ERROR: Unable to Read Contacts Blocklist: The kaleyra_contacts_blocklisted data source could not read the blocklist status of 300 numbers on every channel. No partial list was returned.

Failed: batch 1 of 3 (100 numbers)
Request: GET http://127.0.0.1:PORT/v1/HXTEST00000000IN/contacts/blocklisted (query not shown)
Cause: dial tcp 127.0.0.1:PORT: connect: connection refused
Attempts: 2

Check the network path to the Kaleyra API (`+"`base_url`"+`, HTTPS_PROXY/NO_PROXY); network errors are retried up to `+"`max_retries`"+` times.
`)
	})
}
