// Command kaleyra-bench prints the provider's performance table: reads
// through the client and data-source code against the sandbox at a given
// latency, end-to-end `terraform apply` runs at zero latency, and whether
// the performance targets are met. `make bench` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/benchmark"
)

func main() {
	latency := flag.Duration("latency", 10*time.Millisecond, "sandbox latency per request for the read table")
	sizesFlag := flag.String("sizes", "1000,10000,100000", "list sizes for the read table")
	e2e := flag.Bool("e2e", true, "also run terraform apply end to end (needs terraform on PATH)")
	strict := flag.Bool("strict", false, "exit 1 when a target is missed")
	flag.Parse()

	sizes, err := parseSizes(*sizesFlag)
	if err != nil {
		fatal(err)
	}
	fmt.Printf("terraform-provider-kaleyra benchmarks: %s, GOMAXPROCS %d, %s\n\n", runtime.Version(), runtime.GOMAXPROCS(0), time.Now().UTC().Format(time.DateTime))

	var targets []target
	fmt.Printf("Reads through the client and data-source code, in-process, sandbox on loopback, latency %s per request\n", *latency)
	fmt.Println("(floor: the requests the read cannot avoid, times the latency; for lookups, the sequential floor)")
	tw := table("scenario", "rows", "requests", "wall", "floor", "wall/floor", "allocs", "alloc MB", "peak heap MB")
	for _, n := range sizes {
		for _, s := range []benchmark.Scenario{
			benchmark.WhatsAppClient(n, 100),
			benchmark.WhatsAppProvider(n),
			benchmark.ContactsWholeClient(n, 100),
			benchmark.ContactsProvider(n),
		} {
			row(tw, run(s, *latency))
		}
	}
	wa := run(benchmark.WhatsAppClient(20_000, 100), *latency)
	row(tw, wa)
	lookup := run(benchmark.ContactsLookupClient(5_000, 4), *latency)
	row(tw, lookup)
	row(tw, run(benchmark.ContactsLookupClient(5_000, 1), *latency))
	_ = tw.Flush()
	fmt.Println()

	targets = append(targets,
		target{
			name: fmt.Sprintf("WhatsApp 20,000 users, %s, page 100: requests <= 201, wall <= 1.10 x floor", *latency),
			got:  fmt.Sprintf("%d requests, wall %s = %.3f x floor %s", wa.Requests, wa.Wall.Round(time.Millisecond), wa.Ratio(), wa.Floor),
			met:  wa.Rows == 20_000 && wa.Requests <= 201 && wa.Ratio() <= 1.10,
		},
		target{
			name: fmt.Sprintf("Contacts 5,000 numbers, %s, default parallelism 4: wall <= 0.35 x sequential floor, <= 4 in flight", *latency),
			got: fmt.Sprintf("wall %s = %.3f x floor %s, %d in flight at most",
				lookup.Wall.Round(time.Millisecond), lookup.Ratio(), lookup.Floor, lookup.MaxInFlight),
			met: lookup.Ratio() <= 0.35 && lookup.MaxInFlight <= 4,
		},
	)

	if *e2e {
		targets = append(targets, endToEnd()...)
	}

	fmt.Println("Targets")
	missed := 0
	for _, t := range targets {
		mark := "met   "
		if !t.met {
			mark = "MISSED"
			missed++
		}
		fmt.Printf("  [%s] %s\n           %s\n", mark, t.name, t.got)
	}
	if missed > 0 && *strict {
		os.Exit(1)
	}
}

type target struct {
	name, got string
	met       bool
}

func endToEnd() []target {
	ctx := context.Background()
	root, err := moduleRoot()
	if err != nil {
		fatal(err)
	}
	work, err := os.MkdirTemp("", "kaleyra-bench-")
	if err != nil {
		fatal(err)
	}
	defer func() { _ = os.RemoveAll(work) }()
	pluginDir := filepath.Join(work, "plugins")
	if err := os.MkdirAll(pluginDir, 0o755); err != nil {
		fatal(err)
	}
	if err := benchmark.BuildProvider(ctx, root, pluginDir); err != nil {
		fatal(err)
	}

	fmt.Println("End to end: terraform apply reading one data source, provider as its own process, zero latency")
	fmt.Println("(provider read: its time in ReadDataSource, summed over calls; CLI share: the rest of the apply)")
	tw := table("scenario", "rows", "apply wall", "provider read", "reads", "CLI share", "provider peak RSS MB")
	apply := func(name string, n int, whatsapp bool) benchmark.ApplyResult {
		var r benchmark.ApplyResult
		if whatsapp {
			r, err = benchmark.Apply(ctx, work, pluginDir, name, benchmark.WhatsAppSeed(n),
				"kaleyra_whatsapp_blocked_users", fmt.Sprintf("phone_number = %q", benchmark.BusinessWA), n)
		} else {
			r, err = benchmark.Apply(ctx, work, pluginDir, name, benchmark.ContactsSeed(n), "kaleyra_contacts_blocklisted", "", n)
		}
		if err != nil {
			fatal(err)
		}
		_, _ = fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%s\t%.1f\t\n", r.Scenario, r.Rows, dur(r.Wall), dur(r.ProviderRead),
			r.ReadCalls, dur(r.CLIShare()), mb(r.ProviderPeakRSS))
		return r
	}
	c10 := apply("contacts whole list 10k", 10_000, false)
	c100 := apply("contacts whole list 100k", 100_000, false)
	w6 := apply("whatsapp 6.4k", 6_400, true)
	w64 := apply("whatsapp 64k (Meta's cap)", 64_000, true)
	_ = tw.Flush()
	fmt.Println()

	const rssCap = 200 << 20
	scale := func(small, big benchmark.ApplyResult) float64 {
		return float64(big.ProviderRead) / float64(max(small.ProviderRead, time.Millisecond))
	}
	return []target{
		{
			name: "Contacts 100,000 rows end to end: provider peak RSS <= 200 MB, provider time at 100k <= 12 x at 10k",
			got: fmt.Sprintf("peak RSS %.1f MB; provider read %s vs %s = %.2f x; CLI share %s vs %s",
				mb(c100.ProviderPeakRSS), dur(c100.ProviderRead), dur(c10.ProviderRead), scale(c10, c100), dur(c100.CLIShare()), dur(c10.CLIShare())),
			met: c100.ProviderPeakRSS <= rssCap && scale(c10, c100) <= 12,
		},
		{
			name: "WhatsApp 64,000 users end to end: provider peak RSS <= 200 MB, provider time at 64k <= 12 x at 6.4k",
			got: fmt.Sprintf("peak RSS %.1f MB; provider read %s vs %s = %.2f x; CLI share %s vs %s",
				mb(w64.ProviderPeakRSS), dur(w64.ProviderRead), dur(w6.ProviderRead), scale(w6, w64), dur(w64.CLIShare()), dur(w6.CLIShare())),
			met: w64.ProviderPeakRSS <= rssCap && scale(w6, w64) <= 12,
		},
	}
}

func run(s benchmark.Scenario, latency time.Duration) benchmark.Result {
	r, err := s.Run(latency)
	if err != nil {
		fatal(err)
	}
	return r
}

func table(headers ...string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	_, _ = fmt.Fprintln(tw, strings.Join(headers, "\t")+"\t")
	return tw
}

func row(tw *tabwriter.Writer, r benchmark.Result) {
	_, _ = fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%.3f\t%d\t%.1f\t%.1f\t\n", r.Scenario, r.Rows, r.Requests,
		dur(r.Wall), dur(r.Floor), r.Ratio(), r.Allocs, mb(r.AllocBytes), mb(r.PeakHeap))
}

func dur(d time.Duration) string { return d.Round(time.Millisecond).String() }

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

func parseSizes(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("-sizes: %q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("run kaleyra-bench inside the provider's module")
	}
	return filepath.Dir(mod), nil
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "kaleyra-bench:", err)
	os.Exit(1)
}
