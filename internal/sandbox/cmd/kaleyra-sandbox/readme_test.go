package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
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
	"testing"
	"time"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/testutil"
)

// The README's "Using the sandbox in your own CI" gives users a bash script
// that starts the sandbox and waits for it. TestREADMEScript runs that
// script exactly as written, with the README's own seed file and with a
// broken one, a fake terraform on PATH standing for `terraform plan`.

// readmeScript is the README's ```bash block that starts the sandbox.
var readmeScript = regexp.MustCompile("(?s)```bash\n(rm -f sandbox.url\n.*?kaleyra-sandbox -addr.*?)```\n")

// readmeSeed is the README's seed file example.
var readmeSeed = regexp.MustCompile("(?s)\\*\\*Seed file\\.\\*\\*.*?```json\n(.*?)```\n")

func TestREADMEScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash to run the README's script with")
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	script := readmeScript.FindSubmatch(readme)
	seed := readmeSeed.FindSubmatch(readme)
	if script == nil || seed == nil {
		t.Fatal("the README has no sandbox start script (a ```bash block starting `rm -f sandbox.url`) or no seed file example")
	}

	// The script runs .bin/kaleyra-sandbox, where the README's install
	// steps put it, and then terraform, which here only records what it
	// was given.
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "kaleyra-sandbox"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	fakeTerraform := "#!/bin/sh\necho \"$KALEYRA_BASE_URL $KALEYRA_SID $*\" >terraform.ran\n"
	mustWriteFile(t, filepath.Join(bin, "terraform"), []byte(fakeTerraform))
	if err := os.Chmod(filepath.Join(bin, "terraform"), 0o755); err != nil {
		t.Fatal(err)
	}

	runScript := func(t *testing.T, seedJSON string) (dir string, stderr string, code int, took time.Duration) {
		t.Helper()
		dir = t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, ".bin"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Link(filepath.Join(bin, "kaleyra-sandbox"), filepath.Join(dir, ".bin", "kaleyra-sandbox")); err != nil {
			t.Fatal(err)
		}
		mustWriteFile(t, filepath.Join(dir, "ci-seed.json"), []byte(seedJSON))
		// A stale URL file from an earlier run must not pass for a ready sandbox.
		mustWriteFile(t, filepath.Join(dir, "sandbox.url"), []byte("http://127.0.0.1:1\n"))

		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bash, "-c", string(script[1]))
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		var errOut strings.Builder
		cmd.Stderr = &errOut
		start := time.Now()
		code, err := testutil.ExitCode(cmd.Run())
		took = time.Since(start)
		if err != nil {
			t.Fatalf("bash: %v", err)
		}
		return dir, errOut.String(), code, took
	}

	t.Run("the README's seed", func(t *testing.T) {
		dir, stderr, code, took := runScript(t, string(seed[1]))
		if code != 0 {
			t.Fatalf("exit %d after %s\n%s", code, took, stderr)
		}
		ran, err := os.ReadFile(filepath.Join(dir, "terraform.ran"))
		if err != nil {
			t.Fatalf("terraform never ran: %v\n%s", err, stderr)
		}
		fields := strings.Fields(string(ran))
		if len(fields) != 3 || !strings.HasPrefix(fields[0], "http://127.0.0.1:") || fields[0] == "http://127.0.0.1:1" ||
			fields[1] != "HXCI0000000000IN" || fields[2] != "plan" {
			t.Fatalf("terraform ran with %q", ran)
		}
		// The EXIT trap stopped the sandbox.
		addr := strings.TrimPrefix(fields[0], "http://")
		deadline := time.Now().Add(5 * time.Second)
		for {
			conn, err := net.DialTimeout("tcp", addr, time.Second)
			if err != nil {
				break
			}
			conn.Close()
			if time.Now().After(deadline) {
				t.Fatalf("the sandbox still listens on %s after the script exited", addr)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	t.Run("a broken seed fails fast", func(t *testing.T) {
		badSeed := strings.Replace(string(seed[1]), `"low_balance"`, `"low_balance_typo"`, 1)
		if badSeed == string(seed[1]) {
			t.Fatal("the README's seed has no low_balance field to misspell")
		}
		dir, stderr, code, took := runScript(t, badSeed)
		if code == 0 {
			t.Fatalf("exit 0 with a broken seed\n%s", stderr)
		}
		if took > 5*time.Second {
			t.Errorf("the script took %s to fail; it must notice the sandbox exited at once", took)
		}
		if !strings.Contains(stderr, "low_balance_typo") || !strings.Contains(stderr, "kaleyra-sandbox exited before it was ready") {
			t.Errorf("stderr does not show the sandbox's error and the script's:\n%s", stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "terraform.ran")); err == nil {
			t.Error("terraform ran although the sandbox never started")
		}
		t.Logf("exit %d after %s:\n%s", code, took.Round(time.Millisecond), stderr)
	})
}

// The README's install steps are marked `<!-- test:readme NAME -->` on the
// line before each code block; the blocks of one NAME run, in order, as one
// bash script, exactly as written, in an empty directory. git clones of
// the provider's GitHub repository are redirected (url.insteadOf) to a
// clone of this repository whose `main` is the commit under test, so the
// steps need no network and build this very commit.

// readmeMarker is a `<!-- test:readme NAME -->` line.
var readmeMarker = regexp.MustCompile(`^<!-- test:readme (\S+) -->$`)

// readmeSteps returns the README's code blocks marked name, joined into
// one script.
func readmeSteps(t *testing.T, name string) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var script strings.Builder
	lines := strings.Split(string(readme), "\n")
	for i := 0; i < len(lines); i++ {
		m := readmeMarker.FindStringSubmatch(lines[i])
		if m == nil || m[1] != name {
			continue
		}
		if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "```") {
			t.Fatalf("README.md:%d: the marker is not followed by a code block", i+1)
		}
		for i += 2; i < len(lines) && lines[i] != "```"; i++ {
			script.WriteString(lines[i] + "\n")
		}
	}
	if script.Len() == 0 {
		t.Fatalf("the README has no block marked <!-- test:readme %s -->", name)
	}
	return script.String()
}

// repoRoot is the provider's repository.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// githubURL is the repository the README clones.
const githubURL = "https://github.com/kaleyra/terraform-provider-kaleyra"

// localGitHub clones this repository (its HEAD, as the branch main) into
// a temporary directory and returns the environment that makes git fetch
// githubURL from there.
func localGitHub(t *testing.T) []string {
	t.Helper()
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git to clone with")
	}
	src := filepath.Join(t.TempDir(), "terraform-provider-kaleyra")
	for _, args := range [][]string{
		{"clone", "--quiet", "--no-local", repoRoot(t), src},
		{"-C", src, "checkout", "--quiet", "-B", "main"},
	} {
		if out, err := exec.Command(git, args...).CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return []string{
		"GIT_CONFIG_COUNT=1",
		"GIT_CONFIG_KEY_0=url." + src + ".insteadOf",
		"GIT_CONFIG_VALUE_0=" + githubURL,
	}
}

// runSteps runs script with bash -e in dir with env added to a clean
// environment (no TF_* or KALEYRA_* variable of the caller's) and returns
// its combined output and exit code.
func runSteps(t *testing.T, dir, script string, env ...string) (string, int) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash to run the README's steps with")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "-e", "-c", script)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "TF_") && !strings.HasPrefix(name, "KALEYRA_") && !strings.HasPrefix(name, "GIT_CONFIG") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "CHECKPOINT_DISABLE=1")
	cmd.Env = append(cmd.Env, env...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	code, err := testutil.ExitCode(cmd.Run())
	if err != nil {
		t.Fatalf("bash: %v", err)
	}
	return out.String(), code
}

// TestREADMESandboxFromSource runs the README's "build it from source, at
// a commit" steps for the sandbox.
func TestREADMESandboxFromSource(t *testing.T) {
	script := readmeSteps(t, "sandbox-source")
	env := localGitHub(t)
	dir := t.TempDir()
	out, code := runSteps(t, dir, script, env...)
	if code != 0 || !strings.Contains(out, "kaleyra-sandbox dev\n") {
		t.Fatalf("exit %d, want 0 and the sandbox's version line:\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, ".bin", "kaleyra-sandbox")); err != nil {
		t.Errorf("the steps left no .bin/kaleyra-sandbox, where the README's CI script runs it: %v", err)
	}
}

// TestREADMEInstallFromSource runs the README's "Installing" steps: clone
// and build the provider at a commit, write a dev_overrides CLI
// configuration, and run the policy check's `terraform test` without
// `terraform init`, all with the Terraform CLI on PATH.
func TestREADMEInstallFromSource(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make: the README builds with make build")
	}
	if why := withoutTestMocks(t); why != "" {
		t.Skip(why)
	}
	script := readmeSteps(t, "install-source")
	env := localGitHub(t)
	out, code := runSteps(t, t.TempDir(), script, env...)
	out = regexp.MustCompile(`\x1b\[[0-9;]*m`).ReplaceAllString(out, "") // terraform's colours
	if code != 0 || !regexp.MustCompile(`Success! \d+ passed, 0 failed`).MatchString(out) {
		t.Fatalf("exit %d, want 0 and terraform test's success line:\n%s", code, out)
	}
}

// withoutTestMocks says why the terraform on PATH cannot run the
// policy check's test file (mock_provider needs Terraform 1.7), or "".
func withoutTestMocks(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("terraform")
	if err != nil {
		return "no terraform on PATH"
	}
	cmd := exec.Command(path, "version", "-json")
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("terraform version -json: %v", err)
	}
	m := regexp.MustCompile(`"terraform_version":\s*"(\d+)\.(\d+)\.`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("terraform version -json: %s", out)
	}
	major, _ := strconv.Atoi(string(m[1]))
	minor, _ := strconv.Atoi(string(m[2]))
	if major == 1 && minor < 7 {
		return fmt.Sprintf("Terraform %s.%s on PATH has no mock_provider for `terraform test` (from 1.7)", m[1], m[2])
	}
	return ""
}

// TestREADMESandboxFromRelease runs the README's steps for installing the
// sandbox from a release, with a stand-in for curl that serves a release
// laid out as .goreleaser.yml names it: the archive (the sandbox built
// from this commit, and LICENSE) and the SHA256SUMS file. It proves that
// the URLs, the file names, the checksum check and the extraction fit
// what a release will hold.
func TestREADMESandboxFromRelease(t *testing.T) {
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("no sha256sum, which the README's steps use")
	}
	script := readmeSteps(t, "sandbox-release")
	m := regexp.MustCompile(`(?m)^version=(\S+) platform=(\S+)_(\S+)$`).FindStringSubmatch(script)
	if m == nil {
		t.Fatalf("the steps do not start with version=… platform=<os>_<arch>:\n%s", script)
	}
	version, goos, goarch := m[1], m[2], m[3]

	// The names .goreleaser.yml gives the sandbox's archives and the checksums.
	goreleaser, err := os.ReadFile(filepath.Join(repoRoot(t), ".goreleaser.yml"))
	if err != nil {
		t.Fatal(err)
	}
	render := func(tmpl string) string {
		return strings.NewReplacer("{{ .ProjectName }}", "terraform-provider-kaleyra", "{{ .Version }}", version,
			"{{ .Os }}", goos, "{{ .Arch }}", goarch).Replace(tmpl)
	}
	names := regexp.MustCompile(`(?m)^\s*name_template: "([^"]+)"`).FindAllSubmatch(goreleaser, -1)
	var archive, sums string
	for _, n := range names {
		switch name := string(n[1]); {
		case strings.HasPrefix(name, "kaleyra-sandbox_"):
			archive = render(name) + ".tar.gz"
		case strings.HasSuffix(name, "_SHA256SUMS"):
			sums = render(name)
		}
	}
	if archive == "" || sums == "" {
		t.Fatalf(".goreleaser.yml names no sandbox archive or no checksums file: %q", names)
	}

	// The release: the archive, and checksums that list files not
	// downloaded too (the README checks with --ignore-missing).
	release := t.TempDir()
	bin := filepath.Join(t.TempDir(), "kaleyra-sandbox")
	build := exec.Command("go", "build", "-ldflags", "-X main.version="+version, "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	writeTarGz(t, filepath.Join(release, archive), map[string]string{"kaleyra-sandbox": bin, "LICENSE": filepath.Join(repoRoot(t), "LICENSE")})
	data, err := os.ReadFile(filepath.Join(release, archive))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	mustWriteFile(t, filepath.Join(release, sums), fmt.Appendf(nil,
		"%x  %s\n%064x  terraform-provider-kaleyra_%s_%s_%s.zip\n", sum, archive, 1, version, goos, goarch))

	// curl, as the steps call it: -sSfLO URL, from the release above.
	fakeBin := t.TempDir()
	requested := filepath.Join(t.TempDir(), "requested")
	fakeCurl := `#!/bin/sh
for url; do :; done
echo "$url" >>"` + requested + `"
case $url in
  ` + githubURL + `/releases/download/v` + version + `/*) ;;
  *) echo "curl: (22) The requested URL returned error: 404" >&2; exit 22 ;;
esac
file=` + release + `/${url##*/}
[ -f "$file" ] || { echo "curl: (22) The requested URL returned error: 404" >&2; exit 22; }
cp "$file" .
`
	mustWriteFile(t, filepath.Join(fakeBin, "curl"), []byte(fakeCurl))
	if err := os.Chmod(filepath.Join(fakeBin, "curl"), 0o755); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	out, code := runSteps(t, dir, script, "PATH="+fakeBin+string(os.PathListSeparator)+os.Getenv("PATH"))
	if code != 0 || !strings.Contains(out, archive+": OK") || !strings.Contains(out, "kaleyra-sandbox "+version+"\n") {
		t.Fatalf("exit %d, want 0, the archive's checksum OK and the sandbox's version line:\n%s", code, out)
	}
	got, err := os.ReadFile(requested)
	if err != nil {
		t.Fatal(err)
	}
	base := githubURL + "/releases/download/v" + version + "/"
	if want := base + archive + "\n" + base + sums + "\n"; string(got) != want {
		t.Errorf("the steps downloaded:\n%s\nwant:\n%s", got, want)
	}
}

// writeTarGz writes a tar.gz archive at path holding files (name in the
// archive => file on disk), as goreleaser lays them out: flat, executable
// bits kept.
func writeTarGz(t *testing.T, path string, files map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		data, err := os.ReadFile(files[name])
		if err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(files[name])
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: int64(info.Mode().Perm()), Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	mustWriteFile(t, path, buf.Bytes())
}

// TestREADMEAdminEndpoints: the README's table of admin endpoints lists
// exactly those the sandbox serves (sandbox.AdminEndpoints, which -help and
// the start-up text print).
func TestREADMEAdminEndpoints(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z]+ /_sandbox/[^`]*)` \\|").FindAllSubmatch(readme, -1) {
		listed = append(listed, string(m[1]))
	}
	var served []string
	for _, e := range sandbox.AdminEndpoints {
		served = append(served, e.Method+" "+e.Path)
	}
	if !slices.Equal(listed, served) {
		t.Errorf("the README lists the admin endpoints\n%q\nthe sandbox serves\n%q", listed, served)
	}
}
