package booker

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/snelstart"
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

	mu        sync.Mutex
	artikelen map[string]*cached[snelstart.ID] // by folded artikelcode
}

func newRefs(ttl time.Duration, now func() time.Time) *refs {
	return &refs{ttl: ttl, now: now, artikelen: map[string]*cached[snelstart.ID]{}}
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

// artikel returns the id of the active article with the given code. An
// article that does not exist is a permanent error: the profile names an
// article SnelStart does not have.
func (r *refs) artikel(ctx context.Context, c *snelstart.Client, code string) (snelstart.ID, error) {
	r.mu.Lock()
	e, ok := r.artikelen[foldCode(code)]
	if !ok {
		e = &cached[snelstart.ID]{}
		r.artikelen[foldCode(code)] = e
	}
	r.mu.Unlock()
	return e.get(r.ttl, r.now(), func() (snelstart.ID, error) {
		as, err := c.ListArtikelen(ctx, snelstart.Eq("Artikelcode", code))
		if err != nil {
			return "", fmt.Errorf("look up artikel %q: %w", code, err)
		}
		for _, a := range as {
			if strings.EqualFold(strings.TrimSpace(a.Artikelcode), strings.TrimSpace(code)) && (a.IsNonActief == nil || !*a.IsNonActief) {
				return a.ID, nil
			}
		}
		return "", pipeline.Permanent(fmt.Errorf("artikel %q is not an active article in SnelStart: check the profile's orders articles", code))
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
