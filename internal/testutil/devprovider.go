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
// TF_CLI_CONFIG_FILE at it; plan and apply need no `terraform init`. With
// mirror set (see MirrorProvider), `init`, which ignores dev_overrides (and
// which `terraform test` needs), installs the same build from that
// filesystem mirror, offline.
func WriteCLIConfig(path, pluginDir, mirror string) error {
	var mirrorBlocks string
	if mirror != "" {
		sources := `["registry.terraform.io/kaleyra/kaleyra", "registry.opentofu.org/kaleyra/kaleyra"]`
		mirrorBlocks = fmt.Sprintf(`  filesystem_mirror {
    path    = %q
    include = %s
  }
  direct {
    exclude = %s
  }
`, filepath.ToSlash(mirror), sources, sources)
	} else {
		mirrorBlocks = "  direct {}\n"
	}
	return os.WriteFile(path, fmt.Appendf(nil, `provider_installation {
  dev_overrides {
    "kaleyra/kaleyra" = %q
  }
%s}
`, filepath.ToSlash(pluginDir), mirrorBlocks), 0o600)
}

// WriteMirrorCLIConfig writes a CLI configuration at path that installs
// kaleyra/kaleyra from the filesystem mirror at mirror (see MirrorProvider)
// and nothing else from there, with no dev_overrides: `terraform init`
// installs the build as a user's init installs a release, checking the
// configuration's version constraints, offline.
func WriteMirrorCLIConfig(path, mirror string) error {
	sources := `["registry.terraform.io/kaleyra/kaleyra", "registry.opentofu.org/kaleyra/kaleyra"]`
	return os.WriteFile(path, fmt.Appendf(nil, `provider_installation {
  filesystem_mirror {
    path    = %q
    include = %s
  }
  direct {
    exclude = %s
  }
}
`, filepath.ToSlash(mirror), sources, sources), 0o600)
}

// MirrorProvider lays the provider binary in pluginDir out as version of
// kaleyra/kaleyra in a filesystem mirror at mirror, under both Terraform's
// and OpenTofu's registry hosts (hard links, no copies).
func MirrorProvider(pluginDir, mirror, version string) error {
	for _, host := range []string{"registry.terraform.io", "registry.opentofu.org"} {
		dir := filepath.Join(mirror, host, "kaleyra", "kaleyra", version, runtime.GOOS+"_"+runtime.GOARCH)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.Link(filepath.Join(pluginDir, ProviderBinary()), filepath.Join(dir, ProviderBinary())); err != nil {
			return err
		}
	}
	return nil
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
