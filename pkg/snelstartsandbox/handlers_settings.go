package snelstartsandbox

import (
	"fmt"
	"net/http"
	"reflect"

	"github.com/koppel/koppel/pkg/snelstart"
)

// This file serves the read-only settings of an administration. None of
// these operations takes OData: like SnelStart, they ignore $filter, $top
// and $skip and return the whole list (snelstart-api.md §2.3, §10 item 2).

func (s *Sandbox) getCompanyInfo(w http.ResponseWriter, _ *http.Request, a *Administratie) {
	a.mu.RLock()
	c := a.company
	a.mu.RUnlock()
	writeJSON(w, http.StatusOK, c)
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

// writeOne answers the object of r's {id}, or 404.
func writeOne[T any](w http.ResponseWriter, r *http.Request, a *Administratie, c *collection[T], what string) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	a.mu.RLock()
	v, ok := c.get(id)
	a.mu.RUnlock()
	if !ok {
		writeMessage(w, http.StatusNotFound, fmt.Sprintf("Er is geen %s gevonden met id '%s'.", what, id))
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
