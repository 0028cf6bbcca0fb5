package testutil

import (
	"errors"
	"os/exec"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

// TB is the part of testing.TB these helpers need, so that the package
// does not import testing.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// StartSandbox serves seed on loopback for the test's lifetime.
func StartSandbox(t TB, seed sandbox.Seed, opts sandbox.Options) *sandbox.Server {
	t.Helper()
	s, err := sandbox.Start(seed, opts)
	if err != nil {
		t.Fatalf("starting the sandbox: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// ExitCode is the exit code of a command that ran (0 when err is nil);
// an err that is not an exit status (the command could not start) is
// returned as it is.
func ExitCode(err error) (int, error) {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit):
		return exit.ExitCode(), nil
	}
	return 0, err
}
