package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The large-state path. DESIGN.md ("Workarounds") says why it exists,
// what it relies on, which tests hold it to that, and when to delete it.
//
// The reads' results are lists of up to 100,000 rows. After a data
// source's Read, terraform-plugin-framework copies the configuration and
// the state, walks every attribute for semantic equality, compares the
// result with the state, and when encoding the response walks the state
// again to turn null list and set blocks into empty ones, converting a
// path for each null value on the way (such as each `contacts[].channel`).
// It encodes an ephemeral resource's result after the same block walk.
// Profiled under the real CLI at 100,000 rows, that was most of the
// provider's time and memory: work whose answer is known, since the state
// is built from the schema by buildState, and the schemas have no list or
// set blocks, no dynamic attributes and no types with semantic equality
// (TestLargeStatePath_* hold both to that).
//
// So the provider is served through protocolServer, which hands each
// ReadDataSource and OpenEphemeralResource call a carrier in its context.
// The read passes its finished value to setState or setResult: with a
// carrier, the value travels in the carrier and the framework sees a null
// state or result; protocolServer then encodes the carried value into the
// response itself. Without a carrier (the plain framework server), the
// value is set normally: slower, the same bytes. Diagnostics, deferrals
// and every other RPC are the framework's.

// frameworkServer is what the framework's protocol 6 server implements:
// the provider server, and the optional servers terraform-plugin-go still
// keeps apart from it (its deprecated ProviderServerWith* interfaces).
// protocolServer embeds all of it, so a type assertion for any of them
// succeeds on the wrapper exactly when it does on the framework's server
// (TestLargeStatePath_wrapperKeepsTheFrameworksInterfaces).
type frameworkServer interface {
	tfprotov6.ProviderServer
	tfprotov6.ListResourceServer
	tfprotov6.ActionServer
	tfprotov6.StateStoreServer
}

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
		server, ok := inner.(frameworkServer)
		if !ok {
			return nil, fmt.Errorf("the framework's protocol server (%T) no longer implements every interface "+
				"internal/provider/server.go's frameworkServer lists: update frameworkServer to what it implements", inner)
		}
		return protocolServer{frameworkServer: server}, nil
	}
}

type protocolServer struct {
	frameworkServer
}

type carrierKey struct{}

// carrier takes one read's finished value past the framework.
type carrier struct {
	value tftypes.Value
	set   bool
}

func (s protocolServer) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	c := &carrier{}
	resp, err := s.frameworkServer.ReadDataSource(context.WithValue(ctx, carrierKey{}, c), req)
	if err != nil || resp == nil || !c.set || hasErrors(resp.Diagnostics) || resp.Deferred != nil {
		return resp, err
	}
	resp.State, resp.Diagnostics = c.encode(resp.Diagnostics, "Data Source State")
	return resp, nil
}

func (s protocolServer) OpenEphemeralResource(ctx context.Context, req *tfprotov6.OpenEphemeralResourceRequest) (*tfprotov6.OpenEphemeralResourceResponse, error) {
	c := &carrier{}
	resp, err := s.frameworkServer.OpenEphemeralResource(context.WithValue(ctx, carrierKey{}, c), req)
	if err != nil || resp == nil || !c.set || hasErrors(resp.Diagnostics) || resp.Deferred != nil {
		return resp, err
	}
	resp.Result, resp.Diagnostics = c.encode(resp.Diagnostics, "Ephemeral Resource Result")
	return resp, nil
}

// encode encodes the carried value for Terraform; a failure is a
// diagnostic, as the framework reports its own.
func (c *carrier) encode(diags []*tfprotov6.Diagnostic, what string) (*tfprotov6.DynamicValue, []*tfprotov6.Diagnostic) {
	value, err := tfprotov6.NewDynamicValue(c.value.Type(), c.value)
	if err != nil {
		return nil, append(diags, &tfprotov6.Diagnostic{
			Severity: tfprotov6.DiagnosticSeverityError,
			Summary:  "Unable to Encode " + what,
			Detail:   "The value could not be encoded for Terraform: " + err.Error() + ". " + reportBug,
		})
	}
	return &value, diags
}

func hasErrors(diags []*tfprotov6.Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return true
		}
	}
	return false
}

// carry hands a finished value to the carrier in ctx, when the provider
// is served by ProtocolServer, and reports whether there was one.
func carry(ctx context.Context, value tftypes.Value) bool {
	c, ok := ctx.Value(carrierKey{}).(*carrier)
	if ok {
		c.value, c.set = value, true
	}
	return ok
}

// setState sets a data source's finished state: through the carrier in
// ctx when there is one (the framework then sees a null state), else on
// state directly.
func setState(ctx context.Context, state *tfsdk.State, value tftypes.Value) {
	if carry(ctx, value) {
		value = tftypes.NewValue(value.Type(), nil)
	}
	state.Raw = value
}

// setResult sets an ephemeral resource's finished result, as setState
// does a state.
func setResult(ctx context.Context, result *tfsdk.EphemeralResultData, value tftypes.Value) {
	if carry(ctx, value) {
		value = tftypes.NewValue(value.Type(), nil)
	}
	result.Raw = value
}
