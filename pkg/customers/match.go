package customers

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/koppel/koppel/pkg/snelstart"
)

// A step is one rule of a matching mode: which keys it needs, how it asks
// SnelStart for candidates, and how it recognizes a relatie locally.
type step struct {
	by string
	// need reports whether the order has the keys of the step.
	need func(k Keys) bool
	// query returns the OData terms that find the step's candidates; the
	// local check (match) decides.
	query func(k Keys) []snelstart.Filter
	match func(k Keys, r *snelstart.Relatie) bool
	// key returns the match key, as CustomerResolution.match_key holds it.
	key func(k Keys) string
	// corroborate, for a code match in the smart cascade: the relatie
	// found by code must not contradict the order's email and postcode.
	corroborate bool
}

var (
	codeStep = step{
		by:    ByCode,
		need:  func(k Keys) bool { return k.Code != 0 },
		query: func(k Keys) []snelstart.Filter { return []snelstart.Filter{snelstart.Eq("Relatiecode", k.Code)} },
		match: func(k Keys, r *snelstart.Relatie) bool {
			return r.Relatiecode != nil && *r.Relatiecode == k.Code && !assignedCode(r, k.Code)
		},
		key: func(k Keys) string { return "code:" + strconv.Itoa(k.Code) },
	}
	vatStep = step{
		by:   ByVAT,
		need: func(k Keys) bool { return k.VAT != "" },
		query: func(k Keys) []snelstart.Filter {
			fs := []snelstart.Filter{snelstart.Eq("BtwNummer", k.VAT)}
			if k.vatRaw != k.VAT {
				fs = append(fs, snelstart.Eq("BtwNummer", k.vatRaw))
			}
			return fs
		},
		match: func(k Keys, r *snelstart.Relatie) bool { return NormalizeVAT(r.BtwNummer) == k.VAT },
		key:   func(k Keys) string { return "vat:" + k.VAT },
	}
	emailAndPostcodeStep = step{
		by:    ByEmailAndPostcode,
		need:  func(k Keys) bool { return k.Email != "" && k.Postcode != "" },
		query: emailQuery,
		match: func(k Keys, r *snelstart.Relatie) bool {
			return slices.Contains(EmailList(r.Email), k.Email) && relatiePostcode(r) == k.Postcode
		},
		key: func(k Keys) string { return "email_and_postcode:" + k.Email + "|" + k.Postcode },
	}
	emailStep = step{
		by:    ByEmail,
		need:  func(k Keys) bool { return k.Email != "" },
		query: emailQuery,
		match: func(k Keys, r *snelstart.Relatie) bool { return slices.Contains(EmailList(r.Email), k.Email) },
		key:   func(k Keys) string { return "email:" + k.Email },
	}
	nameAndAddressStep = step{
		by:   ByNameAndAddress,
		need: func(k Keys) bool { return k.Name != "" && k.Postcode != "" && k.House != "" },
		query: func(k Keys) []snelstart.Filter {
			var fs []snelstart.Filter
			for _, v := range postcodeVariants(k) {
				fs = append(fs, snelstart.Eq("VestigingsAdres/Postcode", v))
			}
			return fs
		},
		match: func(k Keys, r *snelstart.Relatie) bool {
			return FoldName(r.Naam) == k.Name && relatiePostcode(r) == k.Postcode && relatieHouse(r) == k.House
		},
		key: func(k Keys) string { return "name_postcode_house_number:" + k.Name + "|" + k.Postcode + "|" + k.House },
	}
)

// emailQuery finds the relaties whose email field holds the address:
// substringof, because the field may hold several (REL-0084); the local
// check compares the addresses one by one.
func emailQuery(k Keys) []snelstart.Filter {
	return []snelstart.Filter{snelstart.Substringof(k.Email, "Email")}
}

// steps returns the rules of a matching mode, strongest first. The smart
// cascade is: customer code (corroborated), VAT number, email and
// postcode, unique email, name with postcode and house number. The order
// carries no KvK number, so the cascade has no KvK step.
func steps(mode string) []step {
	switch mode {
	case MatchCode:
		return []step{codeStep}
	case MatchEmail:
		return []step{emailStep}
	case MatchCodeOrEmail:
		return []step{codeStep, emailStep}
	case MatchEmailAndPostcode:
		return []step{emailAndPostcodeStep}
	case MatchCodeOrEmailAndPostcode:
		return []step{codeStep, emailAndPostcodeStep}
	case MatchSmart:
		smartCode := codeStep
		smartCode.corroborate = true
		return []step{smartCode, vatStep, emailAndPostcodeStep, emailStep, nameAndAddressStep}
	}
	return nil
}

// usesCode reports whether a mode matches, and so creates, by relatiecode.
func usesCode(mode string) bool {
	return slices.ContainsFunc(steps(mode), func(s step) bool { return s.by == ByCode })
}

// eligible reports whether r can be an order's customer: an active klant
// that is not one of the fixtures every administration has (the own
// relation, and "Klant onbekend" with a negative relatiecode).
func eligible(r *snelstart.Relatie) bool {
	if r.Nonactief != nil && *r.Nonactief {
		return false
	}
	if r.Relatiecode != nil && *r.Relatiecode <= 0 {
		return false
	}
	return slices.ContainsFunc(r.Relatiesoort, func(s snelstart.Relatiesoort) bool {
		return strings.EqualFold(string(s), string(snelstart.RelatiesoortKlant))
	})
}

// A verdict is the result of matching an order against candidates.
type verdict struct {
	found   *snelstart.Relatie   // the one relatie matched
	by      string               // the rule that matched or was ambiguous
	key     string               // its match key
	tied    []*snelstart.Relatie // ambiguous: the relaties the rule fits
	skipped []string             // notes on rules passed over (ids only)
}

// classify runs the rules over the candidates, strongest first. The first
// rule that fits one relatie decides; a rule that fits several makes the
// match ambiguous and ends the cascade, since a weaker rule cannot settle
// what a stronger one could not. Candidates that are not eligible are
// ignored.
func classify(rules []step, k Keys, cands []snelstart.Relatie) verdict {
	var pool []*snelstart.Relatie
	for i := range cands {
		if eligible(&cands[i]) {
			pool = append(pool, &cands[i])
		}
	}
	var v verdict
	for _, s := range rules {
		if !s.need(k) {
			continue
		}
		var hits []*snelstart.Relatie
		for _, r := range pool {
			if s.match(k, r) {
				hits = append(hits, r)
			}
		}
		if s.corroborate && len(hits) == 1 && contradicts(k, hits[0]) {
			v.skipped = append(v.skipped, fmt.Sprintf("relatie %s has the order's relatiecode but neither its email nor its postcode", hits[0].ID))
			continue
		}
		switch len(hits) {
		case 0:
			continue
		case 1:
			v.found, v.by, v.key = hits[0], s.by, s.key(k)
			return v
		}
		v.tied, v.by, v.key = hits, s.by, s.key(k)
		return v
	}
	return v
}

// contradicts reports whether relatie r, found by relatiecode, is not
// corroborated by the order, so that the smart cascade passes over it (its
// code is the shop's customer number by coincidence: SnelStart gave it to
// somebody else). Where both sides have an email address, it must agree,
// unless name and postcode both do (a customer who changed address);
// else, where both have a postcode, the postcode or the name must agree. A
// relatie with nothing to compare is not contradicted.
func contradicts(k Keys, r *snelstart.Relatie) bool {
	emails := EmailList(r.Email)
	pc := relatiePostcode(r)
	nameOK := k.Name != "" && FoldName(r.Naam) == k.Name
	postcodeOK := k.Postcode != "" && pc == k.Postcode
	switch {
	case k.Email != "" && len(emails) > 0:
		return !slices.Contains(emails, k.Email) && !(nameOK && postcodeOK)
	case k.Postcode != "" && pc != "":
		return !postcodeOK && !nameOK
	}
	return false
}

// assignedCode reports whether koppel created r for a customer it knew by
// something else than relatiecode code (a guest, say): r's code was then
// given by SnelStart, and equals the shop's customer number only by
// coincidence, so no mode matches it by code. koppel's memo tag names the
// identity a relatie was created under (see job.memoMarker).
func assignedCode(r *snelstart.Relatie, code int) bool {
	return strings.Contains(r.Memo, "[koppel:") && !strings.Contains(r.Memo, ":code:"+strconv.Itoa(code)+":")
}

// query returns the filter that asks SnelStart for every candidate of the
// rules the order has keys for, or the zero Filter when it has none.
func query(rules []step, k Keys) snelstart.Filter {
	var terms []snelstart.Filter
	seen := map[string]bool{}
	for _, s := range rules {
		if !s.need(k) {
			continue
		}
		for _, f := range s.query(k) {
			if t := f.String(); !seen[t] {
				seen[t] = true
				terms = append(terms, f)
			}
		}
	}
	if len(terms) == 0 {
		return snelstart.Filter{}
	}
	return snelstart.And(snelstart.AnyEq("Relatiesoort", snelstart.RelatiesoortKlant), snelstart.Or(terms...))
}

// keyKinds returns the kinds of key the order has for the rules, strongest
// first ("code", "vat", …): what an ambiguity or a miss is reported by.
func keyKinds(rules []step, k Keys) []string {
	var out []string
	for _, s := range rules {
		if s.need(k) {
			out = append(out, s.by)
		}
	}
	return out
}

// relatiecodes lists the relatiecodes of rs for a message: "3, 4".
func relatiecodes(rs []*snelstart.Relatie) string {
	var parts []string
	for _, r := range rs {
		if r.Relatiecode != nil {
			parts = append(parts, strconv.Itoa(*r.Relatiecode))
		} else {
			parts = append(parts, string(r.ID))
		}
	}
	return strings.Join(parts, ", ")
}

// describeRule says in words what a rule compares, for dead-letter reasons.
func describeRule(by string) string {
	switch by {
	case ByCode:
		return "relatiecode (the shop's customer number)"
	case ByVAT:
		return "VAT number"
	case ByEmailAndPostcode:
		return "email address and postcode"
	case ByEmail:
		return "email address"
	case ByNameAndAddress:
		return "name, postcode and house number"
	}
	return by
}
