package provider

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/testutil"
)

// The ways a user installs the provider, as CLI configurations over the
// provider build the example tests share (buildExampleProvider):
//
//   - devOverridesCLIConfig: a local build through dev_overrides and nothing
//     else, as the README tells users to write it. `terraform init` fails
//     there (it queries the registry for kaleyra/kaleyra), so whatever the
//     docs run under it must not need init.
//   - installedCLIConfig: no dev_overrides; kaleyra/kaleyra installs at
//     exampleMirrorVersion from a filesystem mirror, as `terraform init`
//     installs a release from the registry, version constraints checked.
var exampleInstalls struct {
	once                    sync.Once
	devOverrides, installed string
	err                     error
}

func devOverridesCLIConfig(t *testing.T) string {
	t.Helper()
	writeInstallCLIConfigs(t)
	return exampleInstalls.devOverrides
}

func installedCLIConfig(t *testing.T) string {
	t.Helper()
	writeInstallCLIConfigs(t)
	return exampleInstalls.installed
}

func writeInstallCLIConfigs(t *testing.T) {
	t.Helper()
	buildExampleProvider(t)
	c := &exampleInstalls
	c.once.Do(func() {
		dir := exampleProvider.dir
		c.devOverrides = filepath.Join(dir, "dev-overrides.tfrc")
		c.installed = filepath.Join(dir, "installed.tfrc")
		if c.err = testutil.WriteCLIConfig(c.devOverrides, dir, ""); c.err != nil {
			return
		}
		c.err = testutil.WriteMirrorCLIConfig(c.installed, filepath.Join(dir, "mirror"))
	})
	if c.err != nil {
		t.Fatalf("writing the CLI configurations: %v", c.err)
	}
}

// exampleVariableValues are the values the copied-alone examples get for
// their required variables (those without a default), by variable name, so
// that an example added later with variables of these names is covered as
// it is. Values are the demo seed's.
var exampleVariableValues = map[string]any{
	"critical_numbers":         []string{demoClean, demoCleanToo},
	"whatsapp_business_number": demoSupportLine,
	"business_number":          demoSupportLine,
	"on_call":                  map[string]string{"chen": "098765 00001", "dana": "+1 (415) 555-0100"},
	"kaleyra_sid":              sandbox.DefaultSeed().Accounts[0].SID,
	"kaleyra_api_key":          sandbox.DefaultSeed().Accounts[0].APIKey,
}

// variableBlock is a variable block of a `terraform fmt`ed file, up to its
// closing brace at the start of a line.
var variableBlock = regexp.MustCompile(`(?ms)^variable\s+"([^"]+)"\s*\{(.*?)^\}`)

// defaultArgument is a variable block's default.
var defaultArgument = regexp.MustCompile(`(?m)^\s*default\s*=`)

// requiredVariables lists the variables of the .tf files in dir that have
// no default.
func requiredVariables(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range variableBlock.FindAllSubmatch(data, -1) {
			if !defaultArgument.Match(m[2]) {
				names = append(names, string(m[1]))
			}
		}
	}
	return names
}

// TestExamplesCopiedAlone copies each example directory alone into an empty
// directory (with the local modules it calls, at the same relative paths,
// and nothing else: no versions.tf from elsewhere, no lock file) and plans
// it against the sandbox as a user with the released provider does:
// `terraform init`, which resolves the example's own required_providers
// (source and version constraint) to the provider at 0.1.0, then
// `terraform plan`. An example that relied on a file beside it, or named no
// source (Terraform would look for hashicorp/kaleyra), or a constraint 0.1.0
// does not meet, fails here.
func TestExamplesCopiedAlone(t *testing.T) {
	sb := startSandbox(t, sandbox.DefaultSeed(), sandbox.Options{})
	account := sandbox.DefaultSeed().Accounts[0]
	cliConfig := installedCLIConfig(t)
	for _, dir := range exampleConfigDirs(t) {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			if why := exampleSkipReason(t, dir); why != "" {
				t.Skip(why)
			}
			work := t.TempDir()
			for _, d := range exampleModuleDirs(t, dir) {
				if err := copyExamples(filepath.Join(examplesRoot(t), filepath.FromSlash(d)), filepath.Join(work, filepath.FromSlash(d))); err != nil {
					t.Fatal(err)
				}
			}
			ex := &exampleRun{t: t, dir: filepath.Join(work, filepath.FromSlash(dir)), varFile: filepath.Join(t.TempDir(), "inputs.tfvars.json")}
			ex.env = append(cliEnv(cliConfig), EnvSID+"="+account.SID, EnvAPIKey+"="+account.APIKey, EnvBaseURL+"="+sb.URL())
			vars := map[string]any{}
			for _, name := range requiredVariables(t, ex.dir) {
				v, ok := exampleVariableValues[name]
				if !ok {
					t.Fatalf("examples/%s requires variable %q: give it a value in exampleVariableValues", dir, name)
				}
				vars[name] = v
			}
			ex.setVars(vars)

			ex.terraform("init", "-input=false", "-no-color")
			stdout, stderr, code := ex.run("plan", "-input=false", "-json", "-var-file="+ex.varFile)
			if code != 0 {
				t.Fatalf("terraform plan of examples/%s copied alone: exit %d\n%s\n%s", dir, code, stderr, errorDetails(t, stdout))
			}
			for _, d := range streamDiagnostics(t, stdout) {
				if d.Severity == "error" {
					t.Errorf("terraform plan of examples/%s copied alone: %s: %s", dir, d.Summary, d.Detail)
				}
			}
		})
	}
}

// errorDetails renders the errors of a -json stream for a failure message.
func errorDetails(t *testing.T, stream string) string {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.Split(stream, "\n") {
		var msg struct {
			Type       string        `json:"type"`
			Diagnostic *tfDiagnostic `json:"diagnostic"`
		}
		if json.Unmarshal([]byte(line), &msg) == nil && msg.Diagnostic != nil && msg.Diagnostic.Severity == "error" {
			b.WriteString(msg.Diagnostic.Summary + ": " + msg.Diagnostic.Detail + "\n")
		}
	}
	return b.String()
}
