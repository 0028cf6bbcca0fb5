package benchmark

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

// benchLatency is the sandbox's per-request latency for the Go benchmarks:
// BENCH_LATENCY (a Go duration), zero by default so they measure CPU.
func benchLatency(b *testing.B) time.Duration {
	v := os.Getenv("BENCH_LATENCY")
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		b.Fatalf("BENCH_LATENCY: %v", err)
	}
	return d
}

var benchSizes = []int{1_000, 10_000, 100_000}

// runBench serves the scenario's seed once and measures repeated reads,
// reporting requests and rows per read next to time and allocations.
func runBench(b *testing.B, s Scenario) {
	sb, err := sandbox.Start(s.Seed, sandbox.Options{Latency: benchLatency(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	ctx := context.Background()
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		if rows, err = s.Read(ctx, sb.URL()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(sb.Requests()))/float64(b.N), "requests/op")
	b.ReportMetric(float64(rows), "rows/op")
}

func BenchmarkWhatsAppClient(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { runBench(b, WhatsAppClient(n, 100)) })
	}
}

func BenchmarkWhatsAppDataSource(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { runBench(b, WhatsAppProvider(n)) })
	}
}

func BenchmarkContactsWholeClient(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { runBench(b, ContactsWholeClient(n, 100, 4)) })
	}
}

func BenchmarkContactsDataSource(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { runBench(b, ContactsProvider(n)) })
	}
}

func BenchmarkContactsEphemeralResource(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { runBench(b, ContactsEphemeral(n, false)) })
	}
}

// BenchmarkContactsEphemeralFrameworkServer opens the ephemeral resource
// through the plain framework server: what the large-state path saves.
func BenchmarkContactsEphemeralFrameworkServer(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { runBench(b, ContactsEphemeral(n, true)) })
	}
}

func BenchmarkContactsLookupClient(b *testing.B) {
	for _, n := range []int{1_000, 5_000, 10_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { runBench(b, ContactsLookupClient(n, 4)) })
	}
}

// TestScenariosReadWhatTheyServe keeps the benchmarks honest: each scenario
// reads every row it serves with the requests its floor assumes.
func TestScenariosReadWhatTheyServe(t *testing.T) {
	// Contacts pages after the first are read ahead in parallel: up to
	// parallel-1 requests past the end.
	cases := []struct {
		s                   Scenario
		rows, reqs, maxReqs int
	}{
		{WhatsAppClient(1234, 100), 1234, 13 + 1, 13 + 1},
		{WhatsAppProvider(250), 250, 3 + 1, 3 + 1},
		{ContactsWholeClient(1050, 100, 1), 1050, 11, 11},
		{ContactsWholeClient(1050, 100, 4), 1050, 11, 11 + 3},
		{ContactsProvider(1000), 1000, 11, 11 + 3},
		{ContactsIdenticalReads(1000), 1000, 11, 11 + 3},
		{ContactsEphemeral(1000, false), 1000, 11, 11 + 3},
		{ContactsEphemeral(1000, true), 1000, 11, 11 + 3},
		{ContactsRateLimited(3000), 3000, 31 + 16, 31 + 16 + 7},
	}
	for _, tc := range cases {
		r, err := tc.s.Run(0)
		if err != nil {
			t.Fatal(err)
		}
		if r.Rows != tc.rows || r.Requests < tc.reqs || r.Requests > tc.maxReqs {
			t.Errorf("%s: %d rows in %d requests; want %d in %d..%d", tc.s.Name, r.Rows, r.Requests, tc.rows, tc.reqs, tc.maxReqs)
		}
	}
	for _, tc := range []struct {
		seed     sandbox.Seed
		typeName string
		attrs    map[string]tftypes.Value
		total    int
	}{
		{WhatsAppSeed(321), "kaleyra_whatsapp_blocked_users", map[string]tftypes.Value{"phone_number": tftypes.NewValue(tftypes.String, BusinessWA)}, 321},
		{ContactsSeed(432), "kaleyra_contacts_blocklisted", nil, 432},
	} {
		sb, err := sandbox.Start(tc.seed, sandbox.Options{})
		if err != nil {
			t.Fatal(err)
		}
		state, typ, err := ProviderRead(context.Background(), sb.URL(), tc.typeName, tc.attrs)
		sb.Close()
		if err != nil {
			t.Fatal(err)
		}
		if total, err := StateTotal(state, typ); err != nil || total != tc.total {
			t.Errorf("%s: total %d, %v; want %d", tc.typeName, total, err, tc.total)
		}
	}

	lookup := ContactsLookupClient(2000, 4)
	r, err := lookup.Run(5 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 20 || r.MaxInFlight > 4 || r.MaxInFlight < 2 {
		t.Errorf("lookup: %d requests, %d in flight; want 20 requests, 2..4 in flight", r.Requests, r.MaxInFlight)
	}
	// A third of the numbers are blocklisted on 1, 2 or 3 channels.
	if r.Rows < 2000/3 {
		t.Errorf("lookup: %d rows", r.Rows)
	}
}
