// Package scripts holds no code: its tests run the repository's shell
// scripts as a user runs them (demo_test.go: make demo) and check that the
// CI configuration under .github/ tests what the scripts and the
// GNUmakefile pin (ci_test.go).
package scripts
