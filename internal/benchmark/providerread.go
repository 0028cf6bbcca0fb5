package benchmark

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"golang.org/x/sync/errgroup"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/provider"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/testutil"
)

// ProviderRead configures the provider for the sandbox at baseURL and reads
// one data source with attrs (other attributes null) over protocol 6, as
// Terraform would. It returns the encoded state and its type, undecoded:
// decoding is Terraform's work, not the provider's (see StateTotal).
func ProviderRead(ctx context.Context, baseURL, typeName string, attrs map[string]tftypes.Value) (*tfprotov6.DynamicValue, tftypes.Type, error) {
	srv, schemas, err := configured(ctx, baseURL)
	if err != nil {
		return nil, nil, err
	}
	return readDataSource(ctx, srv, schemas, typeName, attrs)
}

// ProviderReads configures the provider once and reads the same data
// source copies times at once, as Terraform reads identical data sources
// of one configuration.
func ProviderReads(ctx context.Context, baseURL, typeName string, attrs map[string]tftypes.Value, copies int) error {
	srv, schemas, err := configured(ctx, baseURL)
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	for range copies {
		g.Go(func() error {
			_, _, err := readDataSource(ctx, srv, schemas, typeName, attrs)
			return err
		})
	}
	return g.Wait()
}

// ProviderOpen configures the provider for the sandbox at baseURL and opens
// one ephemeral resource with attrs (other attributes null) over protocol
// 6, as Terraform would, through ProtocolServer or, with framework, the
// plain framework server (without the large-state path). It returns the
// encoded result and its type, undecoded.
func ProviderOpen(ctx context.Context, baseURL, typeName string, attrs map[string]tftypes.Value, framework bool) (*tfprotov6.DynamicValue, tftypes.Type, error) {
	factory := provider.ProtocolServer(provider.New("bench")())
	if framework {
		factory = providerserver.NewProtocol6WithError(provider.New("bench")())
	}
	srv, schemas, err := configuredWith(ctx, factory, baseURL)
	if err != nil {
		return nil, nil, err
	}
	typ := schemas.EphemeralResourceSchemas[typeName].ValueType()
	config, err := testutil.DynamicValue(typ, attrs)
	if err != nil {
		return nil, nil, err
	}
	open, err := srv.OpenEphemeralResource(ctx, &tfprotov6.OpenEphemeralResourceRequest{TypeName: typeName, Config: config})
	if err != nil {
		return nil, nil, err
	}
	if err := testutil.DiagnosticsError(open.Diagnostics); err != nil {
		return nil, nil, err
	}
	return open.Result, typ, nil
}

func configured(ctx context.Context, baseURL string) (tfprotov6.ProviderServer, *tfprotov6.GetProviderSchemaResponse, error) {
	return configuredWith(ctx, provider.ProtocolServer(provider.New("bench")()), baseURL)
}

func configuredWith(ctx context.Context, factory func() (tfprotov6.ProviderServer, error), baseURL string) (tfprotov6.ProviderServer, *tfprotov6.GetProviderSchemaResponse, error) {
	srv, err := factory()
	if err != nil {
		return nil, nil, err
	}
	schemas, err := testutil.Configure(ctx, srv, map[string]tftypes.Value{
		"sid":      tftypes.NewValue(tftypes.String, SID),
		"api_key":  tftypes.NewValue(tftypes.String, APIKey),
		"base_url": tftypes.NewValue(tftypes.String, baseURL),
	})
	return srv, schemas, err
}

func readDataSource(ctx context.Context, srv tfprotov6.ProviderServer, schemas *tfprotov6.GetProviderSchemaResponse, typeName string, attrs map[string]tftypes.Value) (*tfprotov6.DynamicValue, tftypes.Type, error) {
	read, err := testutil.ReadDataSource(ctx, srv, schemas, typeName, attrs)
	if err != nil {
		return nil, nil, err
	}
	if err := testutil.DiagnosticsError(read.Diagnostics); err != nil {
		return nil, nil, err
	}
	return read.State, schemas.DataSourceSchemas[typeName].ValueType(), nil
}

// StateTotal decodes a data source state and returns its total.
func StateTotal(state *tfprotov6.DynamicValue, typ tftypes.Type) (int, error) {
	decoded, err := state.Unmarshal(typ)
	if err != nil {
		return 0, err
	}
	var obj map[string]tftypes.Value
	if err := decoded.As(&obj); err != nil {
		return 0, err
	}
	n, err := testutil.Int64(obj["total"])
	return int(n), err
}
