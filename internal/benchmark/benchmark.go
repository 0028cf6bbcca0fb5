// Package benchmark measures blocklist reads through the provider's client
// and data-source code against the sandbox with a configurable per-request
// latency. `make bench` runs its Go benchmarks and its table driver
// (cmd/kaleyra-bench); the figures are compared with each read's floor: the
// requests it must make times the latency. Its end-to-end runs put the
// provider side by side with cmd/minimal-provider, a provider built on
// terraform-plugin-go alone that builds the same state: the yardstick of
// the wall-time and memory targets.
package benchmark

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"time"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

// The sandbox account of every scenario.
const (
	SID          = "HXBENCH0000000IN"
	APIKey       = "bench-sandbox-key"
	BusinessWA   = "+919000000000"
	lookupPrefix = 917000000000
)

// Result is one measured read.
type Result struct {
	Scenario    string
	Rows        int // rows in the result
	Requests    int // requests the sandbox answered
	Latency     time.Duration
	Wall        time.Duration
	Floor       time.Duration // the least the read can take: see each scenario
	MaxInFlight int
	Allocs      uint64 // heap objects allocated during the read
	AllocBytes  uint64
	PeakHeap    uint64 // highest live heap seen during the read
}

// Ratio is Wall over Floor (0 without a floor).
func (r Result) Ratio() float64 {
	if r.Floor <= 0 {
		return 0
	}
	return float64(r.Wall) / float64(r.Floor)
}

// WhatsAppSeed is an account whose business number has n blocked users.
func WhatsAppSeed(n int) sandbox.Seed {
	return sandbox.Seed{Accounts: []sandbox.Account{{
		SID: SID, APIKey: APIKey,
		WhatsAppNumbers: []sandbox.WhatsAppNumber{{PhoneNumber: BusinessWA, APIVersion: "v2", GenerateBlocked: n}},
	}}}
}

// ContactsSeed is an account with an n-row contacts blocklist.
func ContactsSeed(n int) sandbox.Seed {
	return sandbox.Seed{Accounts: []sandbox.Account{{SID: SID, APIKey: APIKey, GenerateBlocklist: n}}}
}

// LookupSeed is an account where every third of n numbers is blocklisted
// (some on several channels), and the n numbers to look up.
func LookupSeed(n int) (sandbox.Seed, []string) {
	mobiles := make([]string, n)
	var entries []sandbox.BlocklistEntry
	channels := [][]string{{"sms"}, {"whatsapp", "voice"}, {"sms", "whatsapp", "voice"}}
	for i := range n {
		mobiles[i] = "+" + strconv.Itoa(lookupPrefix+i)
		if i%3 == 0 {
			for _, ch := range channels[(i/3)%len(channels)] {
				entries = append(entries, sandbox.BlocklistEntry{Mobile: mobiles[i], Channel: ch})
			}
		}
	}
	return sandbox.Seed{Accounts: []sandbox.Account{{SID: SID, APIKey: APIKey, Blocklist: entries}}}, mobiles
}

// NewClient is a client of the sandbox at baseURL with the provider's
// defaults.
func NewClient(baseURL string, maxParallel int) (*kaleyra.Client, error) {
	return kaleyra.New(kaleyra.Config{
		SID: SID, APIKey: APIKey, BaseURL: baseURL, MaxParallel: maxParallel,
		UserAgent: "terraform-provider-kaleyra/bench",
	})
}

// Scenario is one read to measure.
type Scenario struct {
	Name string
	Seed sandbox.Seed
	// Floor is the least time the read can take at a latency.
	Floor func(latency time.Duration) time.Duration
	// Read reads through the provider's code from the sandbox at baseURL and
	// returns how many rows it produced.
	Read func(ctx context.Context, baseURL string) (int, error)
}

// Run measures one read against a new sandbox serving the scenario's seed
// with latency.
func (s Scenario) Run(latency time.Duration) (Result, error) {
	sb, err := sandbox.Start(s.Seed, sandbox.Options{Latency: latency})
	if err != nil {
		return Result{}, err
	}
	defer sb.Close()

	runtime.GC()
	peak := startHeapSampler()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	rows, err := s.Read(context.Background(), sb.URL())
	wall := time.Since(start)
	runtime.ReadMemStats(&after)
	peakHeap := peak()
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", s.Name, err)
	}
	return Result{
		Scenario: s.Name, Rows: rows, Requests: len(sb.Requests()), Latency: latency, Wall: wall,
		Floor: s.Floor(latency), MaxInFlight: sb.MaxInFlight(),
		Allocs: after.Mallocs - before.Mallocs, AllocBytes: after.TotalAlloc - before.TotalAlloc,
		PeakHeap: peakHeap,
	}, nil
}

// startHeapSampler records the heap at every garbage collection until the
// returned function is called, which reports the highest seen: the live
// heap plus what was allocated since the previous collection. It hooks
// each collection with a finalizer rather than polling, so it adds no
// timer wake-ups to the latency being measured.
func startHeapSampler() func() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/goal:bytes"}}
	var (
		mu      sync.Mutex
		peak    uint64
		stopped bool
	)
	record := func() {
		metrics.Read(sample)
		mu.Lock()
		defer mu.Unlock()
		for _, s := range sample {
			if s.Value.Kind() == metrics.KindUint64 {
				peak = max(peak, s.Value.Uint64())
			}
		}
	}
	var arm func()
	arm = func() {
		sentinel := new([16]byte)
		runtime.SetFinalizer(sentinel, func(*[16]byte) {
			mu.Lock()
			done := stopped
			mu.Unlock()
			if !done {
				record()
				arm()
			}
		})
	}
	arm()
	return func() uint64 {
		record()
		mu.Lock()
		stopped = true
		defer mu.Unlock()
		return peak
	}
}
