package provider

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/provider"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

// The example tests run every configuration under examples/ the way a user
// runs it: the provider binary built from this module and installed through
// a CLI configuration with dev_overrides (so no `terraform init`), the
// Terraform CLI on PATH, credentials in the KALEYRA_* environment variables,
// and the in-process sandbox, seeded with the demo seed, as the Kaleyra API.
// Each test works in a private copy of examples/, so no state or module link
// is ever written into the repository.

// TestMain removes the provider build the example tests share.
func TestMain(m *testing.M) {
	code := m.Run()
	if exampleProvider.dir != "" {
		os.RemoveAll(exampleProvider.dir)
	}
	os.Exit(code)
}

// exampleDirs are the directories under examples/ that must exist; any other
// directory holding .tf files is validated too.
var exampleDirs = []string{
	"provider",
	"data-sources/kaleyra_contacts_blocklisted",
	"data-sources/kaleyra_whatsapp_blocked_users",
	"use-cases/policy-check",
	"use-cases/drift-report",
	"use-cases/for-each",
	"use-cases/normalise-numbers",
	"use-cases/policy-check-ephemeral",
	"functions/e164",
	"ephemeral-resources/kaleyra_contacts_blocklisted",
	"ephemeral-resources/kaleyra_whatsapp_blocked_users",
	"demo",
}

// The business numbers and critical numbers of the demo seed the examples
// use.
const (
	demoSupportLine = "+919876543210" // v2, 28 blocked users
	demoSalesLine   = "+919876543211" // v1, 10 blocked users
	demoEverywhere  = "+919812345678" // blocklisted on sms, voice and whatsapp; blocked both lines
	demoWhatsAppBan = "+919444333222" // blocked the support line only, on no blocklist
	demoSMSOnly     = "+918023456789" // blocklisted on sms only
	demoClean       = "+919876500001" // on no list
	demoCleanToo    = "+14155550100"  // on no list
)

func TestExamplesValidate(t *testing.T) {
	dirs := exampleConfigDirs(t)
	for _, want := range exampleDirs {
		if !slices.Contains(dirs, want) {
			t.Errorf("examples/%s is missing or has no .tf file", want)
		}
	}
	for _, dir := range dirs {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			if why := exampleSkipReason(t, dir); why != "" {
				t.Skip(why)
			}
			ex := newExampleRun(t, dir, nil)
			ex.terraform("get") // installs local modules; offline
			var result struct {
				Valid       bool           `json:"valid"`
				Diagnostics []tfDiagnostic `json:"diagnostics"`
			}
			args := []string{"validate", "-json"}
			// validate checks .tftest.hcl files too, from the first CLI that
			// has them; one that predates mock_provider would reject ours.
			if cli := exampleCLIVersion(t); cli.withoutTestCommand() == "" && cli.withoutTestMocks() != "" {
				args = append(args, "-no-tests")
			}
			out := ex.terraform(args...)
			if err := json.Unmarshal([]byte(out), &result); err != nil {
				t.Fatalf("terraform validate -json: %v\n%s", err, out)
			}
			if diags := withoutDevOverrides(result.Diagnostics); !result.Valid || len(diags) > 0 {
				t.Errorf("examples/%s: valid=%v, diagnostics: %+v", dir, result.Valid, diags)
			}
		})
	}
}

// TestExamplesRegistryLayout checks that every data source has the example
// tfplugindocs puts on its registry page.
func TestExamplesRegistryLayout(t *testing.T) {
	for _, newDataSource := range New("test")().DataSources(context.Background()) {
		var resp datasource.MetadataResponse
		newDataSource().Metadata(context.Background(), datasource.MetadataRequest{ProviderTypeName: "kaleyra"}, &resp)
		path := filepath.Join(examplesRoot(t), "data-sources", resp.TypeName, "data-source.tf")
		if _, err := os.Stat(path); err != nil {
			t.Errorf("data source %s has no registry example: %v", resp.TypeName, err)
		}
	}
	for _, newFunction := range providerFunctions() {
		var resp function.MetadataResponse
		newFunction().Metadata(context.Background(), function.MetadataRequest{}, &resp)
		path := filepath.Join(examplesRoot(t), "functions", resp.Name, "function.tf")
		if _, err := os.Stat(path); err != nil {
			t.Errorf("function %s has no registry example: %v", resp.Name, err)
		}
	}
	for _, newEphemeral := range providerEphemeralResources() {
		var resp ephemeral.MetadataResponse
		newEphemeral().Metadata(context.Background(), ephemeral.MetadataRequest{ProviderTypeName: "kaleyra"}, &resp)
		path := filepath.Join(examplesRoot(t), "ephemeral-resources", resp.TypeName, "ephemeral-resource.tf")
		if _, err := os.Stat(path); err != nil {
			t.Errorf("ephemeral resource %s has no registry example: %v", resp.TypeName, err)
		}
	}
	if _, err := os.Stat(filepath.Join(examplesRoot(t), "provider", "provider.tf")); err != nil {
		t.Errorf("the provider has no registry example: %v", err)
	}
}

// providerEphemeralResources are the provider's ephemeral resources.
func providerEphemeralResources() []func() ephemeral.EphemeralResource {
	p, ok := New("test")().(provider.ProviderWithEphemeralResources)
	if !ok {
		return nil
	}
	return p.EphemeralResources(context.Background())
}

// providerFunctions are the provider's functions.
func providerFunctions() []func() function.Function {
	p, ok := New("test")().(provider.ProviderWithFunctions)
	if !ok {
		return nil
	}
	return p.Functions(context.Background())
}

// functionArgumentLine is an argument line of a tfplugindocs function page:
// "1. `name` (Type) Description".
var functionArgumentLine = regexp.MustCompile("^1\\. `([a-z0-9_]+)` \\(([^)]*)\\)(.*)$")

// schemaLine is an attribute line of a tfplugindocs schema section:
// "- `name` (Type) Description".
var schemaLine = regexp.MustCompile("^- `([a-z0-9_]+)` \\(([^)]*)\\)(.*)$")

// TestExamplesDocsDescribeEverything checks the generated registry pages
// (make docs-check keeps them equal to the schema): every data source has a
// page with an example, and every argument and attribute, nested ones too,
// has a description.
func TestExamplesDocsDescribeEverything(t *testing.T) {
	docs := filepath.Join(filepath.Dir(examplesRoot(t)), "docs")
	pages := []string{"index.md"}
	for _, newDataSource := range New("test")().DataSources(context.Background()) {
		var resp datasource.MetadataResponse
		newDataSource().Metadata(context.Background(), datasource.MetadataRequest{ProviderTypeName: "kaleyra"}, &resp)
		pages = append(pages, filepath.Join("data-sources", strings.TrimPrefix(resp.TypeName, "kaleyra_")+".md"))
	}
	for _, newEphemeral := range providerEphemeralResources() {
		var resp ephemeral.MetadataResponse
		newEphemeral().Metadata(context.Background(), ephemeral.MetadataRequest{ProviderTypeName: "kaleyra"}, &resp)
		pages = append(pages, filepath.Join("ephemeral-resources", strings.TrimPrefix(resp.TypeName, "kaleyra_")+".md"))
	}
	for _, page := range pages {
		data, err := os.ReadFile(filepath.Join(docs, page))
		if err != nil {
			t.Errorf("%v: run make docs", err)
			continue
		}
		text := string(data)
		if !strings.Contains(text, "## Example Usage\n\n```terraform\n") {
			t.Errorf("docs/%s has no example", page)
		}
		attributes := 0
		for _, line := range strings.Split(text, "\n") {
			m := schemaLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			attributes++
			description := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(m[3]), "(see [below for nested schema](#nestedatt--"+m[1]+"))"))
			if len(description) < 10 {
				t.Errorf("docs/%s: `%s` (%s) has no description", page, m[1], m[2])
			}
		}
		if attributes == 0 {
			t.Errorf("docs/%s lists no attributes", page)
		}
	}

	for _, newFunction := range providerFunctions() {
		var resp function.MetadataResponse
		newFunction().Metadata(context.Background(), function.MetadataRequest{}, &resp)
		page := filepath.Join("functions", resp.Name+".md")
		data, err := os.ReadFile(filepath.Join(docs, page))
		if err != nil {
			t.Errorf("%v: run make docs", err)
			continue
		}
		text := string(data)
		if !strings.Contains(text, "## Example Usage\n\n```terraform\n") || !strings.Contains(text, "## Signature\n") {
			t.Errorf("docs/%s has no example or no signature", page)
		}
		var def function.DefinitionResponse
		newFunction().Definition(context.Background(), function.DefinitionRequest{}, &def)
		described := 0
		for _, line := range strings.Split(text, "\n") {
			if m := functionArgumentLine.FindStringSubmatch(line); m != nil && len(strings.TrimSpace(m[3])) >= 10 {
				described++
			}
		}
		if described != len(def.Definition.Parameters) {
			t.Errorf("docs/%s describes %d arguments, want all %d", page, described, len(def.Definition.Parameters))
		}
	}
}

func TestExamplesDataSourcesApply(t *testing.T) {
	seed := sandbox.DefaultSeed()
	sb := startSandbox(t, seed, sandbox.Options{})

	t.Run("kaleyra_whatsapp_blocked_users", func(t *testing.T) {
		t.Parallel()
		ex := newExampleRun(t, "data-sources/kaleyra_whatsapp_blocked_users", sb)
		ex.apply()

		support := seedBlockedUsers(t, seed, demoSupportLine)
		sales := seedBlockedUsers(t, seed, demoSalesLine)
		ex.expectOutput("support_line_blocked_count", len(support))
		ex.expectOutput("customer_blocked_support_line", slices.Contains(support, strings.TrimPrefix(demoEverywhere, "+")))
		var both []string
		for _, id := range support {
			if slices.Contains(sales, id) {
				both = append(both, id)
			}
		}
		if len(both) == 0 {
			t.Fatal("the demo seed has no user who blocked both lines; the example shows one")
		}
		ex.expectOutput("blocked_both_lines", both)
	})

	t.Run("kaleyra_contacts_blocklisted", func(t *testing.T) {
		t.Parallel()
		ex := newExampleRun(t, "data-sources/kaleyra_contacts_blocklisted", sb)
		ex.apply()

		byChannel := seedBlocklist(seed)
		ex.expectOutput("sms_blocklist_size", len(byChannel["sms"]))
		ex.expectOutput("on_call_blocked", map[string]bool{demoEverywhere: true, demoClean: false, demoCleanToo: false})
		types := make([]string, 0, 3)
		for _, channel := range []string{"sms", "voice", "whatsapp"} {
			types = append(types, sandbox.ChannelTypes[channel])
		}
		slices.Sort(types)
		ex.expectOutput("on_call_channel_types", map[string][]string{demoEverywhere: types})
	})
}

func TestExamplesPolicyCheck(t *testing.T) {
	sb := startSandbox(t, sandbox.DefaultSeed(), sandbox.Options{})
	const example = "use-cases/policy-check"

	t.Run("reachable numbers pass", func(t *testing.T) {
		t.Parallel()
		ex := newExampleRun(t, example, sb)
		ex.setVars(map[string]any{
			"critical_numbers":         []string{demoClean, demoCleanToo, demoClean},
			"whatsapp_business_number": demoSupportLine,
		})
		diags := ex.apply()
		if len(diags) > 0 {
			t.Errorf("a passing policy check reported: %+v", diags)
		}
		ex.expectOutput("policy_verdict", "PASS: all 2 critical numbers are reachable")
		ex.expectOutput("violations", map[string][]string{})
	})

	t.Run("blocklisted number stops the plan", func(t *testing.T) {
		t.Parallel()
		ex := newExampleRun(t, example, sb)
		ex.setVars(map[string]any{
			"critical_numbers":         []string{demoEverywhere, demoClean},
			"whatsapp_business_number": demoSupportLine,
		})
		diags := ex.planFails()
		why := demoEverywhere + ": blocklisted on sms, voice, whatsapp and blocked " + demoSupportLine + " on WhatsApp"
		expectDiagnostics(t, diags,
			tfDiagnostic{Severity: "warning", Summary: "Check block assertion failed", Detail: "1 of 2 critical numbers cannot be reached: " + why + "."},
			tfDiagnostic{Severity: "error", Summary: "Module output value precondition failed", Detail: "Policy violation: 1 of 2 critical numbers cannot be reached: " + why + ". Unblock them, or take them off critical_numbers."},
		)
	})

	t.Run("a WhatsApp block alone stops the plan", func(t *testing.T) {
		t.Parallel()
		ex := newExampleRun(t, example, sb)
		ex.setVars(map[string]any{
			"critical_numbers":         []string{demoWhatsAppBan},
			"whatsapp_business_number": demoSupportLine,
		})
		diags := ex.planFails()
		expectDiagnostics(t, diags,
			tfDiagnostic{Severity: "warning", Summary: "Check block assertion failed", Detail: "1 of 1 critical numbers cannot be reached: " + demoWhatsAppBan + ": blocked " + demoSupportLine + " on WhatsApp."},
			tfDiagnostic{Severity: "error", Summary: "Module output value precondition failed", Detail: "Policy violation: 1 of 1 critical numbers cannot be reached: " + demoWhatsAppBan + ": blocked " + demoSupportLine + " on WhatsApp. Unblock them, or take them off critical_numbers."},
		)
	})

	t.Run("only the chosen channels count", func(t *testing.T) {
		t.Parallel()
		ex := newExampleRun(t, example, sb)
		ex.setVars(map[string]any{
			"critical_numbers": []string{demoSMSOnly},
			"channels":         []string{"voice", "whatsapp"},
		})
		if diags := ex.apply(); len(diags) > 0 {
			t.Errorf("an SMS-only number failed a voice and WhatsApp policy: %+v", diags)
		}
		ex.expectOutput("policy_verdict", "PASS: all 1 critical numbers are reachable")

		ex.setVars(map[string]any{"critical_numbers": []string{demoSMSOnly}})
		expectDiagnostics(t, ex.planFails(),
			tfDiagnostic{Severity: "warning", Summary: "Check block assertion failed", Detail: "1 of 1 critical numbers cannot be reached: " + demoSMSOnly + ": blocklisted on sms."},
			tfDiagnostic{Severity: "error", Summary: "Module output value precondition failed", Detail: "Policy violation: 1 of 1 critical numbers cannot be reached: " + demoSMSOnly + ": blocklisted on sms. Unblock them, or take them off critical_numbers."},
		)
	})

	t.Run("enforce false only warns", func(t *testing.T) {
		t.Parallel()
		ex := newExampleRun(t, example, sb)
		ex.setVars(map[string]any{
			"critical_numbers":         []string{demoClean, demoWhatsAppBan, demoEverywhere},
			"whatsapp_business_number": demoSupportLine,
			"enforce":                  false,
		})
		diags := ex.apply()
		summary := demoWhatsAppBan + ": blocked " + demoSupportLine + " on WhatsApp; " +
			demoEverywhere + ": blocklisted on sms, voice, whatsapp and blocked " + demoSupportLine + " on WhatsApp"
		expectDiagnostics(t, diags,
			tfDiagnostic{Severity: "warning", Summary: "Check block assertion failed", Detail: "2 of 3 critical numbers cannot be reached: " + summary + "."},
		)
		ex.expectOutput("policy_verdict", "FAIL: "+summary)
		ex.expectOutput("violations", map[string][]string{
			demoWhatsAppBan: {"blocked " + demoSupportLine + " on WhatsApp"},
			demoEverywhere:  {"blocklisted on sms, voice, whatsapp", "blocked " + demoSupportLine + " on WhatsApp"},
		})
	})

	t.Run("numbers not in E.164 fail once, at the caller's input", func(t *testing.T) {
		t.Parallel()
		ex := newExampleRun(t, example, sb)
		// A configuration that calls the policy check as a module, as
		// users do: the error must point at their input, not inside the
		// module, and come once, not once per channel's lookup.
		ex.dir = filepath.Join(filepath.Dir(filepath.Dir(ex.dir)), "caller")
		const caller = `terraform {
  required_providers {
    kaleyra = {
      source  = "kaleyra/kaleyra"
      version = "~> 0.1"
    }
  }
}

module "policy" {
  source = "../use-cases/policy-check"

  critical_numbers         = ["+919876500001", "098765 00001", "12345", "098765 00001"]
  whatsapp_business_number = "+919876543210"
}
`
		if err := os.MkdirAll(ex.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ex.dir, "main.tf"), []byte(caller), 0o600); err != nil {
			t.Fatal(err)
		}
		ex.terraform("get")
		stdout, stderr, code := ex.run("plan", "-json")
		if code != 1 {
			t.Fatalf("terraform plan: exit %d, want 1 (failed)\n%s\n%s", code, stdout, stderr)
		}
		var errs []rangedDiagnostic
		for _, d := range rangedDiagnostics(t, stdout) {
			if d.Severity == "error" {
				errs = append(errs, d)
			}
		}
		if len(errs) != 1 {
			t.Fatalf("%d errors, want 1 (the variable's validation):\n%+v", len(errs), errs)
		}
		d := errs[0]
		const names = `Not in E.164: "098765 00001", "12345".`
		if d.Summary != "Invalid value for variable" || !strings.Contains(d.Detail, names) ||
			!strings.Contains(d.Detail, `provider::kaleyra::e164(number, "IN")`) {
			t.Errorf("the error: %s: %s\nwant the validation's, naming each value once (%s) and pointing at e164", d.Summary, d.Detail, names)
		}
		if d.Range == nil || d.Range.Filename != "main.tf" || d.Range.Start.Line != 13 {
			t.Errorf("the error points at %+v, want the caller's critical_numbers (main.tf line 13)", d.Range)
		}
	})
}

// rangedDiagnostic is a diagnostic of Terraform's JSON stream with the
// source range it points at.
type rangedDiagnostic struct {
	tfDiagnostic
	Range *struct {
		Filename string `json:"filename"`
		Start    struct {
			Line int `json:"line"`
		} `json:"start"`
	} `json:"range"`
}

// rangedDiagnostics collects the diagnostics of a -json plan or apply, with
// their ranges, other than the dev_overrides warning.
func rangedDiagnostics(t *testing.T, stream string) []rangedDiagnostic {
	t.Helper()
	var diags []rangedDiagnostic
	for _, line := range strings.Split(stream, "\n") {
		var msg struct {
			Type       string            `json:"type"`
			Diagnostic *rangedDiagnostic `json:"diagnostic"`
		}
		if json.Unmarshal([]byte(line), &msg) == nil && msg.Type == "diagnostic" && msg.Diagnostic != nil &&
			msg.Diagnostic.Summary != devOverridesWarning {
			diags = append(diags, *msg.Diagnostic)
		}
	}
	return diags
}

func TestExamplesDriftReport(t *testing.T) {
	seed := sandbox.DefaultSeed()
	sb := startSandbox(t, seed, sandbox.Options{})
	byChannel := seedBlocklist(seed)
	counts := map[string]int{}
	for channel, numbers := range byChannel {
		counts[channel] = len(numbers)
	}
	support := seedBlockedUsers(t, seed, demoSupportLine)
	sales := seedBlockedUsers(t, seed, demoSalesLine)
	const example = "use-cases/drift-report"

	t.Run("counts lists and drift", func(t *testing.T) {
		t.Parallel()
		const added, removed = "+919777666555", "+919999000111"
		if !slices.Contains(byChannel["sms"], added) || slices.Contains(byChannel["sms"], removed) {
			t.Fatalf("the demo seed's sms blocklist changed: %v", byChannel["sms"])
		}
		baselineSMS := append(slices.DeleteFunc(slices.Clone(byChannel["sms"]), func(n string) bool { return n == added }), removed)
		const limit = 5
		ex := newExampleRun(t, example, sb)
		ex.setVars(map[string]any{
			"title": "Weekly blocklist review",
			"whatsapp_business_numbers": map[string]any{
				"support": map[string]string{"phone_number": demoSupportLine},
				"sales":   map[string]string{"phone_number": demoSalesLine, "api_version": "v1"},
			},
			"baseline":   map[string][]string{"sms": baselineSMS, "voice": byChannel["voice"]},
			"list_limit": limit,
		})
		if diags := ex.apply(); len(diags) > 0 {
			t.Errorf("unexpected diagnostics: %+v", diags)
		}

		ex.expectOutput("counts_by_channel", counts)
		ex.expectOutput("numbers_by_channel", byChannel)
		ex.expectOutput("whatsapp_blocked_counts", map[string]int{"support": len(support), "sales": len(sales)})
		type drift struct {
			Added   []string `json:"added"`
			Removed []string `json:"removed"`
		}
		ex.expectOutput("drift", map[string]drift{
			"sms":   {Added: []string{added}, Removed: []string{removed}},
			"voice": {Added: []string{}, Removed: []string{}},
		})
		ex.expectOutput("has_drift", true)

		var report string
		ex.output("report", &report)
		if first, _, _ := strings.Cut(report, "\n"); first != "# Weekly blocklist review" {
			t.Errorf("the report starts with %q", first)
		}
		rows, lists := parseReport(report)
		want := []string{
			"| sms | 13 |", "| voice | 7 |", "| whatsapp | 10 |",
			"| sales | " + demoSalesLine + " | v1 | 10 |", "| support | " + demoSupportLine + " | v2 | 28 |",
			"| sms | 1 | 1 |", "| voice | 0 | 0 |",
		}
		if counts["sms"] != 13 || counts["voice"] != 7 || counts["whatsapp"] != 10 || len(support) != 28 || len(sales) != 10 {
			t.Fatalf("the demo seed changed: blocklist %v, support line %d, sales line %d; update the expected report rows", counts, len(support), len(sales))
		}
		if !reflect.DeepEqual(rows, want) {
			t.Errorf("report table rows:\n got %q\nwant %q", rows, want)
		}
		truncated := func(numbers []string) []string {
			return append(slices.Clone(numbers[:limit]), fmt.Sprintf("… and %d more", len(numbers)-limit))
		}
		wantLists := map[string][]string{
			"sms (13)":                              truncated(byChannel["sms"]),
			"voice (7)":                             truncated(byChannel["voice"]),
			"whatsapp (10)":                         truncated(byChannel["whatsapp"]),
			"support: " + demoSupportLine + " (28)": truncated(plus(support)),
			"sales: " + demoSalesLine + " (10)":     truncated(plus(sales)),
			"sms":                                   {"added " + added, "removed " + removed},
		}
		if !reflect.DeepEqual(lists, wantLists) {
			t.Errorf("report lists:\n got %q\nwant %q", lists, wantLists)
		}
	})

	t.Run("no baseline and no business numbers", func(t *testing.T) {
		t.Parallel()
		ex := newExampleRun(t, example, sb)
		ex.setVars(map[string]any{"channels": []string{"whatsapp", "sms"}})
		ex.apply()

		ex.expectOutput("counts_by_channel", map[string]int{"sms": counts["sms"], "whatsapp": counts["whatsapp"]})
		ex.expectOutput("drift", map[string]any{})
		ex.expectOutput("has_drift", false)
		var report string
		ex.output("report", &report)
		for _, absent := range []string{"## WhatsApp", "## Drift", "more"} {
			if strings.Contains(report, absent) {
				t.Errorf("the report has %q:\n%s", absent, report)
			}
		}
		_, lists := parseReport(report)
		wantLists := map[string][]string{
			fmt.Sprintf("sms (%d)", counts["sms"]):           byChannel["sms"],
			fmt.Sprintf("whatsapp (%d)", counts["whatsapp"]): byChannel["whatsapp"],
		}
		if !reflect.DeepEqual(lists, wantLists) {
			t.Errorf("report lists:\n got %q\nwant %q", lists, wantLists)
		}
	})
}

func TestExamplesForEach(t *testing.T) {
	seed := sandbox.DefaultSeed()
	sb := startSandbox(t, seed, sandbox.Options{})
	support := seedBlockedUsers(t, seed, demoSupportLine)

	ex := newExampleRun(t, "use-cases/for-each", sb)
	ex.setVars(map[string]any{"business_number": demoSupportLine})
	ex.apply()
	ex.expectOutput("suppressed_wa_ids", support)
	ex.expectOutput("suppression_count", len(support))
	ex.expectOutput("suppressed_phone_numbers", plus(support))

	// The same blocklist plans no change: keys are stable wa_ids.
	if stream, code := ex.plan(); code != 0 {
		t.Errorf("re-planning an unchanged blocklist: exit %d, changes %v", code, plannedChanges(stream))
	}

	// One user unblocked, one newly blocked: exactly those two entries change.
	const unblocked, blocked = "919812345678", "919000111222"
	if !slices.Contains(support, unblocked) || slices.Contains(support, blocked) {
		t.Fatalf("the demo seed changed: %v", support)
	}
	ids := slices.DeleteFunc(slices.Clone(support), func(id string) bool { return id == unblocked })
	if err := sb.SetBlocked(seed.Accounts[0].SID, demoSupportLine, append(ids, blocked)); err != nil {
		t.Fatal(err)
	}
	stream, code := ex.plan()
	if code != 2 {
		t.Fatalf("planning a changed blocklist: exit %d, want 2 (changes)", code)
	}
	want := map[string]string{
		`terraform_data.suppression["` + blocked + `"]`:   "create",
		`terraform_data.suppression["` + unblocked + `"]`: "delete",
	}
	if got := plannedChanges(stream); !maps.Equal(got, want) {
		t.Errorf("planned changes: got %v, want %v", got, want)
	}
}

func TestExamplesFunctionsApply(t *testing.T) {
	skipWithoutProviderFunctions(t)
	sb := startSandbox(t, sandbox.DefaultSeed(), sandbox.Options{})

	ex := newExampleRun(t, "functions/e164", sb)
	if diags := ex.apply(); len(diags) > 0 {
		t.Errorf("the e164 example reported: %+v", diags)
	}
	ex.expectOutput("written_internationally", "+919876543210")
	ex.expectOutput("written_in_india", "+919876543210")
	ex.expectOutput("written_in_the_us", "+14155550123")
	ex.expectOutput("on_call_blocked", map[string]bool{demoEverywhere: true, demoSMSOnly: true, demoClean: false})
}

func TestExamplesNormaliseNumbers(t *testing.T) {
	skipWithoutProviderFunctions(t)
	sb := startSandbox(t, sandbox.DefaultSeed(), sandbox.Options{})
	const example = "use-cases/normalise-numbers"
	// The demo seed's numbers as people write them.
	const (
		everywhere = "+91 98123-45678" // demoEverywhere
		smsOnly    = "080 2345 6789"   // demoSMSOnly
		clean      = "098765 00001"    // demoClean
		cleanUS    = "+1 (415) 555-0100"
	)

	t.Run("reachable numbers pass", func(t *testing.T) {
		t.Parallel()
		ex := newExampleRun(t, example, sb)
		ex.setVars(map[string]any{"on_call": map[string]string{"chen": clean, "dana": cleanUS}})
		if diags := ex.apply(); len(diags) > 0 {
			t.Errorf("a passing rota reported: %+v", diags)
		}
		ex.expectOutput("numbers", map[string]string{"chen": demoClean, "dana": demoCleanToo})
		ex.expectOutput("unreachable", map[string]string{})
	})

	t.Run("a blocklisted number stops the plan", func(t *testing.T) {
		t.Parallel()
		ex := newExampleRun(t, example, sb)
		ex.setVars(map[string]any{"on_call": map[string]string{"asha": everywhere, "chen": clean}})
		why := "1 of 2 people on call are blocklisted: asha (" + demoEverywhere + ")."
		expectDiagnostics(t, ex.planFails(),
			tfDiagnostic{Severity: "warning", Summary: "Check block assertion failed", Detail: why},
			tfDiagnostic{Severity: "error", Summary: "Module output value precondition failed", Detail: strings.TrimSuffix(why, ".") + ". Unblock them, or change the rota."},
		)
	})

	t.Run("only the chosen channel counts", func(t *testing.T) {
		t.Parallel()
		ex := newExampleRun(t, example, sb)
		ex.setVars(map[string]any{"on_call": map[string]string{"bala": smsOnly}, "channel": "voice"})
		if diags := ex.apply(); len(diags) > 0 {
			t.Errorf("an SMS-only number failed the voice blocklist: %+v", diags)
		}
		ex.expectOutput("numbers", map[string]string{"bala": demoSMSOnly})

		ex.setVars(map[string]any{"on_call": map[string]string{"bala": smsOnly}, "channel": "sms"})
		why := "1 of 1 people on call are blocklisted on sms: bala (" + demoSMSOnly + ")"
		expectDiagnostics(t, ex.planFails(),
			tfDiagnostic{Severity: "warning", Summary: "Check block assertion failed", Detail: why + "."},
			tfDiagnostic{Severity: "error", Summary: "Module output value precondition failed", Detail: why + ". Unblock them, or change the rota."},
		)
	})

	t.Run("enforce false only warns", func(t *testing.T) {
		t.Parallel()
		ex := newExampleRun(t, example, sb)
		ex.setVars(map[string]any{
			"on_call":        map[string]string{"asha": everywhere, "bala": smsOnly, "dana": cleanUS},
			"default_region": "in",
			"enforce":        false,
		})
		expectDiagnostics(t, ex.apply(), tfDiagnostic{
			Severity: "warning", Summary: "Check block assertion failed",
			Detail: "2 of 3 people on call are blocklisted: asha (" + demoEverywhere + "), bala (" + demoSMSOnly + ").",
		})
		ex.expectOutput("unreachable", map[string]string{"asha": demoEverywhere, "bala": demoSMSOnly})
	})

	t.Run("a number written wrong fails naming it", func(t *testing.T) {
		t.Parallel()
		ex := newExampleRun(t, example, sb)
		ex.setVars(map[string]any{"on_call": map[string]string{"chen": clean, "eve": "12345"}})
		expectDiagnostics(t, ex.planFails(), tfDiagnostic{
			Severity: "error", Summary: "Invalid function argument",
			Detail: `Invalid value for "number" parameter: "12345" is not a valid phone number: it is too short for IN (+91).`,
		})

		ex.setVars(map[string]any{"on_call": map[string]string{"chen": clean}, "default_region": "India"})
		diags := ex.planFails()
		if len(diags) != 1 || !strings.HasPrefix(diags[0].Detail, `Invalid value for "default_region" parameter: "India" is not a region code`) {
			t.Errorf("an unknown region reported: %+v", diags)
		}
	})
}

// TestExamplesModuleTests runs the `terraform test` files beside the
// examples (examples/use-cases/policy-check/*.tftest.hcl) as a user of a
// local build runs them: `terraform test` under dev_overrides, without
// `terraform init` (which fails there), offline, with the provider mocked
// (mock_provider), so no sandbox and no credentials. TestExamplesDocCommands
// runs the testing guide's commands, with and without init, as written.
func TestExamplesModuleTests(t *testing.T) {
	modules := exampleTestModules(t)
	if !slices.Contains(slices.Collect(maps.Keys(modules)), "use-cases/policy-check") {
		t.Errorf("examples/use-cases/policy-check has no .tftest.hcl file; found tests in %v", modules)
	}
	skipWithoutTestMocks(t)
	for dir, runs := range modules {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			if why := exampleSkipReason(t, dir); why != "" {
				t.Skip(why)
			}
			ex := newExampleRun(t, dir, nil)
			ex.env = cliEnv(devOverridesCLIConfig(t))
			stdout, stderr, code := ex.run("test", "-no-color")
			if code != 0 {
				t.Fatalf("terraform test: exit %d\n%s\n%s", code, stdout, stderr)
			}
			// Every run block passed: none was skipped or left out.
			if want := fmt.Sprintf("%d passed, 0 failed", runs); !strings.Contains(stdout, want) {
				t.Errorf("terraform test did not report %q:\n%s", want, stdout)
			}
		})
	}
}

// runBlock is the start of a run block in a .tftest.hcl file.
var runBlock = regexp.MustCompile(`(?m)^run\s+"`)

// exampleTestModules maps each example module that has .tftest.hcl files
// (beside it or in its tests/ directory), relative to examples/, to the
// number of run blocks in them.
func exampleTestModules(t *testing.T) map[string]int {
	t.Helper()
	root := examplesRoot(t)
	modules := map[string]int{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".terraform") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".tftest.hcl") {
			return nil
		}
		module := filepath.Dir(path)
		if filepath.Base(module) == "tests" {
			module = filepath.Dir(module)
		}
		rel, err := filepath.Rel(root, module)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		modules[filepath.ToSlash(rel)] += len(runBlock.FindAll(data, -1))
		return nil
	})
	if err != nil {
		t.Fatalf("listing example tests: %v", err)
	}
	return modules
}

func TestExamplesDemo(t *testing.T) {
	seed := sandbox.DefaultSeed()
	sb := startSandbox(t, seed, sandbox.Options{})
	byChannel := seedBlocklist(seed)
	counts := map[string]int{}
	for channel, numbers := range byChannel {
		counts[channel] = len(numbers)
	}

	ex := newExampleRun(t, "demo", sb)
	ex.terraform("get")
	if diags := ex.apply(); len(diags) > 0 {
		t.Errorf("the demo reported: %+v", diags)
	}
	ex.expectOutput("policy_verdict", "PASS: all 3 critical numbers are reachable")
	ex.expectOutput("counts_by_channel", counts)
	ex.expectOutput("numbers_by_channel", byChannel)
	ex.expectOutput("whatsapp_blocked_counts", map[string]int{
		"support": len(seedBlockedUsers(t, seed, demoSupportLine)),
		"sales":   len(seedBlockedUsers(t, seed, demoSalesLine)),
	})
	ex.expectOutput("sms_drift", map[string][]string{"added": {"+919777666555"}, "removed": {"+919999000111"}})
	ex.expectOutput("suppression_count", len(seedBlockedUsers(t, seed, demoSupportLine)))
	var report string
	ex.output("report", &report)
	if !strings.HasPrefix(report, "# Kaleyra blocklist report (sandbox demo)\n") || !strings.Contains(report, "## Drift since the baseline") {
		t.Errorf("the demo report:\n%s", report)
	}
}

// exampleRun runs Terraform in one example directory of a private copy of
// examples/.
type exampleRun struct {
	t       *testing.T
	dir     string
	varFile string
	env     []string
}

// newExampleRun copies examples/ into a temporary directory and prepares to
// run example in it, against sb (nil: no credentials, for validate).
func newExampleRun(t *testing.T, example string, sb *sandbox.Server) *exampleRun {
	t.Helper()
	cliConfig := buildExampleProvider(t)
	work := t.TempDir()
	if err := copyExamples(examplesRoot(t), work); err != nil {
		t.Fatalf("copying examples: %v", err)
	}
	ex := &exampleRun{t: t, dir: filepath.Join(work, filepath.FromSlash(example)), varFile: filepath.Join(work, "test.tfvars.json"), env: cliEnv(cliConfig)}
	if sb != nil {
		account := sandbox.DefaultSeed().Accounts[0]
		ex.env = append(ex.env, EnvSID+"="+account.SID, EnvAPIKey+"="+account.APIKey, EnvBaseURL+"="+sb.URL())
	}
	ex.setVars(map[string]any{})
	return ex
}

// setVars sets the input variables of the following plans and applies.
func (ex *exampleRun) setVars(vars map[string]any) {
	ex.t.Helper()
	data, err := json.Marshal(vars)
	if err != nil {
		ex.t.Fatal(err)
	}
	if err := os.WriteFile(ex.varFile, data, 0o600); err != nil {
		ex.t.Fatal(err)
	}
}

// run runs terraform with args and returns stdout, stderr and the exit code.
func (ex *exampleRun) run(args ...string) (stdout, stderr string, code int) {
	ex.t.Helper()
	return runCLI(ex.t, ex.dir, ex.env, 5*time.Minute, args...)
}

// terraform runs a command that must succeed and returns its stdout.
func (ex *exampleRun) terraform(args ...string) string {
	ex.t.Helper()
	stdout, stderr, code := ex.run(args...)
	if code != 0 {
		ex.t.Fatalf("terraform %s: exit %d\n%s\n%s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout
}

// apply applies with the variables set and returns its diagnostics (other
// than the dev_overrides warning).
func (ex *exampleRun) apply() []tfDiagnostic {
	ex.t.Helper()
	return streamDiagnostics(ex.t, ex.terraform("apply", "-json", "-auto-approve", "-var-file="+ex.varFile))
}

// plan plans with the variables set and returns the JSON stream and the
// -detailed-exitcode exit code: 0 no changes, 2 changes.
func (ex *exampleRun) plan() (string, int) {
	ex.t.Helper()
	stdout, stderr, code := ex.run("plan", "-json", "-detailed-exitcode", "-var-file="+ex.varFile)
	if code != 0 && code != 2 {
		ex.t.Fatalf("terraform plan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	return stdout, code
}

// planFails plans with the variables set, expects it to fail and returns
// its diagnostics.
func (ex *exampleRun) planFails() []tfDiagnostic {
	ex.t.Helper()
	stdout, stderr, code := ex.run("plan", "-json", "-var-file="+ex.varFile)
	if code != 1 {
		ex.t.Fatalf("terraform plan: exit %d, want 1 (failed)\n%s\n%s", code, stdout, stderr)
	}
	return streamDiagnostics(ex.t, stdout)
}

// output decodes the named root output's value into v.
func (ex *exampleRun) output(name string, v any) {
	ex.t.Helper()
	out := ex.terraform("output", "-json", name)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		ex.t.Fatalf("output %s: %v\n%s", name, err, out)
	}
}

// expectOutput checks the named output against want, decoded into want's
// type.
func (ex *exampleRun) expectOutput(name string, want any) {
	ex.t.Helper()
	got := reflect.New(reflect.TypeOf(want))
	ex.output(name, got.Interface())
	if !reflect.DeepEqual(got.Elem().Interface(), want) {
		ex.t.Errorf("output %s:\n got %#v\nwant %#v", name, got.Elem().Interface(), want)
	}
}

// tfDiagnostic is a diagnostic in Terraform's machine-readable output.
type tfDiagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
}

const devOverridesWarning = "Provider development overrides are in effect"

func withoutDevOverrides(diags []tfDiagnostic) []tfDiagnostic {
	return slices.DeleteFunc(slices.Clone(diags), func(d tfDiagnostic) bool { return d.Summary == devOverridesWarning })
}

// streamDiagnostics collects the diagnostics of a -json plan or apply.
func streamDiagnostics(t *testing.T, stream string) []tfDiagnostic {
	t.Helper()
	var diags []tfDiagnostic
	for _, msg := range streamMessages(t, stream) {
		if msg.Type == "diagnostic" && msg.Diagnostic != nil {
			diags = append(diags, *msg.Diagnostic)
		}
	}
	return withoutDevOverrides(diags)
}

// plannedChanges maps each resource address a -json plan changes to the
// action.
func plannedChanges(stream string) map[string]string {
	changes := map[string]string{}
	for _, line := range strings.Split(stream, "\n") {
		var msg streamMessage
		if json.Unmarshal([]byte(line), &msg) == nil && msg.Type == "planned_change" {
			changes[msg.Change.Resource.Addr] = msg.Change.Action
		}
	}
	return changes
}

type streamMessage struct {
	Type       string        `json:"type"`
	Diagnostic *tfDiagnostic `json:"diagnostic"`
	Change     struct {
		Resource struct {
			Addr string `json:"addr"`
		} `json:"resource"`
		Action string `json:"action"`
	} `json:"change"`
}

func streamMessages(t *testing.T, stream string) []streamMessage {
	t.Helper()
	var msgs []streamMessage
	sc := bufio.NewScanner(strings.NewReader(stream))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var msg streamMessage
		if err := json.Unmarshal(sc.Bytes(), &msg); err != nil {
			t.Fatalf("not Terraform's JSON stream: %v: %s", err, sc.Text())
		}
		msgs = append(msgs, msg)
	}
	return msgs
}

// expectDiagnostics checks the diagnostics, in any order.
func expectDiagnostics(t *testing.T, got []tfDiagnostic, want ...tfDiagnostic) {
	t.Helper()
	key := func(a, b tfDiagnostic) int {
		return strings.Compare(a.Severity+a.Summary+a.Detail, b.Severity+b.Summary+b.Detail)
	}
	got, want = slices.SortedFunc(slices.Values(got), key), slices.SortedFunc(slices.Values(want), key)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("diagnostics:\n got %+v\nwant %+v", got, want)
	}
}

// parseReport returns the drift report's table rows (other than headers),
// and each "### heading" with its list items.
func parseReport(md string) (rows []string, lists map[string][]string) {
	lists = map[string][]string{}
	heading := ""
	for _, line := range strings.Split(md, "\n") {
		switch {
		case strings.HasPrefix(line, "### "):
			heading = strings.TrimPrefix(line, "### ")
			lists[heading] = []string{}
		case strings.HasPrefix(line, "#"):
			heading = ""
		case strings.HasPrefix(line, "- ") && heading != "":
			lists[heading] = append(lists[heading], strings.TrimPrefix(line, "- "))
		case strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| ---") && !strings.Contains(line, "blocklisted numbers") &&
			!strings.Contains(line, "business number |") && !strings.Contains(line, "| added |"):
			rows = append(rows, line)
		}
	}
	return rows, lists
}

// seedBlocklist returns the seed's contacts blocklist: channel => numbers,
// sorted and unique, as the drift report lists them.
func seedBlocklist(seed sandbox.Seed) map[string][]string {
	byChannel := map[string][]string{}
	for _, e := range seed.Accounts[0].Blocklist {
		byChannel[e.Channel] = append(byChannel[e.Channel], e.Mobile)
	}
	for channel, numbers := range byChannel {
		slices.Sort(numbers)
		byChannel[channel] = slices.Compact(numbers)
	}
	return byChannel
}

// seedBlockedUsers returns the sorted, unique wa_ids a seed business number
// has blocked.
func seedBlockedUsers(t *testing.T, seed sandbox.Seed, phone string) []string {
	t.Helper()
	for _, n := range seed.Accounts[0].WhatsAppNumbers {
		if n.PhoneNumber == phone {
			ids := slices.Clone(n.Blocked)
			slices.Sort(ids)
			return slices.Compact(ids)
		}
	}
	t.Fatalf("the seed has no business number %s", phone)
	return nil
}

func plus(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = "+" + id
	}
	return out
}

// exampleConfigDirs lists the directories under examples/ that hold .tf
// files, slash-separated and relative to examples/.
func exampleConfigDirs(t *testing.T) []string {
	t.Helper()
	root := examplesRoot(t)
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".terraform") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".tf") {
			rel, err := filepath.Rel(root, filepath.Dir(path))
			if err != nil {
				return err
			}
			if rel = filepath.ToSlash(rel); !slices.Contains(dirs, rel) {
				dirs = append(dirs, rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("listing examples: %v", err)
	}
	return dirs
}

// copyExamples copies the example sources, leaving out any Terraform working
// files a local run left behind.
func copyExamples(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if strings.HasPrefix(name, ".terraform") || strings.HasPrefix(name, "terraform.tfstate") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

func TestExamplesSharedReadsPerProviderConfiguration(t *testing.T) {
	// Under the real CLI each provider configuration is its own provider
	// process: identical reads of one configuration share one request, an
	// alias with the very same arguments never shares it. (The in-process
	// test harness serves every configuration from one server, so this
	// runs the built provider.)
	sb := startSandbox(t, sandbox.DefaultSeed(), sandbox.Options{})
	ex := newExampleRun(t, "provider", sb)
	ex.dir = t.TempDir()
	config := `
terraform {
  required_providers {
    kaleyra = { source = "kaleyra/kaleyra" }
  }
}

provider "kaleyra" {}

provider "kaleyra" {
  alias = "other"
}

data "kaleyra_contacts_blocklisted" "a" {
  mobiles = ["+919800000001", "+919800000002"]
}

data "kaleyra_contacts_blocklisted" "b" {
  mobiles   = ["+919800000002", "+919800000001"]
  page_size = 50
}

data "kaleyra_contacts_blocklisted" "other" {
  provider = kaleyra.other
  mobiles  = ["+919800000001", "+919800000002"]
}
`
	if err := os.WriteFile(filepath.Join(ex.dir, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	ex.terraform("plan", "-input=false", "-no-color")
	reqs := sb.Requests()
	if len(reqs) != 2 {
		t.Fatalf("one plan made %d requests, want 2: one for the two identical reads of the default configuration, one for the alias", len(reqs))
	}
}
