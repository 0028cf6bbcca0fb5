// Package sandbox is a faithful, strict fake of the two Kaleyra APIs the
// provider reads, as documented on their API pages:
//
//	GET /{v1|v2}/{sid}/whatsapp/{phone_number}/block_users?limit=&before=&after=
//	GET /v1/{sid}/contacts/blocklisted?limit=&offset=&channel=&mobile=
//
// It is never more lenient than the docs: a request they would not accept is
// answered 400 WA400. Checks run in this order: path (else 404), SID and the
// api-key header (else 401 RBC001), method GET and query syntax (unknown or
// repeated parameters, non-integer or out-of-range numbers: WA400), then the
// API's own checks.
//
// WhatsApp: limit is 1..1000 (default 25). The phone number may arrive as
// "+9194…" or "%2B9194…" and must be E.164. An unknown number answers 401
// WA401, a number of the other API version 401 WA-401, an inactive one 401
// WA401 (not active). Rows come in stored order, not sorted. Cursors are
// opaque and bound to the number; a tampered one is WA400. A page with rows
// carries paging.cursors.before and .after, the last page too; following the
// last after gives data [] and no paging. Options.PagingNext adds
// paging.next (an absolute URL on the request's host) to pages with more
// rows; Options.RaggedPages shortens middle pages.
//
// Contacts: limit 1..100 (default 100), offset >= 0, channel sms|whatsapp|
// voice, mobile a comma-separated list of at most 100 E.164 numbers (spaces
// around items trimmed; a literal '+' decodes to a space and fails). Rows are
// the blocklist entries, filtered, in stored order, {mobile, channel_type}
// with channel_type from ChannelTypes. Account states answer 401 WA-401 (API
// not available) or 400 E110 (low balance) after the request is validated.
//
// Assumptions where the pages are silent, each a named constant: the sms and
// voice channel_type codes (ChannelTypes), Meta's 139102 envelope
// (CodeBlocklistChanged), CNT195 as HTTP 400, WA404 for unknown paths and
// WA429 for a Fault with status 429.
//
// Faults (see Fault) inject failures, among them answers that echo the
// request (its numbers, query and api-key header) as an API or a gateway
// can; admin endpoints under /_sandbox/ (see admin.go) let a separate
// process install them and read the request log, which never shows a key.
// The command cmd/kaleyra-sandbox serves a Server on a loopback port.
package sandbox
