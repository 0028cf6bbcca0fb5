package testutil

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// ProviderBinary is the provider's binary name on this platform.
func ProviderBinary() string {
	if runtime.GOOS == "windows" {
		return "terraform-provider-kaleyra.exe"
	}
	return "terraform-provider-kaleyra"
}

// BuildProvider builds the Go package pkg (relative to the module root,
// "." for the provider) into pluginDir as the provider binary, with extra
// -ldflags (such as "-X main.version=demo") if given.
func BuildProvider(ctx context.Context, moduleRoot, pluginDir, pkg, ldflags string) error {
	args := []string{"build", "-trimpath", "-ldflags", "-s -w " + ldflags, "-o", filepath.Join(pluginDir, ProviderBinary()), pkg}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = moduleRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
	}
	return nil
}

// WriteCLIConfig writes a Terraform (or OpenTofu) CLI configuration at path
// whose dev_overrides install kaleyra/kaleyra from pluginDir: point
// TF_CLI_CONFIG_FILE at it; no `terraform init` is needed.
func WriteCLIConfig(path, pluginDir string) error {
	return os.WriteFile(path, fmt.Appendf(nil, `provider_installation {
  dev_overrides {
    "kaleyra/kaleyra" = %q
  }
  direct {}
}
`, filepath.ToSlash(pluginDir)), 0o600)
}

// ModuleRoot is the directory of the provider's go.mod, found from the
// current directory.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := string(out)
	for len(mod) > 0 && (mod[len(mod)-1] == '\n' || mod[len(mod)-1] == '\r') {
		mod = mod[:len(mod)-1]
	}
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the provider's Go module")
	}
	return filepath.Dir(mod), nil
}
