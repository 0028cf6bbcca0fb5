package provider

import (
	"archive/zip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

// The ephemeral resources under the real CLI, as a user runs them: the
// policy check's ephemeral variant, and what lands on disk.

const ephemeralPolicyExample = "use-cases/policy-check-ephemeral"

func TestExamplesPolicyCheckEphemeral(t *testing.T) {
	skipWithoutEphemeralResources(t)
	sb := startSandbox(t, sandbox.DefaultSeed(), sandbox.Options{})
	const everywhere = "sms, voice, whatsapp"
	warning := func(channels, business string) tfDiagnostic {
		return tfDiagnostic{Severity: "warning", Summary: "Check block assertion failed",
			Detail: "A critical number is blocklisted on " + channels + business + ". The numbers are not shown: they are read ephemerally."}
	}
	failure := func(channels, business string) tfDiagnostic {
		return tfDiagnostic{Severity: "error", Summary: "Resource precondition failed",
			Detail: "Policy violation: a critical number is blocklisted on " + channels + business + ". Unblock it, or take it " +
				"off critical_numbers; run the data-source policy check where storing numbers is allowed to see which."}
	}
	onWhatsApp := " or has blocked " + demoSupportLine + " on WhatsApp"

	t.Run("reachable numbers pass", func(t *testing.T) {
		t.Parallel()
		ex := newExampleRun(t, ephemeralPolicyExample, sb)
		ex.setVars(map[string]any{
			"critical_numbers":         []string{demoClean, demoCleanToo, demoClean},
			"whatsapp_business_number": demoSupportLine,
		})
		if diags := ex.apply(); len(diags) > 0 {
			t.Errorf("a passing policy check reported: %+v", diags)
		}
	})

	t.Run("blocklisted number stops the plan", func(t *testing.T) {
		t.Parallel()
		ex := newExampleRun(t, ephemeralPolicyExample, sb)
		ex.setVars(map[string]any{
			"critical_numbers":         []string{demoEverywhere, demoClean},
			"whatsapp_business_number": demoSupportLine,
		})
		expectDiagnostics(t, ex.planFails(), warning(everywhere, onWhatsApp), failure(everywhere, onWhatsApp))
	})

	t.Run("a WhatsApp block alone stops the plan", func(t *testing.T) {
		t.Parallel()
		ex := newExampleRun(t, ephemeralPolicyExample, sb)
		ex.setVars(map[string]any{
			"critical_numbers":         []string{demoWhatsAppBan},
			"whatsapp_business_number": demoSupportLine,
		})
		expectDiagnostics(t, ex.planFails(), warning(everywhere, onWhatsApp), failure(everywhere, onWhatsApp))
		ex.setVars(map[string]any{"critical_numbers": []string{demoWhatsAppBan}})
		if diags := ex.apply(); len(diags) > 0 {
			t.Errorf("without the business number, a WhatsApp block reported: %+v", diags)
		}
	})

	t.Run("only the chosen channels count", func(t *testing.T) {
		t.Parallel()
		ex := newExampleRun(t, ephemeralPolicyExample, sb)
		ex.setVars(map[string]any{"critical_numbers": []string{demoSMSOnly}, "channels": []string{"voice", "whatsapp"}})
		if diags := ex.apply(); len(diags) > 0 {
			t.Errorf("an SMS-only number failed a voice and WhatsApp policy: %+v", diags)
		}
		ex.setVars(map[string]any{"critical_numbers": []string{demoSMSOnly}})
		expectDiagnostics(t, ex.planFails(), warning(everywhere, ""), failure(everywhere, ""))
	})

	t.Run("enforce false only warns", func(t *testing.T) {
		t.Parallel()
		ex := newExampleRun(t, ephemeralPolicyExample, sb)
		ex.setVars(map[string]any{"critical_numbers": []string{demoEverywhere}, "enforce": false})
		expectDiagnostics(t, ex.apply(), warning(everywhere, ""))
	})
}

// wholeBlocklistCheck, added to a copy of an example, reads the whole
// contacts blocklist too: the ephemeral resource or the data source
// (kind), so that every blocklisted number of the seed passes through the
// provider.
func wholeBlocklistCheck(kind string) string {
	ref := "ephemeral.kaleyra_contacts_blocklisted.everything"
	if kind == "data" {
		ref = "data.kaleyra_contacts_blocklisted.everything"
	}
	return kind + ` "kaleyra_contacts_blocklisted" "everything" {}

check "blocklist_read" {
  assert {
    condition     = ` + ref + `.total > 0
    error_message = "The whole blocklist read as empty."
  }
}
`
}

func TestEphemeral_nothingPersonalReachesStatePlanOrShow(t *testing.T) {
	// The ephemeral policy check, with the whole blocklist read too and a
	// business number whose blocked users are read, planned to a file and
	// applied: every blocklisted number and wa_id of the seed and every
	// critical number passed through the provider, and none of them, in
	// any form, is in the state file, the saved plan (every file in it),
	// or `terraform show -json` of either. The same run with data sources
	// finds them, so the scan can see them.
	skipWithoutEphemeralResources(t)
	seed := sandbox.DefaultSeed()
	sb := startSandbox(t, seed, sandbox.Options{})
	critical := []string{demoEverywhere, demoClean, demoWhatsAppBan}
	var numbers []string
	for _, e := range seed.Accounts[0].Blocklist {
		numbers = append(numbers, e.Mobile)
	}
	for _, id := range seedBlockedUsers(t, seed, demoSupportLine) {
		numbers = append(numbers, "+"+id)
	}
	numbers = slices.Compact(slices.Sorted(slices.Values(append(numbers, critical...))))

	run := func(t *testing.T, kind string) map[string]string {
		t.Helper()
		ex := newExampleRun(t, ephemeralPolicyExample, sb)
		ex.setVars(map[string]any{
			"critical_numbers": critical, "whatsapp_business_number": demoSupportLine, "enforce": false,
		})
		if kind == "data" {
			// The data-source twin of the example: the same reads, stored.
			main := filepath.Join(ex.dir, "main.tf")
			data, err := os.ReadFile(main)
			if err != nil {
				t.Fatal(err)
			}
			text := strings.ReplaceAll(strings.ReplaceAll(string(data), "ephemeral \"kaleyra", "data \"kaleyra"), "ephemeral.kaleyra", "data.kaleyra")
			text = strings.Replace(text, "  ephemeral   = true\n", "", 1)
			if err := os.WriteFile(main, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(ex.dir, "whole.tf"), []byte(wholeBlocklistCheck(kind)), 0o644); err != nil {
			t.Fatal(err)
		}
		sb.ResetRequests()
		artifacts := map[string]string{}
		ex.terraform("plan", "-input=false", "-no-color", "-var-file="+ex.varFile, "-out=tfplan")
		for name, text := range unzipAll(t, filepath.Join(ex.dir, "tfplan")) {
			artifacts["the saved plan's "+name] = text
		}
		artifacts["terraform show -json tfplan"] = ex.terraform("show", "-json", "tfplan")
		ex.terraform("apply", "-input=false", "-no-color", "-auto-approve", "-var-file="+ex.varFile)
		state, err := os.ReadFile(filepath.Join(ex.dir, "terraform.tfstate"))
		if err != nil {
			t.Fatal(err)
		}
		artifacts["the state file"] = string(state)
		artifacts["terraform show -json"] = ex.terraform("show", "-json")

		// The reads happened: the whole list, each channel's lookup and
		// the business number's blocked users, in the plan and again in
		// the apply.
		var whole, lookups, whatsapp int
		for _, r := range sb.Requests() {
			switch {
			case r.API == "whatsapp":
				whatsapp++
			case len(r.Mobiles) > 0:
				lookups++
			default:
				whole++
			}
		}
		if whole == 0 || lookups < 3 || whatsapp == 0 {
			t.Fatalf("the run read the whole list %d times, looked numbers up %d times and read blocked users %d times; want all three", whole, lookups, whatsapp)
		}
		return artifacts
	}

	t.Run("ephemeral resources", func(t *testing.T) {
		for what, text := range run(t, "ephemeral") {
			if n, form := findNumber(text, numbers); n != "" {
				i := strings.Index(text, form)
				t.Errorf("%s holds %s as %q: …%s…", what, n, form, text[max(0, i-120):min(len(text), i+80)])
			}
		}
	})
	t.Run("data sources (the scan's control)", func(t *testing.T) {
		artifacts := run(t, "data")
		for _, what := range []string{"the state file", "terraform show -json", "terraform show -json tfplan"} {
			if n, _ := findNumber(artifacts[what], numbers); n == "" {
				t.Errorf("with data sources, %s holds no blocklisted number: the scan would not see one", what)
			}
		}
	})
}

// findNumber returns the first of numbers found in text, and the form it
// was found in (see numberForms), or "".
func findNumber(text string, numbers []string) (number, form string) {
	for _, n := range numbers {
		for _, f := range numberForms(n) {
			if strings.Contains(text, f) {
				return n, f
			}
		}
	}
	return "", ""
}

// unzipAll returns the files of a zip archive (a saved plan) by name.
func unzipAll(t *testing.T, path string) map[string]string {
	t.Helper()
	r, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("the saved plan %s: %v", path, err)
	}
	defer r.Close()
	files := map[string]string{}
	for _, f := range r.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name] = string(data)
	}
	if len(files) == 0 {
		t.Fatalf("the saved plan %s holds no file", path)
	}
	return files
}

func TestExamplesEphemeralResourcesApply(t *testing.T) {
	skipWithoutEphemeralResources(t)
	seed := sandbox.DefaultSeed()
	sb := startSandbox(t, seed, sandbox.Options{})

	t.Run("kaleyra_contacts_blocklisted", func(t *testing.T) {
		t.Parallel()
		ex := newExampleRun(t, "ephemeral-resources/kaleyra_contacts_blocklisted", sb)
		if diags := ex.apply(); len(diags) > 0 {
			t.Errorf("the example reported: %+v", diags)
		}
		// A blocklisted on-call number: the check warns.
		ex.setVars(map[string]any{"on_call": []string{demoClean, demoSMSOnly}})
		expectDiagnostics(t, ex.apply(), tfDiagnostic{
			Severity: "warning", Summary: "Check block assertion failed", Detail: "An on-call number is on the SMS blocklist.",
		})
	})

	t.Run("kaleyra_whatsapp_blocked_users", func(t *testing.T) {
		t.Parallel()
		// A sandbox of its own: the test changes who blocked the line.
		sb := startSandbox(t, seed, sandbox.Options{})
		ex := newExampleRun(t, "ephemeral-resources/kaleyra_whatsapp_blocked_users", sb)
		if diags := ex.apply(); len(diags) > 0 {
			t.Errorf("the example reported: %+v", diags)
		}
		blocked := append(seedBlockedUsers(t, seed, demoSupportLine), strings.TrimPrefix(demoClean, "+"))
		if err := sb.SetBlocked(seed.Accounts[0].SID, demoSupportLine, blocked); err != nil {
			t.Fatal(err)
		}
		expectDiagnostics(t, ex.planFails(), tfDiagnostic{
			Severity: "error", Summary: "Resource precondition failed",
			Detail: "The escalation contact has blocked the WhatsApp support line: route escalations by SMS.",
		})
	})
}
