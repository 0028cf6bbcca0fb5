// Command kaleyra-bench prints the provider's performance table: reads
// through the client and data-source code against the sandbox at a given
// latency, end-to-end `terraform apply` runs at zero latency, and whether
// the performance targets are met. `make bench` runs it.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/benchmark"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/testutil"
)

func main() {
	latency := flag.Duration("latency", 10*time.Millisecond, "sandbox latency per request for the read table")
	sizesFlag := flag.String("sizes", "1000,10000,100000", "list sizes for the read table")
	e2e := flag.Bool("e2e", true, "also run terraform apply end to end (needs terraform on PATH)")
	strict := flag.Bool("strict", false, "exit 1 when a target is missed")
	reads := flag.Bool("reads", true, "run the in-process read table")
	paging := flag.Bool("paging", true, "run the whole-list paging table at 10ms and 100ms (about 4 minutes)")
	flag.Parse()

	sizes, err := parseSizes(*sizesFlag)
	if err != nil {
		fatal(err)
	}
	fmt.Printf("terraform-provider-kaleyra benchmarks: %s, GOMAXPROCS %d, %s\n\n", runtime.Version(), runtime.GOMAXPROCS(0), time.Now().UTC().Format(time.DateTime))

	var targets []target
	if *reads {
		targets = append(targets, readTable(*latency, sizes)...)
	}
	if *paging {
		targets = append(targets, pagingTable([]int{20_000, 100_000})...)
	}

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

// readTable prints the in-process read table and returns its targets.
// pagingTable prints whole-list reads at real API latencies, one page
// after another vs parallel pages, and under a 429 storm, and returns the
// parallel paging target.
func pagingTable(sizes []int) []target {
	fmt.Println("Whole contacts list at API latency: pages one after another vs parallel (page 100; floor: the sequential one)")
	tw := table("scenario", "latency", "rows", "requests", "wall", "floor", "wall/floor", "max in flight")
	var t20k benchmark.Result
	for _, latency := range []time.Duration{10 * time.Millisecond, 100 * time.Millisecond} {
		for _, n := range sizes {
			for _, parallel := range []int{1, 4, 8} {
				r := run(benchmark.ContactsWholeClient(n, 100, parallel), latency)
				pagingRow(tw, r)
				if n == 20_000 && parallel == 4 && latency == 10*time.Millisecond {
					t20k = r
				}
			}
		}
	}
	storm := run(benchmark.ContactsRateLimited(20_000), 10*time.Millisecond)
	pagingRow(tw, storm)
	_ = tw.Flush()
	fmt.Println()
	if t20k.Rows == 0 {
		return nil
	}
	floor := 200 * 10 * time.Millisecond
	ratio := float64(t20k.Wall) / float64(floor)
	return []target{{
		name: "Whole contacts list, 20,000 rows, 10ms, page 100, parallelism 4: wall <= 0.35 x (200 pages x 10ms), requests <= 205, <= 4 in flight",
		got:  fmt.Sprintf("wall %s = %.3f x %s, %d requests, %d in flight at most", dur(t20k.Wall), ratio, floor, t20k.Requests, t20k.MaxInFlight),
		met:  t20k.Rows == 20_000 && ratio <= 0.35 && t20k.Requests <= 205 && t20k.MaxInFlight <= 4,
	}}
}

func pagingRow(tw *tabwriter.Writer, r benchmark.Result) {
	_, _ = fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%.3f\t%d\t\n", r.Scenario, r.Latency, r.Rows, r.Requests,
		dur(r.Wall), dur(r.Floor), r.Ratio(), r.MaxInFlight)
}

func readTable(latency time.Duration, sizes []int) []target {
	fmt.Printf("Reads through the client and data-source code, in-process, sandbox on loopback, latency %s per request\n", latency)
	fmt.Println("(floor: the requests the read cannot avoid, times the latency; for lookups, the sequential floor)")
	tw := table("scenario", "rows", "requests", "wall", "floor", "wall/floor", "allocs", "alloc MB", "peak heap MB")
	for _, n := range sizes {
		for _, s := range []benchmark.Scenario{
			benchmark.WhatsAppClient(n, 100),
			benchmark.WhatsAppProvider(n),
			benchmark.ContactsWholeClient(n, 100, 4),
			benchmark.ContactsProvider(n),
			benchmark.ContactsEphemeral(n, false),
		} {
			row(tw, run(s, latency))
		}
	}
	wa := run(benchmark.WhatsAppClient(20_000, 100), latency)
	row(tw, wa)
	lookup := run(benchmark.ContactsLookupClient(5_000, 4), latency)
	row(tw, lookup)
	row(tw, run(benchmark.ContactsLookupClient(5_000, 1), latency))
	identical := run(benchmark.ContactsIdenticalReads(10_000), latency)
	row(tw, identical)
	// What the large-state path saves an ephemeral resource: the same read
	// through the plain framework server.
	row(tw, run(benchmark.ContactsEphemeral(sizes[len(sizes)-1], true), latency))
	_ = tw.Flush()
	fmt.Println()

	return []target{
		{
			name: "Five identical whole-list data sources of one configuration: the requests of one read (10,000 rows: 101..104)",
			got:  fmt.Sprintf("%d requests, wall %s", identical.Requests, dur(identical.Wall)),
			met:  identical.Rows == 10_000 && identical.Requests <= 104,
		},
		{
			name: fmt.Sprintf("WhatsApp 20,000 users, %s, page 100: requests <= 201, wall <= 1.10 x floor", latency),
			got:  fmt.Sprintf("%d requests, wall %s = %.3f x floor %s", wa.Requests, wa.Wall.Round(time.Millisecond), wa.Ratio(), wa.Floor),
			met:  wa.Rows == 20_000 && wa.Requests <= 201 && wa.Ratio() <= 1.10,
		},
		{
			name: fmt.Sprintf("Contacts 5,000 numbers, %s, default parallelism 4: wall <= 0.35 x sequential floor, <= 4 in flight", latency),
			got: fmt.Sprintf("wall %s = %.3f x floor %s, %d in flight at most",
				lookup.Wall.Round(time.Millisecond), lookup.Ratio(), lookup.Floor, lookup.MaxInFlight),
			met: lookup.Ratio() <= 0.35 && lookup.MaxInFlight <= 4,
		},
	}
}

type target struct {
	name, got string
	met       bool
}

func endToEnd() []target {
	ctx := context.Background()
	root, err := testutil.ModuleRoot()
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
	minimalDir := filepath.Join(work, "minimal")
	if err := os.MkdirAll(minimalDir, 0o755); err != nil {
		fatal(err)
	}
	if err := benchmark.BuildMinimalProvider(ctx, root, minimalDir); err != nil {
		fatal(err)
	}

	fmt.Println("End to end: terraform apply reading one data source or ephemeral resource, provider as its own process, zero latency")
	fmt.Println("(provider read: its time in ReadDataSource or OpenEphemeralResource, summed over calls, and per call;")
	fmt.Println(" an ephemeral resource is opened in the plan and again in the apply; CLI share: the rest of the apply)")
	tw := table("scenario", "rows", "apply wall", "provider read", "reads", "per read", "CLI share", "provider peak RSS MB")
	applyWith := func(dir, name string, n int, whatsapp bool, kind benchmark.ReadKind) benchmark.ApplyResult {
		var r benchmark.ApplyResult
		if whatsapp {
			r, err = benchmark.Apply(ctx, work, dir, name, benchmark.WhatsAppSeed(n), kind,
				"kaleyra_whatsapp_blocked_users", fmt.Sprintf("phone_number = %q", benchmark.BusinessWA), n)
		} else {
			r, err = benchmark.Apply(ctx, work, dir, name, benchmark.ContactsSeed(n), kind, "kaleyra_contacts_blocklisted", "", n)
		}
		if err != nil {
			fatal(err)
		}
		_, _ = fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%s\t%s\t%.1f\t\n", r.Scenario, r.Rows, dur(r.Wall), dur(r.ProviderRead),
			r.ReadCalls, dur(r.PerRead()), dur(r.CLIShare()), mb(r.ProviderPeakRSS))
		return r
	}
	apply := func(name string, n int, whatsapp bool) benchmark.ApplyResult {
		return applyWith(pluginDir, name, n, whatsapp, benchmark.DataSource)
	}
	c10 := apply("contacts whole list 10k", 10_000, false)
	// Side by side with the minimal provider and with the ephemeral
	// resource, alternating, three each: the medians are compared.
	var ours, minimal, ephemeral []benchmark.ApplyResult
	for range 3 {
		ours = append(ours, apply("contacts whole list 100k", 100_000, false))
		minimal = append(minimal, applyWith(minimalDir, "  minimal provider, same state", 100_000, false, benchmark.DataSource))
		ephemeral = append(ephemeral, applyWith(pluginDir, "  ephemeral resource, same read", 100_000, false, benchmark.EphemeralResource))
	}
	c100 := medianApply(ours)
	m100 := medianApply(minimal)
	e100 := medianApply(ephemeral)
	w6 := apply("whatsapp 6.4k", 6_400, true)
	w64 := apply("whatsapp 64k (Meta's cap)", 64_000, true)
	_ = tw.Flush()
	fmt.Println()
	wallRatio := float64(c100.Wall) / float64(m100.Wall)
	rssRatio := float64(c100.ProviderPeakRSS) / float64(max(m100.ProviderPeakRSS, 1))

	const rssCap = 200 << 20
	scale := func(small, big benchmark.ApplyResult) float64 {
		return float64(big.ProviderRead) / float64(max(small.ProviderRead, time.Millisecond))
	}
	ephemeralTime := float64(e100.PerRead()) / float64(max(c100.PerRead(), time.Millisecond))
	ephemeralRSS := float64(e100.ProviderPeakRSS) / float64(max(c100.ProviderPeakRSS, 1))
	return []target{
		{
			name: "Contacts 100,000 rows end to end, ephemeral resource vs data source: provider time per read and peak RSS <= 1.1 x",
			got: fmt.Sprintf("median per read %s vs %s = %.2f x; peak RSS %.1f MB vs %.1f MB = %.2f x",
				dur(e100.PerRead()), dur(c100.PerRead()), ephemeralTime, mb(e100.ProviderPeakRSS), mb(c100.ProviderPeakRSS), ephemeralRSS),
			met: ephemeralTime <= 1.1 && ephemeralRSS <= 1.1,
		},
		{
			name: "Contacts 100,000 rows end to end vs a minimal provider building the same state: wall <= 1.5 x, provider peak RSS <= 2 x",
			got: fmt.Sprintf("median apply %s vs %s = %.2f x; peak RSS %.1f MB vs %.1f MB = %.2f x",
				dur(c100.Wall), dur(m100.Wall), wallRatio, mb(c100.ProviderPeakRSS), mb(m100.ProviderPeakRSS), rssRatio),
			met: wallRatio <= 1.5 && rssRatio <= 2,
		},
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

// medianApply is the run with the median wall time (RSS: the median too).
func medianApply(runs []benchmark.ApplyResult) benchmark.ApplyResult {
	byWall := slices.SortedFunc(slices.Values(runs), func(a, b benchmark.ApplyResult) int { return cmp.Compare(a.Wall, b.Wall) })
	byRSS := slices.SortedFunc(slices.Values(runs), func(a, b benchmark.ApplyResult) int {
		return cmp.Compare(a.ProviderPeakRSS, b.ProviderPeakRSS)
	})
	m := byWall[len(byWall)/2]
	m.ProviderPeakRSS = byRSS[len(byRSS)/2].ProviderPeakRSS
	return m
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

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "kaleyra-bench:", err)
	os.Exit(1)
}
