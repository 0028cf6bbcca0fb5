package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

// The keys the secrets test hunts for. Each starts with a character that
// occurs nowhere else in it, which errorLikeWithout needs.
const (
	secretAPIKey = "Qsecret0key0that0must0never0leak042"
	wrongAPIKey  = "Xwrong0key0that0must0never0leak0099"
	wrongSID     = "HXWRONG0000000IN"
)

// secretConfig reads the WhatsApp blocklist with the key from the
// variable named keyVar (set through TF_VAR_<keyVar>), or from the
// KALEYRA_API_KEY environment variable when keyVar is "". The key is never
// in the configuration text, which the test harness itself logs.
func secretConfig(baseURL, sid, keyVar string, provider map[string]string) string {
	set := map[string]string{"sid": strconv.Quote(sid), "api_key": ""}
	variable := ""
	if keyVar != "" {
		variable = fmt.Sprintf("\nvariable %q {\n  type = string\n}\n", keyVar)
		set["api_key"] = "var." + keyVar
	}
	maps.Copy(set, provider)
	return variable + whatsappConfig(baseURL, set, faultBusiness, "")
}

func TestSecret_apiKeyNeverLoggedStoredOrShown(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "terraform.log")
	// TF_ACC_LOG_PATH sends the Terraform CLI's log and, at TRACE, the
	// in-process provider's tflog output to one file.
	t.Setenv("TF_ACC_LOG_PATH", logPath)
	t.Setenv("TF_VAR_api_key", secretAPIKey)
	t.Setenv("TF_VAR_wrong_api_key", wrongAPIKey)
	t.Setenv(EnvAPIKey, secretAPIKey)
	t.Setenv(EnvSID, "")

	ids := waIDs(919800000000, 25)
	seed := testAccount([]sandbox.WhatsAppNumber{{PhoneNumber: faultBusiness, Blocked: ids}}, nil)
	seed.Accounts[0].APIKey = secretAPIKey
	sb := startSandbox(t, seed, sandbox.Options{})
	// The redirect target knows the account too: the key would work there.
	other := startSandbox(t, seed, sandbox.Options{})

	recorder := &diagnosticsRecorder{}
	secrets := []string{secretAPIKey, wrongAPIKey}
	noLeak := []statecheck.StateCheck{
		statecheck.ExpectKnownValue(whatsappAddr, tfjsonpath.New("total"), knownvalue.Int64Exact(int64(len(ids)))),
		noSecretsInState{secrets},
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: recorder.providers(),
		Steps: []resource.TestStep{
			{
				// Success, the key from a Terraform variable.
				Config:            secretConfig(sb.URL(), testSID, "api_key", nil),
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{noSecretsInPlan{secrets}}},
				ConfigStateChecks: noLeak,
			},
			{
				// Success, the key from KALEYRA_API_KEY.
				Config:            secretConfig(sb.URL(), testSID, "", nil),
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{noSecretsInPlan{secrets}}},
				ConfigStateChecks: noLeak,
			},
			{
				// 503 twice, retried, then success.
				PreConfig:         func() { sb.AddFault(sandbox.Fault{API: "whatsapp", Status: 503, Times: 2}) },
				Config:            secretConfig(sb.URL(), testSID, "api_key", nil),
				ConfigStateChecks: noLeak,
			},
			{
				// The right key on the wrong account: RBC001.
				Config:      secretConfig(sb.URL(), wrongSID, "api_key", nil),
				ExpectError: errorLikeWithout(secretAPIKey, "Unable to Read WhatsApp Blocked Users", "HTTP 401 with code RBC001", "`sid` and `api_key`", EnvAPIKey),
			},
			{
				// A wrong key: RBC001.
				Config:      secretConfig(sb.URL(), testSID, "wrong_api_key", nil),
				ExpectError: errorLikeWithout(wrongAPIKey, "Unable to Read WhatsApp Blocked Users", "HTTP 401 with code RBC001", "`sid` and `api_key`", EnvAPIKey),
			},
			{
				// 5xx until the retries run out.
				PreConfig:   func() { sb.AddFault(sandbox.Fault{API: "whatsapp", Status: 503, Times: -1}) },
				Config:      secretConfig(sb.URL(), testSID, "api_key", map[string]string{"max_retries": "1"}),
				ExpectError: errorLikeWithout(secretAPIKey, "Unable to Read WhatsApp Blocked Users", "HTTP 503 with code WA500", "Attempts: 2"),
			},
			{
				// A redirect to another host, refused.
				PreConfig: func() {
					sb.ClearFaults()
					sb.AddFault(sandbox.Fault{API: "whatsapp", RedirectTo: other.URL(), Times: -1})
				},
				Config:      secretConfig(sb.URL(), testSID, "api_key", nil),
				ExpectError: errorLikeWithout(secretAPIKey, "Unable to Read WhatsApp Blocked Users", "refused a redirect", "never leaves the configured host"),
			},
		},
	})

	// The key was really in play: the sandbox received it.
	sent := false
	for _, r := range sb.Requests() {
		sent = sent || r.APIKey == secretAPIKey
	}
	if !sent {
		t.Error("no request carried the API key; the test proves nothing")
	}
	if got := other.Requests(); len(got) != 0 {
		t.Errorf("the redirect target received %d requests (the api-key header with them), want none", len(got))
	}

	// Every diagnostic of every RPC, warnings included.
	diags := recorder.text()
	if !strings.Contains(diags, "RBC001") || !strings.Contains(diags, "refused a redirect") {
		t.Errorf("the recorded diagnostics miss the failures the test caused:\n%s", diags)
	}
	assertNoSecrets(t, "the provider's diagnostics", diags, secrets)

	raw, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("reading the log: %v", err)
	}
	log := string(raw)
	// The log must hold the CLI's lines and the provider's own, else it
	// proves nothing. The CLI's first line names it: "Terraform version:
	// 1.11.4" or "OpenTofu version: 1.12.6".
	if !strings.Contains(log, "Terraform version") && !strings.Contains(log, "OpenTofu version") {
		t.Errorf("the log (%d bytes) has no \"Terraform version\" or \"OpenTofu version\" line", len(log))
	}
	for _, want := range []string{
		"Configured Kaleyra client", "Kaleyra request", "status=200", "status=503", "status=401", "status=302",
		"Retrying Kaleyra request", "Read WhatsApp blocked users",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the log (%d bytes) has no %q line", len(log), want)
		}
	}
	assertNoSecrets(t, "the TRACE log", log, secrets)
}

// assertNoSecrets fails when text holds any secret, or a long piece of one.
func assertNoSecrets(t *testing.T, what, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		half := len(s) / 2
		for _, piece := range []string{s, s[:half], s[half:]} {
			if i := strings.Index(text, piece); i >= 0 {
				from, to := max(0, i-200), min(len(text), i+len(piece)+200)
				t.Errorf("%s contains the API key (%q), here:\n%s", what, piece, text[from:to])
			}
		}
	}
}

// noSecretsInState is a state check: no secret anywhere in the state.
type noSecretsInState struct{ secrets []string }

func (c noSecretsInState) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = findSecrets("the state", req.State, c.secrets)
}

// noSecretsInPlan is a plan check: no secret in what the plan says about
// resources, data sources and outputs. (The plan's root variables hold what
// the user passed in, which is Terraform's business, not the provider's.)
type noSecretsInPlan struct{ secrets []string }

func (c noSecretsInPlan) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	p := req.Plan
	resp.Error = findSecrets("the plan", []any{p.PlannedValues, p.PriorState, p.ResourceChanges, p.ResourceDrift, p.OutputChanges, p.RelevantAttributes}, c.secrets)
}

func findSecrets(what string, v any, secrets []string) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", what, err)
	}
	if len(raw) < 50 {
		return fmt.Errorf("%s is nearly empty (%s); the check proves nothing", what, raw)
	}
	for _, s := range secrets {
		if strings.Contains(string(raw), s) {
			return fmt.Errorf("%s contains the API key %q", what, s)
		}
	}
	return nil
}

// diagnosticsRecorder wraps the provider server and keeps every diagnostic
// it returns, so a test can look at all of them, warnings included.
type diagnosticsRecorder struct {
	mu    sync.Mutex
	diags []*tfprotov6.Diagnostic
}

func (r *diagnosticsRecorder) providers() map[string]func() (tfprotov6.ProviderServer, error) {
	factory := testProviders()["kaleyra"]
	return map[string]func() (tfprotov6.ProviderServer, error){
		"kaleyra": func() (tfprotov6.ProviderServer, error) {
			server, err := factory()
			return recordingServer{ProviderServer: server, r: r}, err
		},
	}
}

func (r *diagnosticsRecorder) add(diags []*tfprotov6.Diagnostic) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.diags = append(r.diags, diags...)
}

func (r *diagnosticsRecorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return diagnosticsText(r.diags)
}

type recordingServer struct {
	tfprotov6.ProviderServer
	r *diagnosticsRecorder
}

func (s recordingServer) ValidateProviderConfig(ctx context.Context, req *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	resp, err := s.ProviderServer.ValidateProviderConfig(ctx, req)
	if resp != nil {
		s.r.add(resp.Diagnostics)
	}
	return resp, err
}

func (s recordingServer) ConfigureProvider(ctx context.Context, req *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	resp, err := s.ProviderServer.ConfigureProvider(ctx, req)
	if resp != nil {
		s.r.add(resp.Diagnostics)
	}
	return resp, err
}

func (s recordingServer) ValidateDataResourceConfig(ctx context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	resp, err := s.ProviderServer.ValidateDataResourceConfig(ctx, req)
	if resp != nil {
		s.r.add(resp.Diagnostics)
	}
	return resp, err
}

func (s recordingServer) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	resp, err := s.ProviderServer.ReadDataSource(ctx, req)
	if resp != nil {
		s.r.add(resp.Diagnostics)
	}
	return resp, err
}

// errorLikeWithout is errorLike that also refuses an error containing
// secret. RE2 has no negative look-ahead, so the text around the fragments
// is matched by avoiding(secret): exactly the strings without secret. That
// needs secret's first character to occur nowhere else in it, and no
// fragment that could complete or hold the secret; both are checked here.
func errorLikeWithout(secret string, fragments ...string) *regexp.Regexp {
	first, rest := []rune(secret)[0], []rune(secret)[1:]
	if strings.ContainsRune(string(rest), first) {
		panic(fmt.Sprintf("errorLikeWithout: %q's first character occurs again in it", secret))
	}
	avoid := avoiding(first, rest)
	var b strings.Builder
	b.WriteString(`(?s)^` + avoid)
	for _, f := range fragments {
		for i := range rest {
			if strings.ContainsRune(f, first) || strings.Contains(string(rest), f) || strings.HasPrefix(f, string(rest[i:])) {
				panic(fmt.Sprintf("errorLikeWithout: fragment %q could hold part of the secret", f))
			}
		}
		b.WriteString(fragmentPattern(f) + avoid)
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

// avoiding is a regexp for the strings that do not contain first+rest,
// when first does not occur in rest: any text without first, then any
// number of first followed by a run without first that does not start with
// rest.
func avoiding(first rune, rest []rune) string {
	lit := func(r rune) string { return fmt.Sprintf(`\x{%x}`, r) }
	other := `[^` + lit(first) + `]`
	// notStarting(i): runs without first that do not start with rest[i:].
	notStarting := ""
	for i := len(rest) - 1; i >= 0; i-- {
		alt := `|[^` + lit(first) + lit(rest[i]) + `]` + other + `*`
		if i < len(rest)-1 {
			alt += `|` + lit(rest[i]) + notStarting
		}
		notStarting = `(?:` + alt + `)`
	}
	return `(?:` + other + `*(?:` + lit(first) + notStarting + `)*)`
}

func TestSecret_errorLikeWithoutRefusesTheSecret(t *testing.T) {
	re := errorLikeWithout(secretAPIKey, "Unable to Read", "HTTP 401")
	cases := map[string]bool{
		"Unable to Read: HTTP 401":                                   true,
		"Unable  to\nRead ... HTTP\n401 Qsecret0key QQ Q":            true,
		"Unable to Read " + secretAPIKey + " HTTP 401":               false,
		secretAPIKey + "Unable to Read HTTP 401":                     false,
		"Unable to Read HTTP 401" + secretAPIKey:                     false,
		"Unable to Read HTTP 401 Q" + secretAPIKey:                   false,
		"Unable to Read HTTP 401 " + secretAPIKey[:20]:               true,
		"Unable to Read HTTP 401 " + secretAPIKey[:34] + "x":         true,
		"HTTP 401 Unable to Read":                                    false,
		"Unable to Read HTTP 401 Qsecret0key0that0must0never0leak04": true,
	}
	for text, want := range cases {
		if got := re.MatchString(text); got != want {
			t.Errorf("MatchString(%q) = %v, want %v", text, got, want)
		}
	}
	// Every way of splicing the key into text around the fragments.
	base := "Unable to Read: Kaleyra answered HTTP 401 with code RBC001."
	for i := 0; i <= len(base); i++ {
		spliced := base[:i] + secretAPIKey + base[i:]
		if re.MatchString(spliced) {
			t.Errorf("matched %q, which holds the key", spliced)
		}
	}
}

// TestSecret_clientLogsMaskedFromManyGoroutines logs through the client's
// logger adapter from many goroutines, as parallel contacts batches do, on
// one masked context. The key is masked in messages and fields alike, and
// (under -race) the shared field map tflog's masking rewrites is not raced.
func TestSecret_clientLogsMaskedFromManyGoroutines(t *testing.T) {
	var out bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &out)
	ctx = tflog.SetField(ctx, "tf_rpc", "ReadDataSource")
	ctx = maskSecrets(ctx, secretAPIKey)

	const goroutines, calls = 8, 25
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				tflogLogger{}.Debug(ctx, "request with "+secretAPIKey, map[string]any{
					"batch": g, "page": i, "error": "api-key " + secretAPIKey + " refused", "api_key": secretAPIKey,
				})
			}
		}()
	}
	wg.Wait()

	lines := strings.Count(out.String(), "\n")
	if lines != goroutines*calls {
		t.Fatalf("%d log lines, want %d", lines, goroutines*calls)
	}
	if !strings.Contains(out.String(), `"api_key":"***"`) {
		t.Errorf("the api_key field is not masked as ***:\n%.300s", out.String())
	}
	assertNoSecrets(t, "the client's log", out.String(), []string{secretAPIKey})
}
