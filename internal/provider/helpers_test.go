package provider

// The helpers the provider's tests share: a new test starts here. Helpers
// one test file needs stay in that file; what the benchmarks and scripts
// share too lives in internal/testutil, which these wrap for *testing.T.

import (
	"context"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/testutil"
)

// ---- The provider under test, served in-process over protocol 6.

// fastRetries keeps the retry behaviour but shortens its waits, so tests of
// retries take milliseconds. Retry-After is still honoured as sent.
func fastRetries(c *kaleyra.Config) {
	c.RetryWaitMin = 5 * time.Millisecond
	c.RetryWaitMax = 40 * time.Millisecond
}

// testProviders serves the provider with fast retries.
func testProviders() map[string]func() (tfprotov6.ProviderServer, error) {
	return testProvidersWith(func(*kaleyra.Config) {})
}

// testProvidersWith serves the provider with fast retries and tune applied
// to the client configuration after the provider block.
func testProvidersWith(tune func(*kaleyra.Config)) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"kaleyra": ProtocolServer(New("test", WithClientConfig(func(c *kaleyra.Config) {
			fastRetries(c)
			tune(c)
		}))()),
	}
}

// frameworkProviders serves the provider with fast retries through the
// plain framework server, without ProtocolServer: the large-state path's
// fallback, which sets states and results the framework's way.
func frameworkProviders() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"kaleyra": providerserver.NewProtocol6WithError(New("test", WithClientConfig(fastRetries))()),
	}
}

// clearKaleyraEnv unsets the provider's environment variables for the test,
// so that a developer's or CI's real credentials never leak into it.
func clearKaleyraEnv(t *testing.T) {
	t.Helper()
	for _, env := range []string{EnvPod, EnvSID, EnvAPIKey, EnvBaseURL} {
		t.Setenv(env, "")
	}
}

// ---- The sandbox: the fake Kaleyra API, and the accounts the tests seed.

// The sandbox account every test configuration uses.
const (
	testSID    = "HXTEST00000000IN"
	testAPIKey = "Atest0sandbox0key0000000000000003"
)

// faultBusiness is the business number that faultSandbox serves and the
// fault, validation and timeout tests read.
const faultBusiness = "+919800011111"

// probeMobile is blocklisted in probeAccount, so a read that reaches the
// sandbox with the right credentials answers blocked = true.
const probeMobile = "+919876500001"

// htmlSignInPage is what a corporate gateway answers in place of the API.
const htmlSignInPage = `<!DOCTYPE html><html><head><title>Sign in to the corporate gateway</title></head><body><form method="post"></form></body></html>`

// startSandbox serves seed on loopback for the test's lifetime.
func startSandbox(t *testing.T, seed sandbox.Seed, opts sandbox.Options) *sandbox.Server {
	t.Helper()
	return testutil.StartSandbox(t, seed, opts)
}

// testAccount is the sandbox account with the given business numbers and
// blocklist.
func testAccount(numbers []sandbox.WhatsAppNumber, blocklist []sandbox.BlocklistEntry) sandbox.Seed {
	return sandbox.Seed{Accounts: []sandbox.Account{{
		SID: testSID, APIKey: testAPIKey, WhatsAppNumbers: numbers, Blocklist: blocklist,
	}}}
}

// probeAccount is the test account with probeMobile blocklisted on sms.
func probeAccount() sandbox.Seed {
	return testAccount(nil, []sandbox.BlocklistEntry{{Mobile: probeMobile, Channel: "sms"}})
}

// faultSandbox serves faultBusiness with blocked users, and the faults.
func faultSandbox(t *testing.T, blocked []string, faults ...sandbox.Fault) *sandbox.Server {
	t.Helper()
	seed := testAccount([]sandbox.WhatsAppNumber{{PhoneNumber: faultBusiness, APIVersion: "v2", Blocked: blocked}}, nil)
	seed.Faults = faults
	return startSandbox(t, seed, sandbox.Options{})
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

// ---- Numbers for seeds and queries.

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

// numbersFrom returns n E.164 numbers of equal length, so string order is
// numeric order: prefix then i as 8 digits.
func numbersFrom(prefix string, n int) []string {
	out := make([]string, n)
	for i := range n {
		out[i] = fmt.Sprintf("%s%08d", prefix, i)
	}
	return out
}

// lookupNumbers returns n distinct E.164 numbers: +919876500000 and on.
func lookupNumbers(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("+9198765%05d", i)
	}
	return out
}

// ---- Test configurations (HCL). Every one points the provider at the
// sandbox through sandboxProvider; a data source body is HCL written
// verbatim, so a test can write any argument, even an invalid one.

// The data source addresses the configurations below read.
const (
	whatsappAddr = "data.kaleyra_whatsapp_blocked_users.test"
	contactsAddr = "data.kaleyra_contacts_blocklisted.test"
)

// sandboxProvider is a provider block with the test account at baseURL,
// and the arguments in set added or replaced: each an HCL expression
// (quote strings with strconv.Quote), "" to remove the argument.
func sandboxProvider(baseURL string, set map[string]string) string {
	args := map[string]string{
		"sid":      strconv.Quote(testSID),
		"api_key":  strconv.Quote(testAPIKey),
		"base_url": strconv.Quote(baseURL),
	}
	for name, expr := range set {
		if expr == "" {
			delete(args, name)
		} else {
			args[name] = expr
		}
	}
	return testutil.ProviderBlock(args)
}

// whatsappConfig is sandboxProvider(baseURL, provider) and a
// kaleyra_whatsapp_blocked_users "test" reading phone, with body's other
// arguments.
func whatsappConfig(baseURL string, provider map[string]string, phone, body string) string {
	return sandboxProvider(baseURL, provider) + fmt.Sprintf(`
data "kaleyra_whatsapp_blocked_users" "test" {
  phone_number = %[1]q
  %[2]s
}
`, phone, body)
}

// contactsConfig is sandboxProvider(baseURL, provider) and a
// kaleyra_contacts_blocklisted "test" with body as its arguments.
func contactsConfig(baseURL string, provider map[string]string, body string) string {
	return sandboxProvider(baseURL, provider) + fmt.Sprintf(`
data "kaleyra_contacts_blocklisted" "test" {
  %[1]s
}
`, body)
}

// mobilesArg is the `mobiles` argument for these numbers.
func mobilesArg(numbers []string) string {
	return "mobiles = " + testutil.HCLStrings(numbers)
}

// cliConfig is a configuration for the real CLI (newCLIRun): the
// provider's source, sandboxProvider(baseURL, provider) and body, HCL
// written verbatim.
func cliConfig(baseURL string, provider map[string]string, body string) string {
	return `
terraform {
  required_providers {
    kaleyra = {
      source = "kaleyra/kaleyra"
    }
  }
}
` + sandboxProvider(baseURL, provider) + body
}

// cliLookupConfig is cliConfig with a kaleyra_contacts_blocklisted
// "lookup" of numbers on every channel.
func cliLookupConfig(baseURL string, provider map[string]string, numbers []string) string {
	return cliConfig(baseURL, provider, fmt.Sprintf(`
data "kaleyra_contacts_blocklisted" "lookup" {
  mobiles = %[1]s
}
`, testutil.HCLStrings(numbers)))
}

// ---- Checks on errors, state and the requests the sandbox received.

// errorLike matches a Terraform error that contains every fragment, in
// order. Terraform wraps long lines, so any run of spaces in a fragment
// matches any whitespace.
func errorLike(fragments ...string) *regexp.Regexp {
	parts := make([]string, len(fragments))
	for i, f := range fragments {
		parts[i] = fragmentPattern(f)
	}
	return regexp.MustCompile(`(?s)` + strings.Join(parts, `.*`))
}

// fragmentPattern matches fragment's words literally, any run of
// whitespace between them (Terraform wraps long lines).
func fragmentPattern(fragment string) string {
	words := strings.Fields(fragment)
	for j, w := range words {
		words[j] = regexp.QuoteMeta(w)
	}
	return strings.Join(words, `\s+`)
}

// stateCheckFunc adapts a function to statecheck.StateCheck, for checks
// the statecheck package does not have (check-block results, instance
// counts).
type stateCheckFunc func(context.Context, statecheck.CheckStateRequest, *statecheck.CheckStateResponse)

func (f stateCheckFunc) CheckState(ctx context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	f(ctx, req, resp)
}

// stringChecks expects exactly these strings, in this order.
func stringChecks(values []string) []knownvalue.Check {
	checks := make([]knownvalue.Check, len(values))
	for i, v := range values {
		checks[i] = knownvalue.StringExact(v)
	}
	return checks
}

// contactCheck expects one element of `contacts`.
func contactCheck(mobile, channelType string, channel knownvalue.Check) knownvalue.Check {
	return knownvalue.ObjectExact(map[string]knownvalue.Check{
		"mobile": knownvalue.StringExact(mobile), "channel_type": knownvalue.StringExact(channelType), "channel": channel,
	})
}

// expectRequests fails the test if the sandbox received no API request.
func expectRequests(t *testing.T, sb *sandbox.Server) {
	t.Helper()
	if len(sb.Requests()) == 0 {
		t.Error("the sandbox received no request")
	}
}

// noRequestsSent fails the test when the sandbox received any request: the
// errors before it are plan-time errors, found before any API call.
func noRequestsSent(t *testing.T, sb *sandbox.Server) {
	t.Helper()
	if reqs := sb.Requests(); len(reqs) != 0 {
		t.Errorf("invalid arguments sent %d requests, want none; the first: %s %s?%s", len(reqs), reqs[0].Method, reqs[0].Path, reqs[0].RawQuery)
	}
}

// offsets returns from, from+step, ... up to and including to.
func offsets(from, to, step int) []int {
	var out []int
	for v := from; v <= to; v += step {
		out = append(out, v)
	}
	return out
}

// offsetsPerRead splits the requests of one query (one batch), in arrival
// order, into reads, each starting at offset 0, and returns the offsets
// each read asked for. Every request must ask for limit.
func offsetsPerRead(t *testing.T, reqs []sandbox.Request, limit int) [][]int {
	t.Helper()
	var reads [][]int
	for _, r := range reqs {
		if got := r.Query.Get("limit"); got != strconv.Itoa(limit) {
			t.Errorf("request %s?%s: limit %q, want %d", r.Path, r.RawQuery, got, limit)
		}
		offset, err := strconv.Atoi(r.Query.Get("offset"))
		if err != nil {
			t.Fatalf("request %s?%s: offset: %v", r.Path, r.RawQuery, err)
		}
		if offset == 0 {
			reads = append(reads, nil)
		} else if len(reads) == 0 {
			t.Fatalf("the first request asked for offset %d, want 0", offset)
		}
		reads[len(reads)-1] = append(reads[len(reads)-1], offset)
	}
	if len(reads) == 0 {
		t.Fatal("no request was made")
	}
	return reads
}

// expectEveryRead checks that each read asked for exactly these offsets,
// each once, in any order (pages after the first are read in parallel),
// plus at most DefaultMaxParallel-1 offsets past the last page: pages read
// ahead before the last one answered.
func expectEveryRead(t *testing.T, reads [][]int, want []int) {
	t.Helper()
	for i, got := range reads {
		sorted := slices.Sorted(slices.Values(got))
		n := min(len(sorted), len(want))
		extra := sorted[n:]
		if !slices.Equal(sorted[:n], want) || len(sorted) < len(want) ||
			len(extra) > kaleyra.DefaultMaxParallel-1 || len(slices.Compact(slices.Clone(extra))) != len(extra) {
			t.Errorf("read %d of %d asked for offsets %v, want %v and at most %d more past the end", i+1, len(reads), sorted, want, kaleyra.DefaultMaxParallel-1)
		}
	}
}

// validateE164 runs the data sources' E.164 validator on s and returns its
// errors, "" when it accepts s.
func validateE164(s string) string {
	resp := &validator.StringResponse{}
	e164Validator().ValidateString(context.Background(), validator.StringRequest{
		Path: path.Root("mobiles").AtListIndex(0), ConfigValue: types.StringValue(s),
	}, resp)
	if !resp.Diagnostics.HasError() {
		return ""
	}
	return resp.Diagnostics.Errors()[0].Detail()
}

// ---- Calling the provider over protocol 6 as Terraform does, without the
// CLI: thin t.Fatal wrappers over internal/testutil.

// providerAttrs is a provider block: the test account at baseURL, with
// extra attributes.
func providerAttrs(baseURL string, extra map[string]tftypes.Value) map[string]tftypes.Value {
	attrs := map[string]tftypes.Value{
		"sid":      tftypes.NewValue(tftypes.String, testSID),
		"api_key":  tftypes.NewValue(tftypes.String, testAPIKey),
		"base_url": tftypes.NewValue(tftypes.String, baseURL),
	}
	maps.Copy(attrs, extra)
	return attrs
}

// whatsappAttrs is a kaleyra_whatsapp_blocked_users configuration reading
// number.
func whatsappAttrs(number string) map[string]tftypes.Value {
	return map[string]tftypes.Value{"phone_number": tftypes.NewValue(tftypes.String, number)}
}

// mobilesAttrs is a kaleyra_contacts_blocklisted configuration looking
// mobiles up.
func mobilesAttrs(mobiles []string) map[string]tftypes.Value {
	values := make([]tftypes.Value, len(mobiles))
	for i, m := range mobiles {
		values[i] = tftypes.NewValue(tftypes.String, m)
	}
	return map[string]tftypes.Value{"mobiles": tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, values)}
}

// configuredServer is the provider of testProviders, configured with the
// provider block attrs (every other attribute null), and its schemas.
func configuredServer(t *testing.T, attrs map[string]tftypes.Value) (tfprotov6.ProviderServer, *tfprotov6.GetProviderSchemaResponse) {
	t.Helper()
	server, err := testProviders()["kaleyra"]()
	if err != nil {
		t.Fatal(err)
	}
	schemas, err := testutil.Configure(context.Background(), server, attrs)
	if err != nil {
		t.Fatal(err)
	}
	return server, schemas
}

// providerSchemas is the server's schemas, unconfigured.
func providerSchemas(t *testing.T, server tfprotov6.ProviderServer) *tfprotov6.GetProviderSchemaResponse {
	t.Helper()
	schemas, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if err := testutil.DiagnosticsError(schemas.Diagnostics); err != nil {
		t.Fatal(err)
	}
	return schemas
}

// readOverProtocol configures the provider with the provider block attrs
// provider, reads data source typeName with attrs, and returns the state's
// attributes (all null when the read returned no state) and the
// diagnostics.
func readOverProtocol(t *testing.T, provider map[string]tftypes.Value, typeName string, attrs map[string]tftypes.Value) (map[string]tftypes.Value, []*tfprotov6.Diagnostic) {
	t.Helper()
	server, schemas := configuredServer(t, provider)
	resp, err := testutil.ReadDataSource(context.Background(), server, schemas, typeName, attrs)
	if err != nil {
		t.Fatal(err)
	}
	state, err := testutil.StateAttributes(schemas, typeName, resp.State)
	if err != nil {
		t.Fatal(err)
	}
	return state, resp.Diagnostics
}

// dynamicValue encodes an object of typ with attrs set and every other
// attribute null.
func dynamicValue(t *testing.T, typ tftypes.Type, attrs map[string]tftypes.Value) *tfprotov6.DynamicValue {
	t.Helper()
	dv, err := testutil.DynamicValue(typ, attrs)
	if err != nil {
		t.Fatal(err)
	}
	return dv
}

// dataSourceConfig encodes a data source configuration: attrs, and null for
// every other attribute.
func dataSourceConfig(t *testing.T, schemas *tfprotov6.GetProviderSchemaResponse, typeName string, attrs map[string]tftypes.Value) *tfprotov6.DynamicValue {
	t.Helper()
	dv, err := testutil.DataSourceConfig(schemas, typeName, attrs)
	if err != nil {
		t.Fatal(err)
	}
	return dv
}

// stateAttribute decodes one attribute of a data source's returned state; a
// missing state reads as null.
func stateAttribute(t *testing.T, schemas *tfprotov6.GetProviderSchemaResponse, typeName string, state *tfprotov6.DynamicValue, name string) tftypes.Value {
	t.Helper()
	attrs, err := testutil.StateAttributes(schemas, typeName, state)
	if err != nil {
		t.Fatal(err)
	}
	return attrs[name]
}

// diagnosticsText renders diagnostics as "SEVERITY: summary: detail" lines.
func diagnosticsText(diags []*tfprotov6.Diagnostic) string {
	return testutil.DiagnosticsText(diags)
}

// ---- Running the Terraform CLI as a user does, with the provider built

// exampleProvider is the provider binary, built once for all example tests.
var exampleProvider struct {
	once      sync.Once
	dir       string // the build directory, removed by TestMain
	cliConfig string // a CLI configuration whose dev_overrides point at dir
	err       error
}

// exampleMirrorVersion is the version `terraform init` installs the
// provider build as.
const exampleMirrorVersion = "0.1.0"

// buildExampleProvider builds the provider once and returns the path of a
// CLI configuration that installs it through dev_overrides (and a
// filesystem mirror, for `terraform init`).
func buildExampleProvider(t *testing.T) string {
	t.Helper()
	p := &exampleProvider
	p.once.Do(func() {
		// Shared by every example test, so not t.TempDir(): TestMain removes it.
		p.dir, p.err = os.MkdirTemp("", "kaleyra-examples-") //nolint:usetesting
		if p.err != nil {
			return
		}
		mirror := filepath.Join(p.dir, "mirror")
		p.cliConfig = filepath.Join(p.dir, "terraformrc")
		if p.err = testutil.BuildProvider(context.Background(), filepath.Dir(examplesRoot(t)), p.dir, ".", ""); p.err != nil {
			return
		}
		if p.err = testutil.MirrorProvider(p.dir, mirror, exampleMirrorVersion); p.err != nil {
			return
		}
		p.err = testutil.WriteCLIConfig(p.cliConfig, p.dir, mirror)
	})
	if p.err != nil {
		t.Fatalf("building the provider for the examples: %v", p.err)
	}
	return p.cliConfig
}

// terraformPath is the Terraform CLI the examples run with, as
// terraform-plugin-testing finds it.
func terraformPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		return p
	}
	p, err := exec.LookPath("terraform")
	if err != nil {
		t.Fatal("the example tests run the Terraform CLI: put terraform on PATH, or set TF_ACC_TERRAFORM_PATH")
	}
	return p
}

// examplesRoot is the repository's examples/ directory.
func examplesRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// cliEnv is the environment of a CLI run with cliConfig: only this test's
// settings reach Terraform and the provider, no TF_* or KALEYRA_* variable
// of the environment.
func cliEnv(cliConfig string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TF_") || strings.HasPrefix(name, "KALEYRA_") || name == "CHECKPOINT_DISABLE" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "TF_CLI_CONFIG_FILE="+cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0")
}

// runCLI runs the CLI with args in dir with env, bounded by timeout, and
// returns stdout, stderr and the exit code.
func runCLI(t *testing.T, dir string, env []string, timeout time.Duration, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, terraformPath(t), args...)
	cmd.Dir = dir
	cmd.Env = env
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	code, err := testutil.ExitCode(cmd.Run())
	if err != nil {
		t.Fatalf("terraform %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), code
}

// from this module (buildExampleProvider) as its own process.

// cliRun is one working directory with one configuration.
type cliRun struct {
	t       *testing.T
	dir     string
	logPath string
	env     []string
}

// newCLIRun writes config as main.tf in a new directory. Only this test's
// settings reach Terraform and the provider: no TF_* or KALEYRA_* variable
// of the environment. Every run writes a TRACE log of Terraform and the
// provider.
func newCLIRun(t *testing.T, config string) *cliRun {
	t.Helper()
	cliConfig := buildExampleProvider(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	r := &cliRun{t: t, dir: dir, logPath: filepath.Join(dir, "terraform-trace.log")}
	r.env = append(cliEnv(cliConfig), "TF_LOG=trace", "TF_LOG_PATH="+r.logPath)
	return r
}

// setEnv adds environment variables ("NAME=value") for the runs.
func (r *cliRun) setEnv(kv ...string) { r.env = append(r.env, kv...) }

// terraform runs the CLI with args and returns stdout, stderr, the TRACE
// log and the exit code.
func (r *cliRun) terraform(args ...string) (stdout, stderr, log string, code int) {
	r.t.Helper()
	_ = os.Remove(r.logPath)
	stdout, stderr, code = runCLI(r.t, r.dir, r.env, 3*time.Minute, args...)
	data, err := os.ReadFile(r.logPath)
	if err != nil {
		r.t.Fatalf("the TRACE log: %v", err)
	}
	return stdout, stderr, string(data), code
}
