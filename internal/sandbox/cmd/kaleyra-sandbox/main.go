// Command kaleyra-sandbox serves the Kaleyra sandbox (a strict fake of the
// WhatsApp blocked-users and Contacts blocklist APIs) on a loopback address,
// for demos, benchmarks and CI.
//
//	kaleyra-sandbox [-addr 127.0.0.1:8787] [-seed FILE] [-latency 10ms]
//	                [-paging-next] [-ragged] [-url-file FILE] [-faults FILE]
//	kaleyra-sandbox -version
//
// It prints "kaleyra-sandbox listening on http://HOST:PORT" to stdout once it
// accepts connections, then how to point the provider at it (the seed's
// SIDs; the demo seed's API key, a seed file's stay in the file) and the
// admin endpoints; it logs each API request (method, path, status, code,
// duration; never the api-key) to stderr, and exits 0 on SIGINT or SIGTERM.
// -help says the same before the flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

// version is the provider release the sandbox ships with, set by
// goreleaser (-X main.version); "dev" in a local build.
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run serves until ctx is done and returns the exit code: 0 after a
// graceful shutdown, 2 for bad usage, 1 for any other failure.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kaleyra-sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText())
		fs.PrintDefaults()
	}
	addr := fs.String("addr", "127.0.0.1:8787", "listen address; the host must be loopback (127.0.0.1, ::1 or localhost); port 0 picks a free one")
	seedPath := fs.String("seed", "", "seed JSON `file` (default: the embedded demo seed)")
	latency := fs.Duration("latency", 0, "latency added to every API response, e.g. 10ms")
	pagingNext := fs.Bool("paging-next", false, "WhatsApp pages with more rows carry paging.next")
	ragged := fs.Bool("ragged", false, "WhatsApp middle pages are shorter than limit")
	urlFile := fs.String("url-file", "", "write the base URL to this `file` once listening")
	faultsPath := fs.String("faults", "", "install the faults in this JSON `file` (an array of faults)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *showVersion {
		fmt.Fprintf(stdout, "kaleyra-sandbox %s\n", version)
		return 0
	}
	logger := log.New(stderr, "kaleyra-sandbox: ", log.LstdFlags|log.Lmicroseconds)
	if fs.NArg() > 0 {
		logger.Printf("unexpected arguments %q", fs.Args())
		return 2
	}
	if err := checkLoopback(*addr); err != nil {
		logger.Print(err)
		return 2
	}

	seed := sandbox.DefaultSeed()
	if *seedPath != "" {
		var err error
		if seed, err = sandbox.LoadSeed(*seedPath); err != nil {
			logger.Print(err)
			return 1
		}
	}
	var faults []sandbox.Fault
	if *faultsPath != "" {
		data, err := os.ReadFile(*faultsPath)
		if err == nil {
			faults, err = sandbox.ParseFaults(data)
		}
		if err != nil {
			logger.Printf("faults %s: %v", *faultsPath, err)
			return 1
		}
	}
	srv, err := sandbox.New(seed, sandbox.Options{
		Latency:     *latency,
		PagingNext:  *pagingNext,
		RaggedPages: *ragged,
		OnRequest: func(r sandbox.Request) {
			code := r.Code
			if code == "" {
				code = "-"
			}
			logger.Printf("%s %s %d %s %s", r.Method, r.Path, r.Status, code, time.Since(r.Time).Round(time.Microsecond))
		},
	})
	if err != nil {
		logger.Print(err)
		return 1
	}
	defer srv.Close()
	for _, f := range faults {
		srv.AddFault(f)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		logger.Print(err)
		return 1
	}
	baseURL := "http://" + ln.Addr().String()
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          logger,
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	if *urlFile != "" {
		if err := writeFileAtomic(*urlFile, baseURL+"\n"); err != nil {
			logger.Printf("url file: %v", err)
			hs.Close()
			return 1
		}
	}
	fmt.Fprintf(stdout, "kaleyra-sandbox listening on %s\n%s", baseURL, startText(baseURL, seed, *seedPath))

	select {
	case <-ctx.Done():
	case err := <-served:
		logger.Printf("serve: %v", err)
		return 1
	}
	// Release requests sleeping on latency or a fault's delay, then let the
	// others finish.
	srv.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		logger.Printf("shutdown: %v", err)
		hs.Close()
	}
	logger.Print("stopped")
	return 0
}

// The embedded demo seed's account (internal/sandbox/default-seed.json).
const (
	demoSID    = "HXDEMO00000000IN"
	demoAPIKey = "sandbox-demo-key"
)

// usageText is -help's text before the flags: what the sandbox is, how to
// authenticate and the admin endpoints.
func usageText() string {
	var b strings.Builder
	b.WriteString(`Usage: kaleyra-sandbox [flags]

Serves a strict fake of Kaleyra's WhatsApp blocked-users and Contacts
blocklist APIs on a loopback address, for demos, tests and CI.

Authenticate as an account of the seed. The embedded demo seed's account has
SID ` + demoSID + ` and API key ` + demoAPIKey + `; a -seed file names its
accounts' sid and api_key. Point the Kaleyra provider at the sandbox with:

  export KALEYRA_BASE_URL=http://127.0.0.1:8787
  export KALEYRA_SID=` + demoSID + `
  export KALEYRA_API_KEY=` + demoAPIKey + `

`)
	b.WriteString(adminText(""))
	b.WriteString("\nFlags:\n")
	return b.String()
}

// startText follows the listening line: the environment that points the
// provider at the sandbox, with the seed's accounts, and the admin
// endpoints. A seed file's API keys are not printed: they stay in the file.
func startText(baseURL string, seed sandbox.Seed, seedPath string) string {
	var b strings.Builder
	sids := make([]string, 0, len(seed.Accounts))
	for _, a := range seed.Accounts {
		sids = append(sids, a.SID)
	}
	switch {
	case seedPath == "" && len(sids) == 1 && sids[0] == demoSID:
		fmt.Fprintf(&b, "Point the Kaleyra provider at it, as the embedded demo seed's account:\n"+
			"  export KALEYRA_BASE_URL=%s KALEYRA_SID=%s KALEYRA_API_KEY=%s\n", baseURL, demoSID, demoAPIKey)
	case len(sids) > 0:
		fmt.Fprintf(&b, "Point the Kaleyra provider at it, as an account of %s (its api_key is in the file):\n"+
			"  export KALEYRA_BASE_URL=%s KALEYRA_SID=%s KALEYRA_API_KEY=...\n", seedPath, baseURL, sids[0])
		if len(sids) > 1 {
			fmt.Fprintf(&b, "  the seed's other accounts: %s\n", strings.Join(sids[1:], ", "))
		}
	default:
		fmt.Fprintf(&b, "The seed %s has no account: every API request answers RBC001.\n", seedPath)
	}
	b.WriteString(adminText(baseURL))
	return b.String()
}

// adminText lists the admin endpoints, under baseURL ("" for paths).
func adminText(baseURL string) string {
	var b strings.Builder
	b.WriteString("Admin endpoints (loopback clients only, no API key):\n")
	width := 0
	for _, e := range sandbox.AdminEndpoints {
		width = max(width, len(baseURL+e.Path))
	}
	for _, e := range sandbox.AdminEndpoints {
		fmt.Fprintf(&b, "  %-6s %-*s  %s\n", e.Method, width, baseURL+e.Path, e.Does)
	}
	return b.String()
}

// checkLoopback refuses a listen address whose host is not loopback: the
// sandbox's admin endpoints have no authentication and its API keys are
// public.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("-addr %q: refusing to listen on non-loopback host %q; use 127.0.0.1, ::1 or localhost", addr, host)
}

// writeFileAtomic writes content so that a script polling for the file never
// reads it half written.
func writeFileAtomic(path, content string) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if _, err = tmp.WriteString(content); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
