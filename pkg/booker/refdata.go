package booker

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/vat"
)

// refs caches what rarely changes in one administration: the company
// settings, the templates, the countries and the articles that charges are
// booked on. Each is read at most once per ttl; while a read fails, the last
// good value is used.
type refs struct {
	ttl       time.Duration
	now       func() time.Time
	company   cached[*snelstart.CompanyInfo]
	templates cached[[]snelstart.VerkoopOrderSjabloon]
	landen    cached[map[string]snelstart.ID]
	groepen   cached[map[snelstart.ID]snelstart.BtwSoort] // omzetgroep id → btw-soort
	facts     cached[vat.Facts]

	mu        sync.Mutex
	artikelen map[string]*cached[chargeArtikel] // by folded artikelcode
}

// chargeArtikel is an article a charge is booked on: its id and the
// btw-soort of its omzetgroep.
type chargeArtikel struct {
	ID    snelstart.ID
	Code  string
	Soort snelstart.BtwSoort
}

func newRefs(ttl time.Duration, now func() time.Time) *refs {
	return &refs{ttl: ttl, now: now, artikelen: map[string]*cached[chargeArtikel]{}}
}

// vatFacts returns the administration's VAT facts (rate table, OSS,
// member states' rates).
func (r *refs) vatFacts(ctx context.Context, c *snelstart.Client) (vat.Facts, error) {
	return r.facts.get(r.ttl, r.now(), func() (vat.Facts, error) { return vat.Load(ctx, c) })
}

// omzetgroepen returns the btw-soort of every omzetgroep, by id.
func (r *refs) omzetgroepen(ctx context.Context, c *snelstart.Client) (map[snelstart.ID]snelstart.BtwSoort, error) {
	return r.groepen.get(r.ttl, r.now(), func() (map[snelstart.ID]snelstart.BtwSoort, error) {
		gs, err := c.ListArtikelOmzetgroepen(ctx)
		if err != nil {
			return nil, fmt.Errorf("read artikelomzetgroepen: %w", err)
		}
		m := make(map[snelstart.ID]snelstart.BtwSoort, len(gs))
		for _, g := range gs {
			m[g.ID] = g.VerkoopNederlandBtwSoort
		}
		return m, nil
	})
}

// cached is one value read from SnelStart, and when.
type cached[T any] struct {
	mu sync.Mutex
	v  T
	at time.Time
	ok bool
}

// get returns the value, reading it with fetch when it is missing or older
// than ttl. A failed read returns the last good value if there is one.
// Callers of the same value wait for one read.
func (c *cached[T]) get(ttl time.Duration, now time.Time, fetch func() (T, error)) (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok && now.Sub(c.at) < ttl {
		return c.v, nil
	}
	v, err := fetch()
	if err != nil {
		if c.ok {
			return c.v, nil
		}
		return v, err
	}
	c.v, c.at, c.ok = v, now, true
	return v, nil
}

func (r *refs) companyInfo(ctx context.Context, c *snelstart.Client) (*snelstart.CompanyInfo, error) {
	return r.company.get(r.ttl, r.now(), func() (*snelstart.CompanyInfo, error) {
		ci, err := c.CompanyInfo(ctx)
		if err != nil {
			return nil, fmt.Errorf("read companyInfo: %w", err)
		}
		return ci, nil
	})
}

func (r *refs) sjablonen(ctx context.Context, c *snelstart.Client) ([]snelstart.VerkoopOrderSjabloon, error) {
	return r.templates.get(r.ttl, r.now(), func() ([]snelstart.VerkoopOrderSjabloon, error) {
		ts, err := c.ListVerkoopOrderSjablonen(ctx)
		if err != nil {
			return nil, fmt.Errorf("list verkoopordersjablonen: %w", err)
		}
		return ts, nil
	})
}

// landIDs returns the country ids by two-letter code (Land.Landcode, not
// the three-letter LandcodeISO; snelstart-api.md §8.2).
func (r *refs) landIDs(ctx context.Context, c *snelstart.Client) (map[string]snelstart.ID, error) {
	return r.landen.get(r.ttl, r.now(), func() (map[string]snelstart.ID, error) {
		ls, err := c.ListLanden(ctx)
		if err != nil {
			return nil, fmt.Errorf("list landen: %w", err)
		}
		m := make(map[string]snelstart.ID, len(ls))
		for _, l := range ls {
			if code := strings.ToUpper(strings.TrimSpace(l.Landcode)); code != "" {
				m[code] = l.ID
			}
		}
		return m, nil
	})
}

// artikel returns the active article with the given code and the
// btw-soort of its omzetgroep. An article that does not exist is a
// permanent error: the profile names an article SnelStart does not have.
func (r *refs) artikel(ctx context.Context, c *snelstart.Client, code string) (chargeArtikel, error) {
	groepen, err := r.omzetgroepen(ctx, c)
	if err != nil {
		return chargeArtikel{}, err
	}
	r.mu.Lock()
	e, ok := r.artikelen[foldCode(code)]
	if !ok {
		e = &cached[chargeArtikel]{}
		r.artikelen[foldCode(code)] = e
	}
	r.mu.Unlock()
	return e.get(r.ttl, r.now(), func() (chargeArtikel, error) {
		as, err := c.ListArtikelen(ctx, snelstart.Eq("Artikelcode", code))
		if err != nil {
			return chargeArtikel{}, fmt.Errorf("look up artikel %q: %w", code, err)
		}
		for _, a := range as {
			if strings.EqualFold(strings.TrimSpace(a.Artikelcode), strings.TrimSpace(code)) && (a.IsNonActief == nil || !*a.IsNonActief) {
				ca := chargeArtikel{ID: a.ID, Code: a.Artikelcode}
				if a.ArtikelOmzetgroep != nil {
					ca.Soort = groepen[a.ArtikelOmzetgroep.ID]
				}
				return ca, nil
			}
		}
		return chargeArtikel{}, pipeline.Permanent(fmt.Errorf("artikel %q is not an active article in SnelStart: create it in an omzetgroep of the right btw-soort, or set the profile's orders articles (shipping_article, rate_articles, …), then replay", code))
	})
}

// template returns the id of the active template named or identified by
// nameOrID.
func (r *refs) template(ctx context.Context, c *snelstart.Client, nameOrID string) (snelstart.ID, error) {
	if isGUID(nameOrID) {
		return snelstart.ID(nameOrID), nil
	}
	ts, err := r.sjablonen(ctx, c)
	if err != nil {
		return "", err
	}
	var found []snelstart.ID
	for _, t := range ts {
		if strings.EqualFold(strings.TrimSpace(t.Omschrijving), strings.TrimSpace(nameOrID)) && !isTrue(t.Nonactief) {
			found = append(found, t.ID)
		}
	}
	switch len(found) {
	case 0:
		return "", pipeline.Permanent(fmt.Errorf("verkoopordersjabloon %q is not an active template in SnelStart: check orders.template", nameOrID))
	case 1:
		return found[0], nil
	}
	return "", pipeline.Permanent(fmt.Errorf("verkoopordersjabloon %q names %d active templates: use its id in orders.template", nameOrID, len(found)))
}

// activeTemplate reports whether id is an active template; true when the
// templates cannot be read (SnelStart will say so if it is not).
func (r *refs) activeTemplate(ctx context.Context, c *snelstart.Client, id snelstart.ID) bool {
	ts, err := r.sjablonen(ctx, c)
	if err != nil {
		return true
	}
	for _, t := range ts {
		if t.ID.Equal(id) {
			return !isTrue(t.Nonactief)
		}
	}
	return false
}

func isTrue(b *bool) bool { return b != nil && *b }
