// Command terraform-provider-kaleyra serves the Kaleyra Terraform provider
// over plugin protocol 6.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/provider"
)

// version is set at build time by goreleaser (-X main.version=...).
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/kaleyra/kaleyra",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
