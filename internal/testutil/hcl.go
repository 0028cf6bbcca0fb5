package testutil

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// ProviderBlock is a `provider "kaleyra"` block with exactly these
// arguments, each an HCL expression (quote strings with strconv.Quote), in
// name order.
func ProviderBlock(args map[string]string) string {
	var b strings.Builder
	b.WriteString("\nprovider \"kaleyra\" {\n")
	for _, name := range slices.Sorted(maps.Keys(args)) {
		fmt.Fprintf(&b, "  %s = %s\n", name, args[name])
	}
	b.WriteString("}\n")
	return b.String()
}

// HCLStrings renders strings as an HCL list expression.
func HCLStrings(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
