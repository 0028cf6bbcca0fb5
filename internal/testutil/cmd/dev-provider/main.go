// Command dev-provider builds the provider into a directory and writes a
// Terraform CLI configuration beside it whose dev_overrides install it. It
// prints the configuration's path, for TF_CLI_CONFIG_FILE. `make demo` uses
// it; the tests and benchmarks call the same testutil functions.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/testutil"
)

func main() {
	dir := flag.String("dir", "", "directory for the provider binary and the CLI configuration (required)")
	version := flag.String("version", "dev", "the provider version to build in")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "dev-provider: -dir is required")
		os.Exit(2)
	}
	root, err := testutil.ModuleRoot()
	if err == nil {
		err = testutil.BuildProvider(context.Background(), root, *dir, ".", "-X main.version="+*version)
	}
	cliConfig := filepath.Join(*dir, "terraformrc")
	if err == nil {
		err = testutil.WriteCLIConfig(cliConfig, *dir, "")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dev-provider:", err)
		os.Exit(1)
	}
	fmt.Println(cliConfig)
}
