package vat

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/koppel/koppel/pkg/snelstart"
)

// DefaultFactsTTL is how long a [Source] keeps an administration's facts:
// rates change twice a decade and OSS is switched on once.
const DefaultFactsTTL = time.Hour

// A Source reads each administration's [Facts] from SnelStart (GET
// /companyInfo, /btwtarieven and /vatrates: three calls) and keeps them for
// TTL. It is safe for concurrent use; the stages of one process share one.
type Source struct {
	TTL time.Duration    // default DefaultFactsTTL
	Now func() time.Time // default time.Now

	mu sync.Mutex
	m  map[string]factsEntry
}

type factsEntry struct {
	f  Facts
	at time.Time
}

// Get returns the facts of the administration c opens, kept under key (the
// profile id, or anything naming the administration).
func (s *Source) Get(ctx context.Context, key string, c *snelstart.Client) (Facts, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	ttl := s.TTL
	if ttl <= 0 {
		ttl = DefaultFactsTTL
	}
	s.mu.Lock()
	e, ok := s.m[key]
	s.mu.Unlock()
	if ok && now().Sub(e.at) < ttl {
		return e.f, nil
	}
	f, err := Load(ctx, c)
	if err != nil {
		return Facts{}, err
	}
	s.mu.Lock()
	if s.m == nil {
		s.m = map[string]factsEntry{}
	}
	s.m[key] = factsEntry{f: f, at: now()}
	s.mu.Unlock()
	return f, nil
}

// Load reads the facts of the administration c opens.
func Load(ctx context.Context, c *snelstart.Client) (Facts, error) {
	info, err := c.CompanyInfo(ctx)
	if err != nil {
		return Facts{}, fmt.Errorf("vat: read companyInfo: %w", err)
	}
	rows, err := c.ListBtwTarieven(ctx)
	if err != nil {
		return Facts{}, fmt.Errorf("vat: read btwtarieven: %w", err)
	}
	// The member states' rates are read with OSS off too: they tell an
	// order charged at a foreign rate (which then needs OSS on) from one
	// charged at a wrong rate. Only with OSS on are they needed.
	oss := info.FactureerBuitenlandsBtw != nil && *info.FactureerBuitenlandsBtw
	rates, err := c.ListVatRates(ctx)
	if err != nil && (oss || !snelstart.IsPermanent(err)) {
		return Facts{}, fmt.Errorf("vat: read vatrates: %w", err)
	}
	return Facts{Table: NewTable(rows), OSS: oss, VatRates: rates}, nil
}
