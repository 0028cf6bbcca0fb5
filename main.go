// Command terraform-provider-kaleyra serves the Kaleyra Terraform provider
// over plugin protocol 6.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"runtime/debug"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

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

func main() {
	var debugMode bool
	flag.BoolVar(&debugMode, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(memoryLimit)
	}

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/kaleyra/kaleyra",
		Debug:   debugMode,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
