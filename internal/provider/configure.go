package provider

import (
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// configureData takes the provider's data for a data source or an
// ephemeral resource. It is nil before the provider is configured
// (Terraform validates configurations first), which is not an error.
func configureData(providerDataAny any, kind readKind, diags *diag.Diagnostics) *providerData {
	if providerDataAny == nil {
		return nil
	}
	data, ok := providerDataAny.(*providerData)
	if !ok {
		diags.AddError("Unexpected "+titleCase(string(kind))+" Configure Type",
			fmt.Sprintf("Expected *provider.providerData, got %T. Please report this issue to the provider developers.", providerDataAny))
		return nil
	}
	return data
}

// requireConfigured reports a read attempted without a configured provider.
func requireConfigured(data *providerData, kind readKind, diags *diag.Diagnostics) bool {
	if data == nil {
		diags.AddError("Kaleyra Provider Not Configured",
			"The "+string(kind)+" was read before the provider was configured. This is a bug in the provider "+
				"or in Terraform; please report it.")
		return false
	}
	return true
}

// titleCase capitalises each word: "data source" is "Data Source".
func titleCase(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}
