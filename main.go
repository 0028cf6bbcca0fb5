// Command terraform-provider-kaleyra serves the Kaleyra Terraform provider
// over plugin protocol 6.
package main

import (
	"flag"
	"log"
	"os"
	"runtime/debug"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/provider"
)

// version is set at build time by goreleaser (-X main.version=...).
var version = "dev"

// memoryLimit is the provider's soft memory limit unless GOMEMLIMIT is set.
// Terraform's plugin framework holds a read's state two or three times over
// while it hands it to Terraform (about 64 MB per copy at 100,000
// blocklist rows); without a limit the Go heap grows to about twice that
// live size before it collects, past 300 MB. The limit makes the collector
// work harder near it instead, keeping a 100,000-row read under 200 MB of
// RSS (make bench). It never fails a read: past it, the heap simply grows.
const memoryLimit = 180 << 20

// stopProfiling ends the profiles of a build with -tags pprof (main_pprof.go).
var stopProfiling = func() {}

func main() {
	var debugMode bool
	flag.BoolVar(&debugMode, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(memoryLimit)
	}

	var opts []tf6server.ServeOpt
	if debugMode {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	// The framework's server, with the provider's large-state path: see
	// provider.ProtocolServer.
	server := provider.ProtocolServer(provider.New(version)())
	err := tf6server.Serve("registry.terraform.io/kaleyra/kaleyra", func() tfprotov6.ProviderServer {
		s, err := server()
		if err != nil {
			log.Fatal(err.Error())
		}
		return s
	}, opts...)
	stopProfiling()
	if err != nil {
		log.Fatal(err.Error())
	}
}
