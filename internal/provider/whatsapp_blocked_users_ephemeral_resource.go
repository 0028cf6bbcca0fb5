package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/ephemeral/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
)

var (
	_ ephemeral.EphemeralResource              = (*whatsappBlockedUsersEphemeralResource)(nil)
	_ ephemeral.EphemeralResourceWithConfigure = (*whatsappBlockedUsersEphemeralResource)(nil)
)

// NewWhatsappBlockedUsersEphemeralResource returns the
// kaleyra_whatsapp_blocked_users ephemeral resource.
func NewWhatsappBlockedUsersEphemeralResource() ephemeral.EphemeralResource {
	return &whatsappBlockedUsersEphemeralResource{}
}

// whatsappBlockedUsersEphemeralResource reads the blocked users without
// them ever reaching state or plan files; its schema and read are the data
// source's (whatsapp_blocked_users.go).
type whatsappBlockedUsersEphemeralResource struct {
	data *providerData
}

func (r *whatsappBlockedUsersEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_whatsapp_blocked_users"
}

func (r *whatsappBlockedUsersEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema, resp.Diagnostics = ephemeralSchema(whatsappBlockedUsersSchema(),
		"Reads every WhatsApp user that a business number has blocked, as the `kaleyra_whatsapp_blocked_users` "+
			"data source does, with the same arguments, results, validation and read, but as an ephemeral resource: "+
			"Terraform never writes its result to state or plan files. "+ephemeralAbout+whatsappBlockedUsersAbout)
}

func (r *whatsappBlockedUsersEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	r.data = configureData(req.ProviderData, ephemeralResourceKind, &resp.Diagnostics)
}

func (r *whatsappBlockedUsersEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var model whatsappBlockedUsersModel[timeouts.Value]
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() || !requireConfigured(r.data, ephemeralResourceKind, &resp.Diagnostics) {
		return
	}
	values, ok := readWhatsAppBlockedUsers(ctx, r.data, ephemeralResourceKind, model, &resp.Diagnostics)
	if ok {
		resp.Diagnostics.Append(setLargeResult(ctx, &resp.Result, "users", values)...)
	}
}
