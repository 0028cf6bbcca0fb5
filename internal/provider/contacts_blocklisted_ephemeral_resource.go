package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/ephemeral/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
)

var (
	_ ephemeral.EphemeralResource              = (*contactsBlocklistedEphemeralResource)(nil)
	_ ephemeral.EphemeralResourceWithConfigure = (*contactsBlocklistedEphemeralResource)(nil)
)

// NewContactsBlocklistedEphemeralResource returns the
// kaleyra_contacts_blocklisted ephemeral resource.
func NewContactsBlocklistedEphemeralResource() ephemeral.EphemeralResource {
	return &contactsBlocklistedEphemeralResource{}
}

// contactsBlocklistedEphemeralResource reads the blocklist without it ever
// reaching state or plan files; its schema and read are the data source's
// (contacts_blocklisted.go).
type contactsBlocklistedEphemeralResource struct {
	data *providerData
}

func (r *contactsBlocklistedEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_contacts_blocklisted"
}

func (r *contactsBlocklistedEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema, resp.Diagnostics = ephemeralSchema(contactsBlocklistedSchema(),
		"Reads Kaleyra's contacts blocklist as the `kaleyra_contacts_blocklisted` data source does, with the same "+
			"arguments, results, validation and read, but as an ephemeral resource: Terraform never writes its "+
			"result to state or plan files. "+ephemeralAbout+contactsBlocklistedAbout)
}

func (r *contactsBlocklistedEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	r.data = configureData(req.ProviderData, ephemeralResourceKind, &resp.Diagnostics)
}

func (r *contactsBlocklistedEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var model contactsBlocklistedModel[timeouts.Value]
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() || !requireConfigured(r.data, ephemeralResourceKind, &resp.Diagnostics) {
		return
	}
	values, ok := readContactsBlocklisted(ctx, r.data, ephemeralResourceKind, model, &resp.Diagnostics)
	if ok {
		resp.Diagnostics.Append(setLargeResult(ctx, &resp.Result, "contacts", values)...)
	}
}
