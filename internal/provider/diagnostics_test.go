package provider

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

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

// readDiagnostics is the diagnostics of readOverProtocol, as text.
func readDiagnostics(t *testing.T, provider map[string]tftypes.Value, typeName string, attrs map[string]tftypes.Value) string {
	t.Helper()
	_, diags := readOverProtocol(t, provider, typeName, attrs)
	return diagnosticsText(diags)
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
		got := readDiagnostics(t, providerAttrs(sb.URL(), map[string]tftypes.Value{
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
		got := readDiagnostics(t, providerAttrs(sb.URL(), nil), "kaleyra_whatsapp_blocked_users", whatsappAttrs(goldenBusinessV1))
		expectGolden(t, got, `ERROR: Unable to Read WhatsApp Blocked Users: The kaleyra_whatsapp_blocked_users data source could not read the users blocked by business number +919800033333 (WhatsApp API v2). No partial list was returned.

Kaleyra answered HTTP 401 with code WA-401: The phone number you're using is associated with different Version of our WA API. Please use the appropriate endpoint.
Attempts: 1

The business number is registered on the other version of Kaleyra's WhatsApp API. Set `+"`api_version = \"v1\"`"+` on the data source.
`)
	})

	t.Run("E110", func(t *testing.T) {
		sb := goldenSandbox(t)
		got := readDiagnostics(t, providerAttrs(sb.URL(), map[string]tftypes.Value{
			"sid":     tftypes.NewValue(tftypes.String, goldenLowSID),
			"api_key": tftypes.NewValue(tftypes.String, goldenLowKey),
		}), "kaleyra_contacts_blocklisted", mobilesAttrs(lookupNumbers(1)))
		expectGolden(t, got, `ERROR: Unable to Read Contacts Blocklist: The kaleyra_contacts_blocklisted data source could not read the blocklist status of 1 number on every channel. No partial list was returned.

Kaleyra answered HTTP 400 with code E110: Please check your balance, You have a low balance!
Attempts: 1

The Kaleyra account's balance is low. Top it up in the Kaleyra console, then run again.
`)
	})

	t.Run("long Retry-After", func(t *testing.T) {
		sb := goldenSandbox(t, sandbox.Fault{API: "whatsapp", Status: 429, RetryAfter: "300", Times: -1})
		got := readDiagnostics(t, providerAttrs(sb.URL(), nil), "kaleyra_whatsapp_blocked_users", whatsappAttrs(goldenBusinessV2))
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
		got := readDiagnostics(t, providerAttrs(sb.URL(), map[string]tftypes.Value{"max_retries": int64Value(2)}),
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
		got := readDiagnostics(t, providerAttrs(baseURL, map[string]tftypes.Value{
			"max_retries":           int64Value(1),
			"max_parallel_requests": int64Value(1),
		}), "kaleyra_contacts_blocklisted", mobilesAttrs(lookupNumbers(300)))
		expectGolden(t, strings.ReplaceAll(got, port, "PORT"), `ERROR: Unable to Read Contacts Blocklist: The kaleyra_contacts_blocklisted data source could not read the blocklist status of 300 numbers on every channel. No partial list was returned.

Failed: batch 1 of 3, 100 numbers
Request: GET http://127.0.0.1:PORT/v1/HXTEST00000000IN/contacts/blocklisted (query not shown)
Cause: dial tcp 127.0.0.1:PORT: connect: connection refused
Attempts: 2

Check the network path to the Kaleyra API (`+"`base_url`"+`, HTTPS_PROXY/NO_PROXY); network errors are retried up to `+"`max_retries`"+` times.
`)
	})
}

// cliDiagnostic is the diagnostic of a failed `terraform plan -no-color`
// as the CLI prints it: from its "Error:" line to its end.
func cliDiagnostic(t *testing.T, stdout, stderr string, code int) string {
	t.Helper()
	if code != 1 {
		t.Fatalf("terraform plan: exit %d, want 1 (failed)\n%s\n%s", code, stdout, stderr)
	}
	i := strings.Index(stderr, "Error: ")
	if i < 0 {
		t.Fatalf("no error in stderr:\n%s", stderr)
	}
	return strings.TrimSpace(stderr[i:])
}

// readmeSampleConfig is the configuration of the README's sample error:
// the demo seed's sales line is on v1, read without api_version. The data
// block is on line 6, as the sample shows.
const readmeSampleConfig = `provider "kaleyra" {
  # KALEYRA_SID, KALEYRA_API_KEY and KALEYRA_BASE_URL
}

# The sales line is on v1 of Kaleyra's WhatsApp API.
data "kaleyra_whatsapp_blocked_users" "sales_line" {
  phone_number = "` + demoSalesLine + `"
}

terraform {
  required_providers {
    kaleyra = {
      source = "kaleyra/kaleyra"
    }
  }
}
`

// TestDiagnostics_readmeSampleIsWhatTheCLIPrints keeps the README's sample
// error exactly what Terraform prints for it.
func TestDiagnostics_readmeSampleIsWhatTheCLIPrints(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "\n## Troubleshooting\n")
	if !ok {
		t.Fatal("the README has no Troubleshooting section")
	}
	_, block, _ := strings.Cut(after, "```text\n")
	block, _, ok = strings.Cut(block, "\n```")
	if !ok {
		t.Fatal("the README's Troubleshooting section has no ```text sample")
	}

	sb := startSandbox(t, sandbox.DefaultSeed(), sandbox.Options{})
	account := sandbox.DefaultSeed().Accounts[0]
	run := newCLIRun(t, readmeSampleConfig)
	run.setEnv(EnvSID+"="+account.SID, EnvAPIKey+"="+account.APIKey, EnvBaseURL+"="+sb.URL())
	stdout, stderr, _, code := run.terraform("plan", "-no-color")
	if got := cliDiagnostic(t, stdout, stderr, code); got != block {
		t.Errorf("the README's sample error is not what the CLI prints; make it:\n%s", got)
	}
}

// TestDiagnostics_cliNetworkErrorOnLookup is the golden network error of a
// 300-number lookup as the CLI prints it.
func TestDiagnostics_cliNetworkErrorOnLookup(t *testing.T) {
	baseURL, port := closedLoopbackURL(t)
	run := newCLIRun(t, cliLookupConfig(baseURL, map[string]string{"max_retries": "1", "max_parallel_requests": "1"}, lookupNumbers(300)))
	stdout, stderr, _, code := run.terraform("plan", "-no-color")
	// The port is replaced after Terraform wrapped the text; ephemeral ports
	// have 5 digits, so the lines break in the same places every run.
	got := strings.ReplaceAll(cliDiagnostic(t, stdout, stderr, code), port, "PORT")
	expectGolden(t, got, `Error: Unable to Read Contacts Blocklist

  with data.kaleyra_contacts_blocklisted.lookup,
  on main.tf line 18, in data "kaleyra_contacts_blocklisted" "lookup":
  18: data "kaleyra_contacts_blocklisted" "lookup" {

The kaleyra_contacts_blocklisted data source could not read the blocklist
status of 300 numbers on every channel. No partial list was returned.

Failed: batch 1 of 3, 100 numbers
Request: GET http://127.0.0.1:PORT/v1/HXTEST00000000IN/contacts/blocklisted
(query not shown)
Cause: dial tcp 127.0.0.1:PORT: connect: connection refused
Attempts: 2

Check the network path to the Kaleyra API (`+"`base_url`"+`, HTTPS_PROXY/NO_PROXY);
network errors are retried up to `+"`max_retries`"+` times.`)
}

// TestDiagnostics_troubleshootingTableIsComplete: the troubleshooting table
// lives in one place, templates/index.md.tmpl (rendered into docs/index.md,
// which make docs-check keeps equal), and has a row for every Kaleyra code
// diagnostics.go acts on and every other failure it explains.
func TestDiagnostics_troubleshootingTableIsComplete(t *testing.T) {
	codes := kaleyraCodeValues(t)
	used := kaleyraCodesUsed(t, "diagnostics.go")
	if len(used) < 5 {
		t.Fatalf("found only %v in diagnostics.go; the test no longer sees what it uses", used)
	}
	table := markdownSection(t, filepath.Join("..", "..", "templates", "index.md.tmpl"), "## Troubleshooting")
	rows := map[string]bool{}
	for _, line := range strings.Split(table, "\n") {
		if cells := strings.Split(line, " | "); strings.HasPrefix(line, "| ") && len(cells) >= 3 {
			rows[strings.TrimPrefix(cells[0], "| ")] = true
		}
	}
	hasRow := func(name string) bool {
		for row := range rows {
			if strings.Contains(row, name) {
				return true
			}
		}
		return false
	}
	for _, name := range used {
		value, ok := codes[name]
		if !ok {
			t.Errorf("kaleyra.%s is not a constant of internal/kaleyra/errors.go", name)
			continue
		}
		if !hasRow("`" + value + "`") {
			t.Errorf("diagnostics.go handles kaleyra.%s (%s), but the troubleshooting table has no row for it", name, value)
		}
	}
	for _, name := range []string{"429", "5xx", "long `Retry-After`", "JSON cut short", "not the JSON envelope",
		"network error", "timeout", "redirect refused", "response too large", "cursor loop", "same page again"} {
		if !hasRow(name) {
			t.Errorf("the troubleshooting table has no %q row", name)
		}
	}

	// The README links to the table instead of keeping a copy.
	readme := markdownSection(t, filepath.Join("..", "..", "README.md"), "## Troubleshooting")
	if strings.Contains(readme, "| --- |") {
		t.Error("the README's Troubleshooting section has a table of its own; link to docs/index.md#troubleshooting")
	}
	if !strings.Contains(readme, "(docs/index.md#troubleshooting)") {
		t.Error("the README's Troubleshooting section does not link to docs/index.md#troubleshooting")
	}
}

// markdownSection returns the section of the Markdown file at path that
// starts with the heading line, up to the next heading of its level.
func markdownSection(t *testing.T, path, heading string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("%s has no %q section", path, heading)
	}
	level, _, _ := strings.Cut(heading, " ")
	if end := strings.Index(section, "\n"+level+" "); end >= 0 {
		section = section[:end]
	}
	return section
}

// kaleyraCodeValues maps the names of internal/kaleyra's Code* constants to
// their values.
func kaleyraCodeValues(t *testing.T) map[string]string {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "kaleyra", "errors.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{}
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs, ok := spec.(*ast.ValueSpec)
			if !ok {
				continue
			}
			for i, name := range vs.Names {
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING && strings.HasPrefix(name.Name, "Code") {
					values[name.Name], _ = strconv.Unquote(lit.Value)
				}
			}
		}
	}
	return values
}

// kaleyraCodesUsed lists the kaleyra.Code* constants the Go file uses.
func kaleyraCodesUsed(t *testing.T, path string) []string {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	ast.Inspect(file, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "kaleyra" && strings.HasPrefix(sel.Sel.Name, "Code") {
				seen[sel.Sel.Name] = true
			}
		}
		return true
	})
	return slices.Sorted(maps.Keys(seen))
}
