package provider

import (
	"context"
	"sync"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// tflogLogger adapts the client's logger to tflog, so the client stays free
// of Terraform imports. The context carries the masks set up by
// maskSecrets.
//
// The client logs from several goroutines at once (contacts batches), and
// tflog's masking rewrites the context's shared field map in place
// (hashicorp/terraform-plugin-log#246): unserialised, that is a data race
// and can crash the provider with "concurrent map writes".
type tflogLogger struct{}

var tflogMu sync.Mutex

func (tflogLogger) Debug(ctx context.Context, msg string, fields map[string]any) {
	tflogMu.Lock()
	defer tflogMu.Unlock()
	tflog.Debug(ctx, msg, fields)
}

func (tflogLogger) Info(ctx context.Context, msg string, fields map[string]any) {
	tflogMu.Lock()
	defer tflogMu.Unlock()
	tflog.Info(ctx, msg, fields)
}

func (tflogLogger) Warn(ctx context.Context, msg string, fields map[string]any) {
	tflogMu.Lock()
	defer tflogMu.Unlock()
	tflog.Warn(ctx, msg, fields)
}
