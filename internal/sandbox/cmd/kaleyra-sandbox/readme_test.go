package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

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
