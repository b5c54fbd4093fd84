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
// POST /b2b/token; GET, PUT /v2/companyInfo (PUT changes only
// factureerBuitenlandsBtw, as the spec says); GET /v2/echo/{input},
// /v2/landen(/{id}) (all of ISO 3166-1), /v2/btwtarieven, /v2/vatrates
// (the 27 member states' rates of 2026), /v2/vatrates/{landcode},
// /v2/vatratedefinitions, /v2/kostenplaatsen(/{id}),
// /v2/artikelomzetgroepen(/{id}), /v2/verkoopordersjablonen(/{id}); GET,
// POST /v2/relaties and GET, PUT
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
// 0055–0057, 0060, 0061, 0063–0066, 0084–0088; ART-0001–0009, 0014;
// BOE-0019, 0026 (unknown or inactive kostenplaats on an order), BOE-0081
// (a revenue group lacks the ledger the order's VAT regime needs);
// KPL-0001 (GET of an unknown kostenplaats). All
// failures of a request are reported at once. Malformed JSON, wrong types,
// missing relatie or datum, and spec limits without a SnelStart code
// (naam 50, line omschrijving 250, krediettermijn 0–100) answer 400
// {"message":"The request is invalid.","modelState":{…}}; relaties answer
// REL-0066 for malformed JSON instead. Not-found answers 404 with the
// resource's code (REL-0005, ART-0001, VOR-0001, KPL-0001).
//
// # OData
//
// /relaties, /artikelen, /artikelen/prijsafspraken, /verkooporders,
// /verkoopfacturen, /vatrates and /vatratedefinitions take $filter, $top,
// $skip and $select (top-level
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
// [Administratie.Breakdown] returns what the API does not: the order's VAT
// regime, each line's VAT and the per-rate amounts ([Administratie.Totals]
// the amounts alone).
//
// # VAT regimes
//
// The whole order has one regime (vat-rounding.md §7.2 step 3), which sets
// each line's btw-soort and rate before the totals are computed:
//
//   - ICP, 0 %: the relatie's vestigingsadres is in an EU member state other
//     than the Netherlands and its btwNummer has that country's prefix (EL
//     for Greece). Each line's revenue group needs a "binnen EU" ledger.
//   - Otherwise the delivery country decides: the afleveradres's land, else
//     the vestigingsadres's, else the Netherlands.
//   - The Netherlands: Dutch VAT, the revenue group's btw-soort at its rate
//     in btwtarieven on the order's datum.
//   - Outside the EU: export, 0 %. Each line's group needs a "buiten EU"
//     ledger.
//   - Another EU country, a relatie without btwNummer and
//     companyInfo.factureerBuitenlandsBtw on (default off; PUT
//     /v2/companyInfo switches it): OSS. A line whose group has an OSS
//     ledger gets the destination country's rate from vatrates for the
//     ledger's vatRateCode, valid on the order's datum; a line whose group
//     has none keeps Dutch VAT.
//   - Another EU country otherwise: Dutch VAT.
//
// A line whose group lacks the ledger its regime needs refuses the order
// with BOE-0081 and the line in details. ICP and export lines are Geen at
// 0 % in the breakdown; OSS lines keep their group's btw-soort. A line
// without an article has no VAT under any regime.
//
// The ledgers for sales abroad are the sandbox's own: SnelStart links them
// to an omzetgroep, but GET /v2/artikelomzetgroepen shows only the
// Nederland ledger (vat-rounding.md §3.1). A seed gives them in a group's
// grootboekenBuitenland ([SeedOmzetgroep], [Grootboek]) by
// grootboekfunctie: VerkopenExportBinnenEU or DienstverleningBinnenEU (ICP),
// VerkopenExportBuitenEU (export), InstallatieTeleverkoopBinnenEUgeen with
// a vatRateCode (OSS). In the default seed hoog has all three (OSS at SR),
// laag all three (OSS at RRL), geen the first two.
//
// UNCONFIRMED, and chosen by the sandbox: which address decides ICP,
// export and OSS (§3.4, §8 item 7: the vestigingsadres for ICP, the
// afleveradres else the vestigingsadres for the others); that the totals
// at POST already use the OSS rate (§3.6: SnelStart says it computes the
// VAT "tijdens het factureren"); the error code for a missing ledger
// (BOE-0081, the published code whose text says so, rather than BOE-0080,
// which SnelStart gives for a customer without a valid btw-nummer); which
// countries count as the EU (the 27 ISO codes; territories with a code of
// their own do not); the rate codes of a country's rates (two reduced
// rates are RRH and RRL, a single one RRL); and the fallback when a country
// lacks the OSS ledger's rate code: a reduced, parking or super-reduced
// code takes the lower of the country's RRH and RRL, a country with
// neither (Denmark) its standard rate. Switching OSS applies to orders
// posted or changed afterwards; a snapshot reload recomputes every order's
// totals with the settings and relaties then in force.
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
// quantities are accepted; an order's kostenplaats must exist (BOE-0019)
// and be active (BOE-0026), the codes SnelStart documents for boekingen;
// incassomachtigingen do not exist (VOR-0013); a new relatie without
// relatiecode gets the highest plus one, and PUT keeps the relatiecode
// when it is left out; btwNummer formats are checked for the 27 EU member
// states (VIES formats, no check digits, no VIES lookup) and other
// countries need only letters and digits.
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
