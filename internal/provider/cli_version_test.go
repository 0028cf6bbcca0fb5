package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// cliVersion is the Terraform or OpenTofu CLI that the example tests run.
type cliVersion struct {
	name         string // "Terraform" or "OpenTofu"
	version      string // as the CLI reports it: "1.11.4"
	major, minor int
}

// readCLIVersion runs `<path> version -json`. Both CLIs report their
// version as terraform_version; OpenTofu is told apart by its binary's name,
// tofu.
func readCLIVersion(ctx context.Context, path string) (cliVersion, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "version", "-json")
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1")
	out, err := cmd.Output()
	if err != nil {
		return cliVersion{}, fmt.Errorf("%s version -json: %w", path, err)
	}
	var reported struct {
		TerraformVersion string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &reported); err != nil || reported.TerraformVersion == "" {
		return cliVersion{}, fmt.Errorf("%s version -json printed no terraform_version: %q", path, out)
	}
	v := cliVersion{name: "Terraform", version: reported.TerraformVersion}
	if strings.HasPrefix(strings.ToLower(filepath.Base(path)), "tofu") {
		v.name = "OpenTofu"
	}
	parts := strings.SplitN(strings.TrimPrefix(v.version, "v"), ".", 3)
	if len(parts) < 2 {
		return cliVersion{}, fmt.Errorf("%s reports version %q", path, v.version)
	}
	var errMajor, errMinor error
	v.major, errMajor = strconv.Atoi(parts[0])
	v.minor, errMinor = strconv.Atoi(parts[1])
	if errMajor != nil || errMinor != nil {
		return cliVersion{}, fmt.Errorf("%s reports version %q", path, v.version)
	}
	return v, nil
}

// without says why this CLI lacks feature, or "" when it has it: Terraform
// has it from 1.terraformMinor, OpenTofu from 1.tofuMinor.
func (v cliVersion) without(feature string, terraformMinor, tofuMinor int) string {
	since := terraformMinor
	if v.name == "OpenTofu" {
		since = tofuMinor
	}
	if v.major > 1 || v.major == 1 && v.minor >= since {
		return ""
	}
	return fmt.Sprintf("%s %s has no %s (Terraform has them from 1.%d, OpenTofu from 1.%d)", v.name, v.version, feature, terraformMinor, tofuMinor)
}

// withoutProviderFunctions says why this CLI cannot call provider-defined
// functions, or "" when it can: Terraform has them from 1.8, OpenTofu from
// 1.7.
func (v cliVersion) withoutProviderFunctions() string {
	return v.without("provider-defined functions", 8, 7)
}

// withoutTestMocks says why this CLI cannot run `terraform test` files that
// use mock_provider and override_data, or "" when it can: Terraform has
// them from 1.7, OpenTofu from 1.8.
func (v cliVersion) withoutTestMocks() string {
	return v.without("`terraform test` mocks (mock_provider)", 7, 8)
}

// withoutTestCommand says why this CLI has no `terraform test` (and no
// `validate -no-tests`), or "" when it has: both CLIs from 1.6.
func (v cliVersion) withoutTestCommand() string {
	return v.without("`terraform test` files", 6, 6)
}

// withoutEphemeralResources says why this CLI has no ephemeral resources
// (nor ephemeral variables and outputs), or "" when it has them: Terraform
// has them from 1.10, OpenTofu from 1.11.
func (v cliVersion) withoutEphemeralResources() string {
	return v.without("ephemeral resources", 10, 11)
}

// exampleCLI is the version of the CLI the examples run with, read once.
var exampleCLI struct {
	once    sync.Once
	version cliVersion
	err     error
}

// exampleCLIVersion is the version of the CLI the examples run with
// (TF_ACC_TERRAFORM_PATH, or terraform on PATH).
func exampleCLIVersion(t *testing.T) cliVersion {
	t.Helper()
	path := terraformPath(t)
	exampleCLI.once.Do(func() {
		exampleCLI.version, exampleCLI.err = readCLIVersion(context.Background(), path)
	})
	if exampleCLI.err != nil {
		t.Fatal(exampleCLI.err)
	}
	return exampleCLI.version
}

// skipWithoutProviderFunctions skips the test when the CLI the examples run
// with is older than the provider-defined functions.
func skipWithoutProviderFunctions(t *testing.T) {
	t.Helper()
	if why := exampleCLIVersion(t).withoutProviderFunctions(); why != "" {
		t.Skip(why)
	}
}

// skipWithoutTestMocks skips the test when the CLI the examples run with
// cannot run `terraform test` files with mock_provider.
func skipWithoutTestMocks(t *testing.T) {
	t.Helper()
	if why := exampleCLIVersion(t).withoutTestMocks(); why != "" {
		t.Skip(why)
	}
}

// usesProviderFunctions reports whether the example's .tf files call a
// provider-defined function.
func usesProviderFunctions(t *testing.T, example string) bool {
	t.Helper()
	return readExampleFeatures(t, example).functions
}

// readExampleFeatures is readConfigFeatures of an example, relative to
// examples/.
func readExampleFeatures(t *testing.T, example string) exampleFeatures {
	t.Helper()
	return readConfigFeatures(t, filepath.Join(examplesRoot(t), filepath.FromSlash(example)))
}

// exampleFeatures are the CLI features an example's .tf files use.
type exampleFeatures struct {
	functions bool // calls a provider-defined function
	ephemeral bool // has an ephemeral block, or an ephemeral variable or output
}

// readConfigFeatures parses the .tf files of dir as HCL, so that a
// function's name in a string or a comment (an error message that suggests
// provider::kaleyra::e164) is not a call.
func readConfigFeatures(t *testing.T, dir string) exampleFeatures {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		t.Fatal(err)
	}
	var f exampleFeatures
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		file, diags := hclsyntax.ParseConfig(data, name, hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("parsing %s: %v", name, diags)
		}
		body, ok := file.Body.(*hclsyntax.Body)
		if !ok {
			t.Fatalf("parsing %s: not native HCL syntax", name)
		}
		diags = hclsyntax.VisitAll(body, func(node hclsyntax.Node) hcl.Diagnostics {
			switch n := node.(type) {
			case *hclsyntax.FunctionCallExpr:
				if strings.HasPrefix(n.Name, "provider::") {
					f.functions = true
				}
			case *hclsyntax.Block:
				if n.Type == "ephemeral" {
					f.ephemeral = true
				}
				if attr, ok := n.Body.Attributes["ephemeral"]; ok && (n.Type == "variable" || n.Type == "output") {
					if v, d := attr.Expr.Value(nil); !d.HasErrors() && v.True() {
						f.ephemeral = true
					}
				}
			}
			return nil
		})
		if diags.HasErrors() {
			t.Fatalf("walking %s: %v", name, diags)
		}
	}
	return f
}

// localModuleSource is the source of a module call to a directory.
var localModuleSource = regexp.MustCompile(`(?m)^\s*source\s*=\s*"(\.\.?/[^"]*)"`)

// exampleSkipReason says why the CLI the examples run with cannot run the
// example in dir (relative to examples/), or "" when it can: from its .tf
// files and those of the local modules it calls, it needs provider-defined
// functions or ephemeral resources, which the CLI is too old for. Examples
// added later are judged the same way.
func exampleSkipReason(t *testing.T, dir string) string {
	t.Helper()
	cli := exampleCLIVersion(t)
	for _, d := range exampleModuleDirs(t, dir) {
		if usesProviderFunctions(t, d) {
			if why := cli.withoutProviderFunctions(); why != "" {
				return why
			}
		}
		if readExampleFeatures(t, d).ephemeral {
			if why := cli.withoutEphemeralResources(); why != "" {
				return why
			}
		}
	}
	return ""
}

// exampleModuleDirs is dir (relative to examples/) and every directory its
// module calls reach through local sources ("../use-cases/policy-check"),
// relative to examples/.
func exampleModuleDirs(t *testing.T, dir string) []string {
	t.Helper()
	root := examplesRoot(t)
	seen := []string{dir}
	for i := 0; i < len(seen); i++ {
		files, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(seen[i]), "*.tf"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range localModuleSource.FindAllStringSubmatch(string(data), -1) {
				dep := path.Clean(path.Join(seen[i], m[1]))
				if strings.HasPrefix(dep, "../") || dep == ".." {
					t.Fatalf("examples/%s calls a module outside examples/: %s", seen[i], m[1])
				}
				if !slices.Contains(seen, dep) {
					seen = append(seen, dep)
				}
			}
		}
	}
	return seen
}

func TestCLIVersion(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake CLIs are shell scripts")
	}
	dir := t.TempDir()
	fake := func(name, output string) string {
		path := filepath.Join(dir, name)
		script := "#!/bin/sh\n[ \"$1 $2\" = \"version -json\" ] || exit 2\ncat <<'EOF'\n" + output + "\nEOF\n"
		if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cases := []struct {
		name, output, why string
	}{
		{"terraform", `{"terraform_version": "1.5.7", "platform": "linux_amd64"}`, "Terraform 1.5.7 has no provider-defined functions"},
		{"terraform-1.7", `{"terraform_version": "1.7.5"}`, "Terraform 1.7.5 has no provider-defined functions"},
		{"terraform-1.8", `{"terraform_version": "1.8.0"}`, ""},
		{"terraform-beta", `{"terraform_version": "1.8.0-beta1"}`, ""},
		{"terraform-1.11", `{"terraform_version": "1.11.4", "terraform_outdated": false}`, ""},
		{"terraform-2", `{"terraform_version": "2.0.0"}`, ""},
		{"tofu", `{"terraform_version": "1.6.2"}`, "OpenTofu 1.6.2 has no provider-defined functions"},
		{"tofu-1.7", `{"terraform_version": "1.7.0"}`, ""},
		{"tofu-1.10", `{"terraform_version": "1.10.10"}`, ""},
	}
	for _, tc := range cases {
		v, err := readCLIVersion(t.Context(), fake(tc.name, tc.output))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if why := v.withoutProviderFunctions(); (tc.why == "") != (why == "") || !strings.HasPrefix(why, tc.why) {
			t.Errorf("%s %s: %q, want %q", tc.name, tc.output, why, tc.why)
		}
	}
	for _, output := range []string{`Terraform v1.8.0`, `{}`, `{"terraform_version": "latest"}`} {
		if v, err := readCLIVersion(t.Context(), fake("bad", output)); err == nil {
			t.Errorf("%s: read as %+v, want an error", output, v)
		}
	}
}

func TestCLIVersionTestFeatures(t *testing.T) {
	cases := []struct {
		v                cliVersion
		mocks, testFiles bool
	}{
		{cliVersion{"Terraform", "1.5.7", 1, 5}, false, false},
		{cliVersion{"Terraform", "1.6.6", 1, 6}, false, true},
		{cliVersion{"Terraform", "1.7.0", 1, 7}, true, true},
		{cliVersion{"Terraform", "1.11.4", 1, 11}, true, true},
		{cliVersion{"OpenTofu", "1.7.3", 1, 7}, false, true},
		{cliVersion{"OpenTofu", "1.8.0", 1, 8}, true, true},
		{cliVersion{"OpenTofu", "1.12.6", 1, 12}, true, true},
		{cliVersion{"Terraform", "2.0.0", 2, 0}, true, true},
	}
	for _, tc := range cases {
		if why := tc.v.withoutTestMocks(); (why == "") != tc.mocks {
			t.Errorf("%s %s: mocks %q", tc.v.name, tc.v.version, why)
		}
		if why := tc.v.withoutTestCommand(); (why == "") != tc.testFiles {
			t.Errorf("%s %s: test files %q", tc.v.name, tc.v.version, why)
		}
	}
	for _, tc := range []struct {
		v         cliVersion
		ephemeral bool
	}{
		{cliVersion{"Terraform", "1.8.5", 1, 8}, false},
		{cliVersion{"Terraform", "1.10.0", 1, 10}, true},
		{cliVersion{"OpenTofu", "1.10.10", 1, 10}, false},
		{cliVersion{"OpenTofu", "1.11.0", 1, 11}, true},
	} {
		if why := tc.v.withoutEphemeralResources(); (why == "") != tc.ephemeral {
			t.Errorf("%s %s: ephemeral resources %q", tc.v.name, tc.v.version, why)
		}
	}
	if why := (cliVersion{"OpenTofu", "1.7.3", 1, 7}).withoutTestMocks(); why != "OpenTofu 1.7.3 has no `terraform test` mocks (mock_provider) (Terraform has them from 1.7, OpenTofu from 1.8)" {
		t.Errorf("the reason: %q", why)
	}
}

func TestExampleFeatures(t *testing.T) {
	cases := []struct {
		config    string
		functions bool
		ephemeral bool
	}{
		{`output "a" { value = provider::kaleyra::e164("098765 43210", "IN") }`, true, false},
		{`output "a" { value = upper(provider::kaleyra::e164(var.n, "IN")) }`, true, false},
		{"# provider::kaleyra::e164(n, \"IN\")\nvariable \"n\" {\n  validation {\n    condition     = true\n    error_message = \"Use provider::kaleyra::e164(n, \\\"IN\\\").\"\n  }\n}\n", false, false},
		{`ephemeral "kaleyra_contacts_blocklisted" "a" {}`, false, true},
		{"variable \"a\" {\n  ephemeral = true\n}\n", false, true},
		{"output \"a\" {\n  value     = 1\n  ephemeral = false\n}\n", false, false},
		{"data \"kaleyra_contacts_blocklisted\" \"a\" {\n  # ephemeral \"x\" {}\n}\n", false, false},
	}
	for _, tc := range cases {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(tc.config), 0o600); err != nil {
			t.Fatal(err)
		}
		if f := readConfigFeatures(t, dir); f.functions != tc.functions || f.ephemeral != tc.ephemeral {
			t.Errorf("%s: functions %v, ephemeral %v; want %v, %v", tc.config, f.functions, f.ephemeral, tc.functions, tc.ephemeral)
		}
	}
}

// skipWithoutEphemeralResources skips the test when the CLI the tests run
// with predates ephemeral resources.
func skipWithoutEphemeralResources(t *testing.T) {
	t.Helper()
	if why := exampleCLIVersion(t).withoutEphemeralResources(); why != "" {
		t.Skip(why)
	}
}
