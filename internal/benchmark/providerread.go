package benchmark

import (
	"context"
	"fmt"
	"math/big"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"golang.org/x/sync/errgroup"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/provider"
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

func configured(ctx context.Context, baseURL string) (tfprotov6.ProviderServer, *tfprotov6.GetProviderSchemaResponse, error) {
	srv, err := provider.ProtocolServer(provider.New("bench")())()
	if err != nil {
		return nil, nil, err
	}
	schemas, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		return nil, nil, err
	}
	if err := diagsErr(schemas.Diagnostics); err != nil {
		return nil, nil, err
	}
	provCfg, err := dynamicValue(schemas.Provider.ValueType(), map[string]tftypes.Value{
		"sid":      tftypes.NewValue(tftypes.String, SID),
		"api_key":  tftypes.NewValue(tftypes.String, APIKey),
		"base_url": tftypes.NewValue(tftypes.String, baseURL),
	})
	if err != nil {
		return nil, nil, err
	}
	conf, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "bench", Config: &provCfg})
	if err != nil {
		return nil, nil, err
	}
	return srv, schemas, diagsErr(conf.Diagnostics)
}

func readDataSource(ctx context.Context, srv tfprotov6.ProviderServer, schemas *tfprotov6.GetProviderSchemaResponse, typeName string, attrs map[string]tftypes.Value) (*tfprotov6.DynamicValue, tftypes.Type, error) {
	dsSchema, ok := schemas.DataSourceSchemas[typeName]
	if !ok {
		return nil, nil, fmt.Errorf("no data source %s", typeName)
	}
	dsType := dsSchema.ValueType()
	dsCfg, err := dynamicValue(dsType, attrs)
	if err != nil {
		return nil, nil, err
	}
	read, err := srv.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: typeName, Config: &dsCfg})
	if err != nil {
		return nil, nil, err
	}
	if err := diagsErr(read.Diagnostics); err != nil {
		return nil, nil, err
	}
	return read.State, dsType, nil
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
	var total big.Float
	if err := obj["total"].As(&total); err != nil {
		return 0, err
	}
	n, _ := total.Int64()
	return int(n), nil
}

// dynamicValue encodes an object of typ with attrs set and every other
// attribute null.
func dynamicValue(typ tftypes.Type, attrs map[string]tftypes.Value) (tfprotov6.DynamicValue, error) {
	obj, ok := typ.(tftypes.Object)
	if !ok {
		return tfprotov6.DynamicValue{}, fmt.Errorf("schema type %s is not an object", typ)
	}
	vals := make(map[string]tftypes.Value, len(obj.AttributeTypes))
	for name, t := range obj.AttributeTypes {
		if v, ok := attrs[name]; ok {
			vals[name] = v
		} else {
			vals[name] = tftypes.NewValue(t, nil)
		}
	}
	return tfprotov6.NewDynamicValue(obj, tftypes.NewValue(obj, vals))
}

func diagsErr(diags []*tfprotov6.Diagnostic) error {
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return fmt.Errorf("%s: %s", d.Summary, d.Detail)
		}
	}
	return nil
}
