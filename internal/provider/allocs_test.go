package provider

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
)

// The measured optimisations (state built as Terraform values, lazy lists,
// the state carried past the framework's copies, one-pass page decoding)
// are guarded here, deterministically: the allocations of one 10,000-row
// whole-list read through the protocol server may not grow by more than
// 25 % over what they were when the guard was set. Timing is left to
// make bench. The guard runs without the race detector (make alloc-guard):
// under it sync.Pool drops items at random and the counts wander.
const (
	guardRows = 10_000
	// guardAllocs is the allocations of one such read when the guard was
	// set (go test -run TestAllocs -v prints the current figure).
	guardAllocs = 760_000
)

// cannedContacts serves a whole contacts blocklist of n rows from memory,
// 100 a page, so that only the provider's allocations are counted.
type cannedContacts struct{ pages map[int][]byte }

func newCannedContacts(n int) *cannedContacts {
	c := &cannedContacts{pages: map[int][]byte{}}
	for offset := 0; offset <= n; offset += 100 {
		var rows []string
		for i := offset; i < min(offset+100, n); i++ {
			rows = append(rows, fmt.Sprintf(`{"mobile":"+9170%08d","channel_type":"%d"}`, i, 1+i%3))
		}
		c.pages[offset] = fmt.Appendf(nil, `{"code":"CNT196","message":"ok","data":[%s],"error":{}}`, strings.Join(rows, ","))
	}
	return c
}

func (c *cannedContacts) RoundTrip(req *http.Request) (*http.Response, error) {
	offset, _ := strconv.Atoi(req.URL.Query().Get("offset"))
	body, ok := c.pages[offset]
	if !ok {
		body = []byte(`{"code":"CNT196","message":"ok","data":[],"error":{}}`) // past the end
	}
	return &http.Response{
		StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: req,
	}, nil
}

func TestAllocs_wholeListReadStaysWithinItsGuard(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not stable under the race detector; make alloc-guard runs this without it")
	}
	ctx := context.Background()
	canned := newCannedContacts(guardRows)
	server, err := ProtocolServer(New("test", WithClientConfig(func(c *kaleyra.Config) { c.Transport = canned }))())()
	if err != nil {
		t.Fatal(err)
	}
	schemas := providerSchemas(t, server)
	providerConfig := dynamicValue(t, schemas.Provider.ValueType(), providerAttrs("https://kaleyra.invalid", nil))
	config := dataSourceConfig(t, schemas, "kaleyra_contacts_blocklisted", nil)

	read := func() {
		// A fresh configuration each time: a configured provider shares
		// identical reads, and the guard measures a real one.
		conf, err := server.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{TerraformVersion: "1.11.0", Config: providerConfig})
		if err != nil || len(conf.Diagnostics) > 0 {
			t.Fatalf("configure: %v %s", err, diagnosticsText(conf.Diagnostics))
		}
		resp, err := server.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: "kaleyra_contacts_blocklisted", Config: config})
		if err != nil || len(resp.Diagnostics) > 0 {
			t.Fatalf("read: %v %s", err, diagnosticsText(resp.Diagnostics))
		}
	}
	read()
	if total := stateAttribute(t, schemas, "kaleyra_contacts_blocklisted", readOnce(t, server, config), "total"); !total.Equal(tfNumber(guardRows)) {
		t.Fatalf("total = %v, want %d", total, guardRows)
	}
	allocs := testing.AllocsPerRun(5, read)
	t.Logf("one %d-row read: %.0f allocations (guard: %d, limit %d)", guardRows, allocs, guardAllocs, guardAllocs*5/4)
	if allocs > float64(guardAllocs)*1.25 {
		t.Errorf("one %d-row read made %.0f allocations, more than 25%% over the %d measured when the guard was set: "+
			"an optimisation has been lost (see the comment above guardAllocs)", guardRows, allocs, guardAllocs)
	}
}

func readOnce(t *testing.T, server tfprotov6.ProviderServer, config *tfprotov6.DynamicValue) *tfprotov6.DynamicValue {
	t.Helper()
	resp, err := server.ReadDataSource(context.Background(), &tfprotov6.ReadDataSourceRequest{TypeName: "kaleyra_contacts_blocklisted", Config: config})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("read: %v %s", err, diagnosticsText(resp.Diagnostics))
	}
	return resp.State
}
