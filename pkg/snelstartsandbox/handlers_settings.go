package snelstartsandbox

import (
	"fmt"
	"net/http"
	"reflect"

	"github.com/koppel/koppel/pkg/snelstart"
)

// This file serves the settings of an administration. None of these
// operations takes OData: like SnelStart, they ignore $filter, $top and
// $skip and return the whole list (snelstart-api.md §2.3, §10 item 2).

func (s *Sandbox) getCompanyInfo(w http.ResponseWriter, _ *http.Request, a *Administratie) {
	a.mu.RLock()
	c := a.company
	a.mu.RUnlock()
	writeJSON(w, http.StatusOK, c)
}

// putCompanyInfo serves PUT /v2/companyInfo. "Op dit moment wordt alleen
// het updaten van de setting FactureerBuitenlandsBtw ondersteund" (the
// spec; vat-rounding.md §3.6): the sandbox takes that field, when sent,
// and leaves the rest as it was, and answers 200 with the whole
// CompanyInfoModel. Whether SnelStart refuses a body that changes other
// fields, and whether it records the switch in
// factureerBuitenlandsBtwRanges, is UNCONFIRMED; the sandbox does neither.
func (s *Sandbox) putCompanyInfo(w http.ResponseWriter, r *http.Request, a *Administratie) {
	var c snelstart.CompanyInfo
	if !decodeBody(w, r, &c, "") {
		return
	}
	a.mu.Lock()
	if c.FactureerBuitenlandsBtw != nil {
		a.company.FactureerBuitenlandsBtw = snelstart.Ptr(*c.FactureerBuitenlandsBtw)
	}
	out := a.company
	a.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// getEcho answers GET /v2/echo/{input} with the input as a JSON string.
func (s *Sandbox) getEcho(w http.ResponseWriter, r *http.Request, _ *Administratie) {
	in := r.PathValue("input")
	if in == "" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, in)
}

func (s *Sandbox) getLanden(w http.ResponseWriter, _ *http.Request, a *Administratie) {
	writeAll(w, a, &a.landen)
}

func (s *Sandbox) getLand(w http.ResponseWriter, r *http.Request, a *Administratie) {
	writeOne(w, r, a, &a.landen, "land")
}

func (s *Sandbox) getBtwTarieven(w http.ResponseWriter, _ *http.Request, a *Administratie) {
	a.mu.RLock()
	rows := a.btw
	a.mu.RUnlock()
	writeJSON(w, http.StatusOK, rows)
}

func (s *Sandbox) getOmzetgroepen(w http.ResponseWriter, _ *http.Request, a *Administratie) {
	writeAll(w, a, &a.groepen)
}

func (s *Sandbox) getOmzetgroep(w http.ResponseWriter, r *http.Request, a *Administratie) {
	writeOne(w, r, a, &a.groepen, "artikelomzetgroep")
}

func (s *Sandbox) getSjablonen(w http.ResponseWriter, _ *http.Request, a *Administratie) {
	writeAll(w, a, &a.sjablonen)
}

func (s *Sandbox) getSjabloon(w http.ResponseWriter, r *http.Request, a *Administratie) {
	writeOne(w, r, a, &a.sjablonen, "verkoopordersjabloon")
}

// getVerkoopFacturen serves GET /v2/verkoopfacturen with OData, $top ≤ 500.
func (s *Sandbox) getVerkoopFacturen(w http.ResponseWriter, r *http.Request, a *Administratie) {
	q, ok := parseList(w, r, reflect.TypeFor[snelstart.VerkoopFactuur](), snelstart.MaxTop, snelstart.MaxTop)
	if !ok {
		return
	}
	a.mu.RLock()
	all := a.facturen.all()
	a.mu.RUnlock()
	writeList(w, q, deref(page(q, all)))
}

func (s *Sandbox) getVerkoopFactuur(w http.ResponseWriter, r *http.Request, a *Administratie) {
	writeOne(w, r, a, &a.facturen, "verkoopfactuur")
}

// writeAll answers the whole collection.
func writeAll[T any](w http.ResponseWriter, a *Administratie, c *collection[T]) {
	a.mu.RLock()
	all := c.all()
	a.mu.RUnlock()
	writeJSON(w, http.StatusOK, deref(all))
}

// writeOne answers the object of r's {id}, or 404 with ASP.NET's
// {"Message"}.
func writeOne[T any](w http.ResponseWriter, r *http.Request, a *Administratie, c *collection[T], what string) {
	writeOneOr(w, r, a, c, func(id snelstart.ID) {
		writeMessage(w, http.StatusNotFound, fmt.Sprintf("Er is geen %s gevonden met id '%s'.", what, id))
	})
}

// writeOneOrCode answers the object of r's {id}, or 404 with the
// resource's SnelStart code in the array shape.
func writeOneOrCode[T any](w http.ResponseWriter, r *http.Request, a *Administratie, c *collection[T], code string) {
	writeOneOr(w, r, a, c, func(snelstart.ID) { writeProblem(w, http.StatusNotFound, code) })
}

// writeOneOr answers the object of r's {id}, or calls notFound.
func writeOneOr[T any](w http.ResponseWriter, r *http.Request, a *Administratie, c *collection[T], notFound func(snelstart.ID)) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	a.mu.RLock()
	v, ok := c.get(id)
	a.mu.RUnlock()
	if !ok {
		notFound(id)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func deref[T any](ps []*T) []T {
	out := make([]T, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}
