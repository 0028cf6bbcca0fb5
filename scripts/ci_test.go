package scripts

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// pinnedCLI is one CLI of scripts/clis.sh's matrix.
type pinnedCLI struct {
	name, version, how string // how: "build" or "path"
}

// pinnedCLIs reads the CLIS array of scripts/clis.sh, the one place the
// matrix's versions are pinned.
func pinnedCLIs(t *testing.T) []pinnedCLI {
	t.Helper()
	data := readRepoFile(t, "scripts/clis.sh")
	block := regexp.MustCompile(`(?s)\nCLIS=\(\n(.*?)\n\)\n`).FindSubmatch(data)
	if block == nil {
		t.Fatal("scripts/clis.sh has no CLIS=( … ) array")
	}
	var clis []pinnedCLI
	for _, m := range regexp.MustCompile(`"(\S+)\s+(\S+)\s+(\S+)"`).FindAllSubmatch(block[1], -1) {
		clis = append(clis, pinnedCLI{string(m[1]), string(m[2]), string(m[3])})
	}
	if len(clis) < 2 {
		t.Fatalf("scripts/clis.sh pins %d CLIs: %q", len(clis), block[1])
	}
	return clis
}

func readRepoFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestWorkflowMatrixIsTheMatrix: the GitHub Actions matrix tests the CLIs
// scripts/clis.sh pins (what make test-matrix and .ci/run test), in the
// same order, and `make test` runs under the CLI the matrix takes from
// PATH.
func TestWorkflowMatrixIsTheMatrix(t *testing.T) {
	clis := pinnedCLIs(t)
	workflow := readRepoFile(t, ".github/workflows/test.yml")
	var got, want []string
	for _, m := range regexp.MustCompile(`(?m)^\s*- cli: (\S+)\n\s*version: "?([^"\s]+)"?$`).FindAllSubmatch(workflow, -1) {
		got = append(got, string(m[1])+" "+string(m[2]))
	}
	var onPath string
	for _, c := range clis {
		want = append(want, c.name+" "+c.version)
		if c.how == "path" {
			onPath = c.version
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf(".github/workflows/test.yml's matrix is\n%q\nscripts/clis.sh pins\n%q", got, want)
	}
	test := regexp.MustCompile(`(?s)\n  test:\n(.*?)\n  [a-z-]+:\n`).FindSubmatch(workflow)
	if test == nil || !strings.Contains(string(test[1]), "terraform_version: "+onPath+"\n") ||
		!strings.Contains(string(test[1]), "run: make test\n") {
		t.Errorf("the workflow's test job does not run make test under Terraform %s, the CLI scripts/clis.sh takes from PATH", onPath)
	}
}

// TestReleaseWorkflowPinsGoreleaser: the release workflow runs the
// goreleaser the GNUmakefile pins (make release-check, make release).
func TestReleaseWorkflowPinsGoreleaser(t *testing.T) {
	pinned := regexp.MustCompile(`(?m)^GORELEASER_VERSION\s*:=\s*(\S+)$`).FindSubmatch(readRepoFile(t, "GNUmakefile"))
	workflow := readRepoFile(t, ".github/workflows/release.yml")
	used := regexp.MustCompile(`(?m)^\s*version: (\S+)$`).FindSubmatch(workflow)
	if pinned == nil || used == nil || string(pinned[1]) != string(used[1]) {
		t.Errorf("the GNUmakefile pins goreleaser %q, the release workflow runs %q", pinned, used)
	}
	for _, want := range []string{"crazy-max/ghaction-import-gpg@", "GPG_FINGERPRINT: ${{ steps.import_gpg.outputs.fingerprint }}", "run: make release-prepare"} {
		if !strings.Contains(string(workflow), want) {
			t.Errorf("the release workflow lacks %q", want)
		}
	}
}

// TestCompatibilityTablesNameTheMatrix: the compatibility tables of the README and
// of the registry's index page (docs/index.md, from templates/) list the
// versions the matrix tests.
func TestCompatibilityTablesNameTheMatrix(t *testing.T) {
	tested := map[string][]string{}
	for _, c := range pinnedCLIs(t) {
		name := map[string]string{"terraform": "Terraform", "tofu": "OpenTofu"}[c.name]
		tested[name] = append(tested[name], c.version)
	}
	for _, page := range []string{"README.md", "docs/index.md"} {
		data := readRepoFile(t, page)
		for name, versions := range tested {
			row := regexp.MustCompile(`(?m)^\| ` + name + ` \| ([^|]+) \|`).FindSubmatch(data)
			if row == nil {
				t.Errorf("%s has no compatibility row for %s", page, name)
				continue
			}
			if got := strings.Split(strings.TrimSpace(string(row[1])), ", "); !slices.Equal(got, versions) {
				t.Errorf("%s says %s %q is tested; scripts/clis.sh pins %q", page, name, got, versions)
			}
		}
	}
}

// TestChangelog: CHANGELOG.md, whose sections scripts/release-notes.sh
// publishes, has at most one Unreleased section, and it is the first; the
// first release lists no BUG FIXES (there is no released text to fix).
func TestChangelog(t *testing.T) {
	headings := regexp.MustCompile(`(?m)^## (\S+) \(([^)]*)\)$`).FindAllSubmatchIndex(readRepoFile(t, "CHANGELOG.md"), -1)
	data := readRepoFile(t, "CHANGELOG.md")
	if len(headings) == 0 {
		t.Fatal("CHANGELOG.md has no '## X.Y.Z (…)' section")
	}
	for i, h := range headings {
		version, when := string(data[h[2]:h[3]]), string(data[h[4]:h[5]])
		if when == "Unreleased" && i != 0 {
			t.Errorf("## %s (Unreleased) is not the first section", version)
		}
		end := len(data)
		if i+1 < len(headings) {
			end = headings[i+1][0]
		}
		if i == len(headings)-1 && strings.Contains(string(data[h[1]:end]), "BUG FIXES:") {
			t.Errorf("## %s, the first release, lists BUG FIXES: there was no earlier release to fix", version)
		}
	}
}
