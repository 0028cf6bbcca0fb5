//go:build pprof

package main

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
)

// Built with -tags pprof (for `make profile` only, never released), the
// provider writes a CPU profile and a heap profile of its whole run to
// KALEYRA_PPROF_DIR, one pair per process.
func init() {
	dir := os.Getenv("KALEYRA_PPROF_DIR")
	if dir == "" {
		return
	}
	prefix := filepath.Join(dir, strconv.Itoa(os.Getpid()))
	cpu, err := os.Create(prefix + ".cpu.pprof")
	if err != nil || pprof.StartCPUProfile(cpu) != nil {
		return
	}
	runtime.MemProfileRate = 64 << 10
	stopProfiling = func() {
		pprof.StopCPUProfile()
		_ = cpu.Close()
		if heap, err := os.Create(prefix + ".allocs.pprof"); err == nil {
			_ = pprof.Lookup("allocs").WriteTo(heap, 0)
			_ = heap.Close()
		}
	}
}
