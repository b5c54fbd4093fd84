// Package snelstartsandbox is a stand-in for SnelStart's B2B API v2 and its
// token endpoint, as an [http.Handler], for demos, tests and load runs. It
// speaks the paths, authentication, JSON and error shapes of the real API
// (shared/reference/snelstart-api.md, with the OpenAPI definition
// snelstart-b2b-api-v2.yaml as the schema of record, and the models of
// package snelstart), keeps the state of each administration in memory, and
// can be made slow, rate limited or faulty on purpose.
//
//	sb, err := snelstartsandbox.New(snelstartsandbox.Options{}) // the default seed
//	srv := httptest.NewServer(sb)                              // or sb.Start(addr), or Serve(ctx, addr, opts, log)
//	defer srv.Close()
//	defer sb.Close()                                           // first: releases calls hanging on a fault
//	// token: POST srv.URL+"/b2b/token", grant_type=clientkey&clientkey=demo
//	// API:   srv.URL+"/v2/...", Ocp-Apim-Subscription-Key: demo, Authorization: Bearer <token>
//
// # Operations
//
// POST /b2b/token; GET /v2/companyInfo, /v2/echo/{input}, /v2/landen(/{id}),
// /v2/btwtarieven, /v2/artikelomzetgroepen(/{id}),
// /v2/verkoopordersjablonen(/{id}); GET, POST /v2/relaties and GET, PUT
// /v2/relaties/{id}; GET, POST /v2/artikelen and GET, PUT /v2/artikelen/{id}
// (with ?relatieId=&aantal= the prijsafspraak of §7.3);
// GET /v2/artikelen/prijsafspraken; GET /v2/prijsafspraken; GET, POST
// /v2/verkooporders and GET, PUT, DELETE /v2/verkooporders/{id}; GET
// /v2/verkoopfacturen(/{id}). Invoices come from the seed or from
// [Administratie.Factureer], as they come from a person in SnelStart.
//
// # Authentication
//
// One client key opens one administration; the subscription keys of the
// seed are valid for all. Every /v2 call needs both:
//
//   - no or an unknown subscription key: 401 in the gateway's shape,
//     {"statusCode":401,"message":"Access denied due to missing|invalid
//     subscription key. …"};
//   - no, unknown or expired bearer token: 401 {"Message":"Authorization has
//     been denied for this request."};
//   - an unknown client key at the token endpoint: 400 {"error":"GrantType
//     clientkey was found. Parameter clientkey does not contain a valid
//     value"};
//   - a token without the operation's scope: 403.
//
// Tokens are JWTs with a scopes claim that live [Options.TokenLifetime]
// (3599 s); [Sandbox.ExpireTokens] ends them early.
//
// # Errors and validation
//
// Business rules answer 400 with an array of {"errorCode","message"} (and
// "details" where the sandbox adds the field), with SnelStart's codes:
// ALG-0100 (id on POST), ALG-0101, ALG-0103, ALG-0104, ALG-0105 (inactive
// relatie, article or template), ALG-0106 (empty body); VOR-0001, 0002
// (relatie is no klant), 0005 (nummer on POST), 0006–0011 (address and
// orderreferentie limits, unknown land), 0013, 0015 (PUT of an order that
// is no Offerte); REL-0001, 0005–0008, 0012, 0013, 0020–0028, 0047, 0048,
// 0055–0057, 0060, 0061, 0063–0066, 0084–0088; ART-0001–0009, 0014. All
// failures of a request are reported at once. Malformed JSON, wrong types,
// missing relatie or datum, and spec limits without a SnelStart code
// (naam 50, line omschrijving 250, krediettermijn 0–100) answer 400
// {"message":"The request is invalid.","modelState":{…}}; relaties answer
// REL-0066 for malformed JSON instead. Not-found answers 404 with the
// resource's code (REL-0005, ART-0001, VOR-0001).
//
// # OData
//
// /relaties, /artikelen, /artikelen/prijsafspraken, /verkooporders and
// /verkoopfacturen take $filter, $top, $skip and $select (top-level
// properties). The other lists ignore them and return everything, as
// SnelStart does. Collections are bare JSON arrays in creation order. $top
// is at most 25 on the artikelen paths and 500 elsewhere ("The limit of
// '25' for Top query has been exceeded…"), and defaults to that maximum;
// $expand is refused; $orderby and $inlinecount are ignored.
//
// $filter is a subset of OData v3, enough for koppel and for the filters the
// reference shows: eq ne gt ge lt le, and, or, not, parentheses; 'text' (”
// for a quote), numbers (with an optional m, d, f or L suffix), true, false,
// null, guid'…', datetime'…' (also a bare date); property paths such as
// Relatie/Id and VestigingsAdres/Land/Id; any and all over collections
// (Relatiesoort/any(r:r eq 'Klant')); and substringof, startswith,
// endswith, tolower, toupper, trim, length, indexof, concat, year, month,
// day. Property names are the UpperCamelCase forms of the JSON names and,
// like keywords and function names, case-sensitive: an unknown property,
// "naam" included, answers 400 {"Message":"Could not find a property named
// 'naam' on type 'SnelStart.B2B.Api.V2.Models.Relaties.RelatieModel'."}, and
// an ill-typed comparison (Relatiecode eq '2') answers ASP.NET's
// "incompatible types" message. Anything the sandbox cannot parse, and
// more than 100 nodes (ASP.NET's default MaxNodeCount), answers ALG-0104
// with the reason in details. Semantics follow C#: null equals only null,
// an empty string or unset field is null, strings compare ordinally (case
// matters; use tolower), GUIDs ignore case. /prijsafspraken reads its
// $filter as a question (Artikel/Id required; Relatie/Id, Aantal, Datum).
//
// # Totals
//
// An order's line totals, totaalExclusiefBtw and totaalInclusiefBtw are
// computed as [ComputeTotals] documents (vat-rounding.md): the line amount
// per the company's regelkortingVerkooporder, the VAT rate of the line's
// article's revenue group in the dated VAT table (btwTarieven of the seed,
// also served at /v2/btwtarieven) on the order's datum, prices incl. or excl.
// VAT per verkooporderBtwIngaveModel. Two switches cover what SnelStart
// does not publish: [Options.VAT] (per rate, the default, or per line) and
// [Options.Rounding] (half-up, the default, or half-even).
// [Administratie.Totals] returns the per-soort breakdown the API does not.
//
// # Assumptions
//
// Where the reference marks behaviour UNCONFIRMED, the sandbox chooses, and
// says so here: a left-out verkoopordersjabloon (or the all-zero id) means
// the first active template, whose prijsIngaveExclusiefBtw sets the entry
// mode when verkooporderBtwIngaveModel is left out (Exclusief without
// templates); a line without stuksprijs gets the customer's price (price
// agreement, else the article's verkoopprijs, converted between incl. and
// excl. with the article's rate); a line without aantal has 1; a left-out
// krediettermijn is the customer's, else 14; factuurkorting is a percentage,
// defaulting to the customer's, applied per soort (or per line) before VAT;
// a sent line totaal is replaced by the computed one; a priced line needs
// an article; the order omschrijving is at most 50; negative prices and
// quantities are accepted; kostenplaatsen and incassomachtigingen do not
// exist (ALG-0103, VOR-0013); a new relatie without relatiecode gets the
// highest plus one, and PUT keeps the relatiecode when it is left out;
// btwNummer formats are checked for NL, BE, DE and FR only.
//
// # Rate limits and faults
//
// Each administration has its own [RateLimit] (default [RateLimitDemo],
// 6000 calls a minute and 50 at a time; [RateLimitDevTest] is SnelStart's
// test key): 429 with Retry-After in the gateway's shape, 403 for the
// hourly quota. [Fault]s add latency, answer 5xx, hang until the client
// gives up, or carry out a write and lose its answer; they can be set in
// [Options.Faults], with [Sandbox.AddFault], or over HTTP.
//
// # Control API (not SnelStart)
//
// Paths under /_sandbox/ belong to the sandbox, not to SnelStart, and need
// no keys: GET, POST and DELETE /_sandbox/faults (a POST body is one
// [Fault] in JSON, such as {"kind":"error","method":"POST",
// "path":"/v2/verkooporders","status":503,"count":2}; DELETE ?id=N removes
// one) and GET, DELETE /_sandbox/stats (call counts, per administration).
// Serve it on loopback only.
//
// # State
//
// A [Seed] (JSON or YAML; [DefaultSeed] is default_seed.yaml) sets the
// starting state; [Sandbox.Snapshot] returns the current state as a seed,
// and [Options.SnapshotFile] loads one at start and writes it at Close (and
// every [Options.SnapshotInterval]). [Sandbox.Admin] gives a test the state
// of an administration and the calls made on its behalf ([CallCounts], for
// "SnelStart calls per order" measurements).
package snelstartsandbox
