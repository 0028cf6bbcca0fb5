// Command minimal-provider is the yardstick of the end-to-end benchmark: the
// least a provider must do to serve kaleyra_contacts_blocklisted's whole
// list. It speaks protocol 6 with terraform-plugin-go alone (no framework,
// no validation, no retries), pages the sandbox one page after another with
// net/http, and builds the same state as the real provider. `make bench`
// builds it as terraform-provider-kaleyra in a directory of its own and
// runs the same `terraform apply` against both, side by side.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

const typeName = "kaleyra_contacts_blocklisted"

func main() {
	if err := tf6server.Serve("registry.terraform.io/kaleyra/kaleyra", func() tfprotov6.ProviderServer { return &server{} }); err != nil {
		panic(err)
	}
}

// server implements the RPCs Terraform calls to read one data source; the
// embedded interface is nil, so any other RPC would fail loudly.
type server struct {
	tfprotov6.ProviderServer
	sid, apiKey, baseURL string
}

var (
	str        = tftypes.String
	contactObj = tftypes.Object{AttributeTypes: map[string]tftypes.Type{"mobile": str, "channel_type": str, "channel": str}}
	stateType  = tftypes.Object{AttributeTypes: map[string]tftypes.Type{
		"channel": str, "mobiles": tftypes.List{ElementType: str}, "page_size": tftypes.Number, "id": str,
		"contacts": tftypes.List{ElementType: contactObj}, "blocklisted_mobiles": tftypes.List{ElementType: str},
		"blocked": tftypes.Map{ElementType: tftypes.Bool}, "total": tftypes.Number,
		"timeouts": tftypes.Object{AttributeTypes: map[string]tftypes.Type{"read": str}},
	}}
	providerType = tftypes.Object{AttributeTypes: map[string]tftypes.Type{"sid": str, "api_key": str, "base_url": str}}
)

func attr(name string, typ tftypes.Type, optional, computed bool) *tfprotov6.SchemaAttribute {
	return &tfprotov6.SchemaAttribute{Name: name, Type: typ, Optional: optional, Computed: computed}
}

func schemas() *tfprotov6.GetProviderSchemaResponse {
	contacts := &tfprotov6.SchemaAttribute{Name: "contacts", Computed: true, NestedType: &tfprotov6.SchemaObject{
		Nesting: tfprotov6.SchemaObjectNestingModeList,
		Attributes: []*tfprotov6.SchemaAttribute{
			attr("channel", str, false, true), attr("channel_type", str, false, true), attr("mobile", str, false, true),
		},
	}}
	return &tfprotov6.GetProviderSchemaResponse{
		Provider: &tfprotov6.Schema{Block: &tfprotov6.SchemaBlock{Attributes: []*tfprotov6.SchemaAttribute{
			attr("api_key", str, true, false), attr("base_url", str, true, false), attr("sid", str, true, false),
		}}},
		DataSourceSchemas: map[string]*tfprotov6.Schema{typeName: {Block: &tfprotov6.SchemaBlock{
			Attributes: []*tfprotov6.SchemaAttribute{
				attr("blocked", tftypes.Map{ElementType: tftypes.Bool}, false, true),
				attr("blocklisted_mobiles", tftypes.List{ElementType: str}, false, true),
				attr("channel", str, true, false),
				contacts,
				attr("id", str, false, true),
				attr("mobiles", tftypes.List{ElementType: str}, true, false),
				attr("page_size", tftypes.Number, true, true),
				attr("total", tftypes.Number, false, true),
			},
			BlockTypes: []*tfprotov6.SchemaNestedBlock{{TypeName: "timeouts", Nesting: tfprotov6.SchemaNestedBlockNestingModeSingle,
				Block: &tfprotov6.SchemaBlock{Attributes: []*tfprotov6.SchemaAttribute{attr("read", str, true, false)}}}},
		}}},
		ResourceSchemas: map[string]*tfprotov6.Schema{},
	}
}

func (s *server) GetMetadata(context.Context, *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	return &tfprotov6.GetMetadataResponse{DataSources: []tfprotov6.DataSourceMetadata{{TypeName: typeName}}}, nil
}

func (s *server) GetProviderSchema(context.Context, *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	return schemas(), nil
}

func (s *server) GetResourceIdentitySchemas(context.Context, *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov6.GetResourceIdentitySchemasResponse{}, nil
}

func (s *server) ValidateProviderConfig(_ context.Context, req *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	return &tfprotov6.ValidateProviderConfigResponse{PreparedConfig: req.Config}, nil
}

func (s *server) ValidateDataResourceConfig(context.Context, *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return &tfprotov6.ValidateDataResourceConfigResponse{}, nil
}

func (s *server) StopProvider(context.Context, *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	return &tfprotov6.StopProviderResponse{}, nil
}

func (s *server) ConfigureProvider(_ context.Context, req *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	v, err := req.Config.Unmarshal(providerType)
	if err != nil {
		return nil, err
	}
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		return nil, err
	}
	for name, dst := range map[string]*string{"sid": &s.sid, "api_key": &s.apiKey, "base_url": &s.baseURL} {
		if err := attrs[name].As(dst); err != nil {
			return nil, err
		}
	}
	return &tfprotov6.ConfigureProviderResponse{}, nil
}

type row struct {
	Mobile      string `json:"mobile"`
	ChannelType string `json:"channel_type"`
}

// readAll pages the whole blocklist sequentially, 100 rows a page.
func (s *server) readAll(ctx context.Context) ([]row, error) {
	var rows []row
	for offset := 0; ; offset += 100 {
		u := s.baseURL + "/v1/" + url.PathEscape(s.sid) + "/contacts/blocklisted?" + url.Values{
			"limit": {"100"}, "offset": {strconv.Itoa(offset)},
		}.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("api-key", s.apiKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		var page struct {
			Data []row `json:"data"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		_ = resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("page at %d: HTTP %d: %w", offset, resp.StatusCode, err)
		}
		rows = append(rows, page.Data...)
		if len(page.Data) < 100 {
			return rows, nil
		}
	}
}

func (s *server) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	rows, err := s.readAll(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(strings.Compare(a.Mobile, b.Mobile), strings.Compare(a.ChannelType, b.ChannelType))
	})
	rows = slices.Compact(rows)
	null := tftypes.NewValue(str, nil)
	objs := make([]tftypes.Value, len(rows))
	var nums []tftypes.Value
	for i, r := range rows {
		channel := null
		if r.ChannelType == "3" {
			channel = tftypes.NewValue(str, "whatsapp")
		}
		m := tftypes.NewValue(str, r.Mobile)
		objs[i] = tftypes.NewValue(contactObj, map[string]tftypes.Value{"mobile": m, "channel_type": tftypes.NewValue(str, r.ChannelType), "channel": channel})
		if i == 0 || rows[i-1].Mobile != r.Mobile {
			nums = append(nums, m)
		}
	}
	state := tftypes.NewValue(stateType, map[string]tftypes.Value{
		"channel": null, "mobiles": tftypes.NewValue(tftypes.List{ElementType: str}, nil),
		"page_size": tftypes.NewValue(tftypes.Number, 100), "id": tftypes.NewValue(str, "whole-list"),
		"contacts":            tftypes.NewValue(tftypes.List{ElementType: contactObj}, objs),
		"blocklisted_mobiles": tftypes.NewValue(tftypes.List{ElementType: str}, nums),
		"blocked":             tftypes.NewValue(tftypes.Map{ElementType: tftypes.Bool}, nil),
		"total":               tftypes.NewValue(tftypes.Number, len(rows)),
		"timeouts":            tftypes.NewValue(stateType.AttributeTypes["timeouts"], nil),
	})
	dv, err := tfprotov6.NewDynamicValue(stateType, state)
	if err != nil {
		return nil, err
	}
	return &tfprotov6.ReadDataSourceResponse{State: &dv}, nil
}
