package benchmark

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/testutil"
)

// ApplyResult is one `terraform apply` of a configuration that reads a data
// source or opens an ephemeral resource from the sandbox, with the provider
// running as its own process.
type ApplyResult struct {
	Scenario string
	Rows     int
	Wall     time.Duration // the whole apply
	// ProviderRead is the provider's time in ReadDataSource or
	// OpenEphemeralResource (read, convert, encode), summed over the calls;
	// the rest of Wall is Terraform's own share (plan and state handling,
	// process start-up). An ephemeral resource is opened in the plan and
	// again in the apply: two calls.
	ProviderRead time.Duration
	ReadCalls    int
	// ProviderPeakRSS is the highest VmHWM of any provider process.
	ProviderPeakRSS uint64
}

// CLIShare is the part of the apply not spent in the provider's reads.
func (r ApplyResult) CLIShare() time.Duration { return r.Wall - r.ProviderRead }

// PerRead is the provider's time per read call.
func (r ApplyResult) PerRead() time.Duration {
	return r.ProviderRead / time.Duration(max(r.ReadCalls, 1))
}

// ReadKind is how an Apply reads: a data source or an ephemeral resource.
type ReadKind string

// The kinds of read.
const (
	DataSource        ReadKind = "data"
	EphemeralResource ReadKind = "ephemeral"
)

// BuildProvider builds the provider binary into dir from the module at root.
func BuildProvider(ctx context.Context, root, dir string) error {
	return testutil.BuildProvider(ctx, root, dir, ".", "")
}

// BuildMinimalProvider builds cmd/minimal-provider, the yardstick of the
// end-to-end benchmark, as terraform-provider-kaleyra into dir.
func BuildMinimalProvider(ctx context.Context, root, dir string) error {
	return testutil.BuildProvider(ctx, root, dir, "./internal/benchmark/cmd/minimal-provider", "")
}

// Apply runs `terraform apply` in a fresh directory under work with the
// provider from pluginDir (dev_overrides) reading the data source or
// ephemeral resource (kind) typeName, with the HCL arguments args, from a
// sandbox serving seed, and checks that its total is rows.
func Apply(ctx context.Context, work, pluginDir, scenario string, seed sandbox.Seed, kind ReadKind, typeName, args string, rows int) (ApplyResult, error) {
	sb, err := sandbox.Start(seed, sandbox.Options{})
	if err != nil {
		return ApplyResult{}, err
	}
	defer sb.Close()

	dir, err := os.MkdirTemp(work, "apply-")
	if err != nil {
		return ApplyResult{}, err
	}
	cliConfig := filepath.Join(dir, "terraformrc")
	if err := testutil.WriteCLIConfig(cliConfig, pluginDir, ""); err != nil {
		return ApplyResult{}, err
	}
	config := fmt.Sprintf(`terraform {
  required_providers {
    kaleyra = { source = "kaleyra/kaleyra" }
  }
}

provider "kaleyra" {
  sid      = %q
  api_key  = %q
  base_url = %q
}

%s %q "bench" {
  %s
}
`, SID, APIKey, sb.URL(), kind, typeName, args)
	rpc := "ReadDataSource"
	if kind == EphemeralResource {
		// An ephemeral value cannot be an output: a precondition checks the
		// total instead.
		rpc = "OpenEphemeralResource"
		config += fmt.Sprintf(`
resource "terraform_data" "bench" {
  lifecycle {
    precondition {
      condition     = ephemeral.%s.bench.total == %d
      error_message = "The ephemeral resource read another total."
    }
  }
}
`, typeName, rows)
	} else {
		config += fmt.Sprintf(`
output "total" {
  value = data.%s.bench.total
}
`, typeName)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600); err != nil {
		return ApplyResult{}, err
	}
	logPath := filepath.Join(dir, "terraform.log")

	cmd := exec.CommandContext(ctx, "terraform", "apply", "-auto-approve", "-input=false", "-no-color")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
		"TF_LOG_PROVIDER=TRACE", "TF_LOG_PATH="+logPath,
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out

	stopRSS := watchRSS(filepath.Join(pluginDir, testutil.ProviderBinary()))
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	peak := stopRSS()
	if err != nil {
		return ApplyResult{}, fmt.Errorf("%s: terraform apply: %w\n%s", scenario, err, out.String())
	}

	total := rows // checked by the precondition
	if kind == DataSource {
		if total, err = outputTotal(ctx, dir, cmd.Env); err != nil {
			return ApplyResult{}, err
		}
	}
	if total != rows {
		return ApplyResult{}, fmt.Errorf("%s: the apply read %d rows, want %d", scenario, total, rows)
	}
	readTime, calls, err := providerReadTime(logPath, rpc)
	if err != nil {
		return ApplyResult{}, err
	}
	return ApplyResult{Scenario: scenario, Rows: total, Wall: wall, ProviderRead: readTime, ReadCalls: calls, ProviderPeakRSS: peak}, nil
}

func outputTotal(ctx context.Context, dir string, env []string) (int, error) {
	cmd := exec.CommandContext(ctx, "terraform", "output", "-json", "total")
	cmd.Dir, cmd.Env = dir, env
	b, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("terraform output: %w", err)
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil {
		return 0, fmt.Errorf("terraform output %q: %w", b, err)
	}
	return n, nil
}

// providerReadTime sums the provider's own durations of the RPC rpc
// (ReadDataSource or OpenEphemeralResource) from terraform-plugin-go's
// "Received downstream response" trace lines.
func providerReadTime(logPath, rpc string) (time.Duration, int, error) {
	f, err := os.Open(logPath)
	if err != nil {
		return 0, 0, err
	}
	defer func() { _ = f.Close() }()
	var total time.Duration
	calls := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "Received downstream response") || !strings.Contains(line, "tf_rpc="+rpc) {
			continue
		}
		_, rest, ok := strings.Cut(line, "tf_req_duration_ms=")
		if !ok {
			continue
		}
		ms, err := strconv.Atoi(strings.Fields(rest)[0])
		if err != nil {
			continue
		}
		total += time.Duration(ms) * time.Millisecond
		calls++
	}
	if calls == 0 {
		return 0, 0, fmt.Errorf("no %s timings in %s", rpc, logPath)
	}
	return total, calls, sc.Err()
}

// watchRSS polls every process running binary for its peak resident set
// (VmHWM) until the returned function is called, which reports the highest.
func watchRSS(binary string) func() uint64 {
	var (
		mu   sync.Mutex
		peak uint64
		stop = make(chan struct{})
		wg   sync.WaitGroup
	)
	poll := func() {
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			if _, err := strconv.Atoi(e.Name()); err != nil {
				continue
			}
			exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
			if err != nil || exe != binary {
				continue
			}
			if hwm := vmHWM(filepath.Join("/proc", e.Name(), "status")); hwm > 0 {
				mu.Lock()
				peak = max(peak, hwm)
				mu.Unlock()
			}
		}
	}
	wg.Go(func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			poll()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 {
		close(stop)
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// vmHWM reads a process's peak resident set size in bytes.
func vmHWM(statusPath string) uint64 {
	b, err := os.ReadFile(statusPath)
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) >= 1 {
				kb, _ := strconv.ParseUint(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}
