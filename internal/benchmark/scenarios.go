package benchmark

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/kaleyra/terraform-provider-kaleyra/internal/kaleyra"
	"github.com/kaleyra/terraform-provider-kaleyra/internal/sandbox"
)

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func pagesFloor(pages int) func(time.Duration) time.Duration {
	return func(latency time.Duration) time.Duration { return time.Duration(pages) * latency }
}

// WhatsAppClient reads n blocked users through the client. The cursor API
// is sequential, so the floor is ceil(n/pageSize) pages times the latency.
func WhatsAppClient(n, pageSize int) Scenario {
	return Scenario{
		Name:  fmt.Sprintf("whatsapp client (page %d)", pageSize),
		Seed:  WhatsAppSeed(n),
		Floor: pagesFloor(ceilDiv(n, pageSize)),
		Read: func(ctx context.Context, baseURL string) (int, error) {
			c, err := NewClient(baseURL, 0)
			if err != nil {
				return 0, err
			}
			users, _, err := c.WhatsAppBlockedUsers(ctx, kaleyra.WhatsAppListRequest{PhoneNumber: BusinessWA, PageSize: pageSize})
			return len(users), err
		},
	}
}

// ContactsWholeClient reads an n-row blocklist through the client with
// parallel pages in flight (1: one page after another). Its floor is the
// SEQUENTIAL one, n/pageSize+1 pages one after another, so the ratio shows
// what parallel paging saves.
func ContactsWholeClient(n, pageSize, parallel int) Scenario {
	return Scenario{
		Name:  fmt.Sprintf("contacts whole list client (page %d, parallel %d)", pageSize, parallel),
		Seed:  ContactsSeed(n),
		Floor: pagesFloor(n/pageSize + 1),
		Read: func(ctx context.Context, baseURL string) (int, error) {
			c, err := NewClient(baseURL, parallel)
			if err != nil {
				return 0, err
			}
			rows, _, err := c.ContactsBlocklisted(ctx, kaleyra.ContactsListRequest{PageSize: pageSize})
			return len(rows), err
		},
	}
}

// ContactsRateLimited reads an n-row blocklist with 8 pages in flight
// while the sandbox answers a burst of 429s (Retry-After: 1) to 16
// requests from the tenth on: the adaptive limit halves, the retries wait,
// the limit climbs back. Its floor is the parallel floor without the storm.
func ContactsRateLimited(n int) Scenario {
	seed := ContactsSeed(n)
	seed.Faults = []sandbox.Fault{{API: "contacts", Skip: 10, Times: 16, Status: 429, RetryAfter: "1"}}
	return Scenario{
		Name:  "contacts whole list, 429 storm (parallel 8)",
		Seed:  seed,
		Floor: func(latency time.Duration) time.Duration { return latency * time.Duration(1+ceilDiv(n/100, 8)) },
		Read: func(ctx context.Context, baseURL string) (int, error) {
			c, err := kaleyra.New(kaleyra.Config{
				SID: SID, APIKey: APIKey, BaseURL: baseURL, MaxParallel: 8, MaxRetries: 8,
				RetryWaitMin: 50 * time.Millisecond, UserAgent: "terraform-provider-kaleyra/bench",
			})
			if err != nil {
				return 0, err
			}
			rows, _, err := c.ContactsBlocklisted(ctx, kaleyra.ContactsListRequest{})
			return len(rows), err
		},
	}
}

// ContactsLookupClient looks n numbers up through the client with
// maxParallel requests in flight. Its floor is the SEQUENTIAL one, one
// request per batch of 100 numbers, so the ratio shows what parallel
// batches save.
func ContactsLookupClient(n, maxParallel int) Scenario {
	seed, mobiles := LookupSeed(n)
	return Scenario{
		Name:  fmt.Sprintf("contacts lookup client (parallel %d)", maxParallel),
		Seed:  seed,
		Floor: pagesFloor(ceilDiv(n, kaleyra.MaxMobilesPerRequest)),
		Read: func(ctx context.Context, baseURL string) (int, error) {
			c, err := NewClient(baseURL, maxParallel)
			if err != nil {
				return 0, err
			}
			rows, _, err := c.ContactsBlocklisted(ctx, kaleyra.ContactsListRequest{Mobiles: mobiles})
			return len(rows), err
		},
	}
}

// WhatsAppProvider reads n blocked users through the provider server, as
// Terraform does: configure, read the data source, convert the result to
// Terraform values and encode the state. Its rows are the n served: the
// state is not decoded (TestScenariosReadWhatTheyServe checks it is right).
func WhatsAppProvider(n int) Scenario {
	return Scenario{
		Name:  "whatsapp data source",
		Seed:  WhatsAppSeed(n),
		Floor: pagesFloor(ceilDiv(n, kaleyra.WhatsAppDefaultPageSize)),
		Read: func(ctx context.Context, baseURL string) (int, error) {
			_, _, err := ProviderRead(ctx, baseURL, "kaleyra_whatsapp_blocked_users", map[string]tftypes.Value{
				"phone_number": tftypes.NewValue(tftypes.String, BusinessWA),
			})
			return n, err
		},
	}
}

// ContactsProvider reads an n-row blocklist through the provider server.
func ContactsProvider(n int) Scenario {
	return Scenario{
		Name:  "contacts data source",
		Seed:  ContactsSeed(n),
		Floor: pagesFloor(n/kaleyra.ContactsDefaultPageSize + 1),
		Read: func(ctx context.Context, baseURL string) (int, error) {
			_, _, err := ProviderRead(ctx, baseURL, "kaleyra_contacts_blocklisted", nil)
			return n, err
		},
	}
}

// ContactsEphemeral opens the kaleyra_contacts_blocklisted ephemeral
// resource on an n-row blocklist through the provider server, as Terraform
// does in each phase; with framework, through the plain framework server,
// without the large-state path.
func ContactsEphemeral(n int, framework bool) Scenario {
	name := "contacts ephemeral resource"
	if framework {
		name += " (framework server)"
	}
	return Scenario{
		Name:  name,
		Seed:  ContactsSeed(n),
		Floor: pagesFloor(n/kaleyra.ContactsDefaultPageSize + 1),
		Read: func(ctx context.Context, baseURL string) (int, error) {
			_, _, err := ProviderOpen(ctx, baseURL, "kaleyra_contacts_blocklisted", nil, framework)
			return n, err
		},
	}
}

// ContactsIdenticalReads reads the whole n-row blocklist through five data
// sources of one provider configuration at once, as a configuration that
// reads the same list in several places does: they share one read. Its
// floor is one sequential read's.
func ContactsIdenticalReads(n int) Scenario {
	return Scenario{
		Name:  "contacts whole list, 5 identical data sources",
		Seed:  ContactsSeed(n),
		Floor: pagesFloor(n/kaleyra.ContactsDefaultPageSize + 1),
		Read: func(ctx context.Context, baseURL string) (int, error) {
			return n, ProviderReads(ctx, baseURL, "kaleyra_contacts_blocklisted", nil, 5)
		},
	}
}
