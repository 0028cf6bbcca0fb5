// Package testutil is the one home of the helpers shared by the provider's
// tests (internal/provider), the benchmarks (internal/benchmark) and the
// demo script: every test that needs one of these starts here.
//
//   - devprovider.go: build the provider binary and write the Terraform CLI
//     configuration whose dev_overrides install it (tests, benchmarks and
//     `make demo` through cmd/dev-provider).
//   - protocol.go: drive a provider server over protocol 6 as Terraform
//     does: configure it, encode configurations, read a data source, decode
//     a state attribute, render diagnostics.
//   - hcl.go: write HCL (provider blocks, string lists).
//
// It imports neither internal/provider nor internal/kaleyra, so the
// provider package's own tests can use it; it does not import testing, so
// the benchmark command can too (helpers return errors, callers fail).
package testutil
