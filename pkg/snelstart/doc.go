// Package snelstart holds the wire model of the SnelStart B2B API v2, the
// accounting API that koppel books webshop orders into as verkooporders
// (sales orders).
//
// The package is the shared foundation of the API client and of the sandbox
// server (services/snelstart-sandbox): Go types whose JSON names and shapes
// are those of SnelStart's own OpenAPI 3.0.1 definition
// (shared/reference/snelstart-b2b-api-v2.yaml, copied into
// [github.com/koppel/koppel/pkg/snelstart/spectest]), the endpoint paths and
// OAuth scopes koppel uses, and a parser for the several error body shapes
// the API returns ([ParseError]). No field is invented: a test walks every
// struct against the spec, and the few names the spec leaves out are listed
// there with the section of shared/reference/snelstart-api.md that documents
// them.
//
// # Wire conventions
//
// Field values follow SnelStart's conventions (snelstart-api.md §2.4):
//
//   - Money, quantities and percentages are [Decimal]: exact, decoded from
//     the JSON number's text and encoded as a JSON number, never float64.
//   - Dates are [LocalTime]: wall-clock time with no zone,
//     "2024-05-01T00:00:00", optionally with a fraction.
//   - GUIDs are [ID]; a link to another object is a [Ref], of which a
//     request sends only the id.
//   - Optional numbers and booleans are pointers (see [Ptr]) so that a request
//     carries only what is set: an unset krediettermijn means "the customer's
//     default", which 0 does not.
//   - Enumerations are typed strings with the spec's values as constants.
//
// Decoding tolerates unknown fields (the encoding/json default), because
// SnelStart adds fields without changing the API version (§1.6).
//
// Dutch terms used in names: relatie (business relation: customer or
// supplier), klant (customer), artikel (article, product), verkooporder
// (sales order), verkoopfactuur (sales invoice), prijsafspraak (customer
// price agreement), omzetgroep (revenue group, which decides VAT), btw (VAT),
// land (country), sjabloon (template), regel (line), omschrijving
// (description), aantal (quantity), stuksprijs (unit price), korting
// (discount), koppelsleutel (client key that opens one administration).
package snelstart
