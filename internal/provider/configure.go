package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// configureData takes the provider's data for a data source. It is nil
// before the provider is configured (Terraform validates data sources
// first), which is not an error.
func configureData(providerDataAny any, diags *diag.Diagnostics) *providerData {
	if providerDataAny == nil {
		return nil
	}
	data, ok := providerDataAny.(*providerData)
	if !ok {
		diags.AddError("Unexpected Data Source Configure Type",
			fmt.Sprintf("Expected *provider.providerData, got %T. Please report this issue to the provider developers.", providerDataAny))
		return nil
	}
	return data
}

// requireConfigured reports a read attempted without a configured provider.
func requireConfigured(data *providerData, diags *diag.Diagnostics) bool {
	if data == nil {
		diags.AddError("Kaleyra Provider Not Configured",
			"The data source was read before the provider was configured. This is a bug in the provider "+
				"or in Terraform; please report it.")
		return false
	}
	return true
}
