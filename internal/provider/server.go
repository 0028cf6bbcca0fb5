package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The data sources' results are lists of up to 100,000 rows. After Read,
// terraform-plugin-framework deep-copies the state, compares the copy with
// the original element by element, and walks it again to turn null list
// blocks into empty ones (with a path conversion for every null value,
// such as each `contacts[].channel`). Profiled under the real CLI at
// 100,000 rows, that was most of the provider's time and memory (see the
// README's Performance section): work whose answer is known, since the
// state is built from the schema by buildState, has no blocks to reify,
// and its only semantic-equality types are the lazy lists.
//
// So the provider is served through protocolServer, which hands each
// ReadDataSource call a stateCarrier in its context. A data source passes
// its finished state to setState: with a carrier, the state travels in the
// carrier and the framework sees a null state; protocolServer then encodes
// the carried state into the response itself. Without a carrier (a plain
// framework server), setState sets the state normally: slower, the same
// result. Diagnostics, deferrals and every other RPC are the framework's.

// ProtocolServer returns the factory of the provider's protocol 6 server:
// the framework's server for p, with the large-state path above. main and
// the tests serve the provider through it.
func ProtocolServer(p provider.Provider) func() (tfprotov6.ProviderServer, error) {
	framework := providerserver.NewProtocol6WithError(p)
	return func() (tfprotov6.ProviderServer, error) {
		inner, err := framework()
		if err != nil {
			return nil, err
		}
		return protocolServer{ProviderServer: inner}, nil
	}
}

type protocolServer struct {
	tfprotov6.ProviderServer
}

type stateCarrierKey struct{}

// stateCarrier carries one read's state past the framework.
type stateCarrier struct {
	state tftypes.Value
	set   bool
}

func (s protocolServer) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	carrier := &stateCarrier{}
	resp, err := s.ProviderServer.ReadDataSource(context.WithValue(ctx, stateCarrierKey{}, carrier), req)
	if err != nil || resp == nil || !carrier.set || hasErrors(resp.Diagnostics) || resp.Deferred != nil {
		return resp, err
	}
	state, err := tfprotov6.NewDynamicValue(carrier.state.Type(), carrier.state)
	if err != nil {
		resp.Diagnostics = append(resp.Diagnostics, &tfprotov6.Diagnostic{
			Severity: tfprotov6.DiagnosticSeverityError,
			Summary:  "Unable to Encode Data Source State",
			Detail:   "The state could not be encoded for Terraform: " + err.Error() + ". " + reportBug,
		})
		resp.State = nil
		return resp, nil //nolint:nilerr // reported as a diagnostic, as the framework reports its own
	}
	resp.State = &state
	return resp, nil
}

func hasErrors(diags []*tfprotov6.Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return true
		}
	}
	return false
}

// setState sets a read's finished state: through the carrier in ctx when
// the provider is served by ProtocolServer, else on state directly.
func setState(ctx context.Context, state *tfsdk.State, value tftypes.Value) {
	if carrier, ok := ctx.Value(stateCarrierKey{}).(*stateCarrier); ok {
		carrier.state, carrier.set = value, true
		state.Raw = tftypes.NewValue(value.Type(), nil)
		return
	}
	state.Raw = value
}
