package snelstartsandbox

import (
	"net/http"

	"github.com/koppel/koppel/pkg/snelstart"
)

// This file serves the cost centres (kostenplaatsen) of an administration:
// GET /v2/kostenplaatsen, which like SnelStart ignores OData and lists
// inactive ones too (snelstart-api.md §2.3, §8.4), and GET
// /v2/kostenplaatsen/{id}. The sandbox does not create, change or delete
// them over the API; the seed sets them.

func (s *Sandbox) getKostenplaatsen(w http.ResponseWriter, _ *http.Request, a *Administratie) {
	writeAll(w, a, &a.kostenplaatsen)
}

// getKostenplaats answers an unknown id with 404 and KPL-0001
// "Kostenplaats niet gevonden" (the foutcodes page, snelstart-api.md [S5]),
// as the sandbox does for other resources.
func (s *Sandbox) getKostenplaats(w http.ResponseWriter, r *http.Request, a *Administratie) {
	writeOneOrCode(w, r, a, &a.kostenplaatsen, snelstart.CodeKPLNotFound)
}

// checkKostenplaats adds the refusal of an order's kostenplaats id that is
// unknown (BOE-0019) or inactive (BOE-0026): "Indien true, dan kan er niet
// geboekt worden op de kostenplaats" (the spec's KostenplaatsModel). The
// codes are SnelStart's for a boeking that refers to such a kostenplaats
// (the foutcodes page, snelstart-api.md [S5]); which codes a verkooporder
// gets is UNCONFIRMED. The caller holds a.mu.
func (a *Administratie) checkKostenplaats(ps *problems, id snelstart.ID) {
	k, ok := a.kostenplaatsen.get(id)
	switch {
	case !ok:
		ps.add(snelstart.CodeKostenplaatsNotFound, "kostenplaats")
	case isTrue(k.Nonactief):
		ps.add(snelstart.CodeKostenplaatsNonactief, "kostenplaats")
	}
}
