package scripts

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/testutil"
)

// TestDemo runs scripts/demo.sh (make demo) as a newcomer does, with the
// Terraform CLI on PATH and a TF_CLI_CONFIG_FILE that names a file that
// does not exist (a stale setting, or a CI image's): the demo passes,
// prints no warning, and before building says what it builds and how long
// a first build takes.
func TestDemo(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash to run the demo with")
	}
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Skip("no terraform on PATH, which the demo needs")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "demo.sh")
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "TF_") && !strings.HasPrefix(name, "KALEYRA_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "TF_CLI_CONFIG_FILE="+filepath.Join(t.TempDir(), "missing.tfrc"))
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	code, err := testutil.ExitCode(cmd.Run())
	if err != nil {
		t.Fatal(err)
	}
	output := out.String()
	if code != 0 || !strings.Contains(output, "the demo passed") {
		t.Fatalf("make demo: exit %d\n%s", code, output)
	}
	for _, warning := range []string{"Warning", "warning:", "Unable to open CLI configuration file"} {
		if strings.Contains(output, warning) {
			t.Errorf("make demo printed %q:\n%s", warning, output)
		}
	}
	build := strings.Index(output, "== build the provider and the sandbox\n")
	estimate := strings.Index(output, "The first time, it takes about 3 minutes")
	built := strings.Index(output, "built into ")
	if build < 0 || estimate < build || built < estimate {
		t.Errorf("make demo does not say, before building, how long a first build takes:\n%s", output)
	}
}
