package customers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/snelstart"
	"github.com/koppel/koppel/pkg/vat"
	"github.com/koppel/koppel/pkg/vatnumber"
)

// viesValidFor is how long a VIES answer that a number is valid is
// trusted: a registration rarely ends, and a day bounds the harm.
const viesValidFor = 24 * time.Hour

// A card is what SnelStart reads from a relatie to choose ICP: its
// btwNummer and the country (ISO alpha-2) of its vestigingsadres.
type card struct {
	Known bool   `json:"known,omitempty"` // false in cache entries from before the card was kept
	VAT   string `json:"btw,omitempty"`
	Land  string `json:"land,omitempty"`
}

// decide sets the order's VAT regime from what the shop charged, before
// any relatie is looked up or written. An order that fits no regime is a
// dead letter with vat.Decide's reason. With customers.vies_check the VAT
// number of an ICP order is checked with VIES.
func (j *job) decide(ctx context.Context) error {
	f, err := j.r.vat.Get(ctx, j.p.ID, j.c)
	if err != nil {
		err = fmt.Errorf("customers: profile %s: %w", j.p.ID, err)
		if snelstart.IsPermanent(err) {
			return pipeline.Permanent(err)
		}
		return err
	}
	d, err := vat.Decide(j.o, f, j.day())
	if err != nil {
		return pipeline.Permanent(fmt.Errorf("customers: order %s: %w", j.o.GetShopOrderId(), err))
	}
	j.decision, j.facts = d, f
	if d.Regime == vat.ICP && j.p.Customers.VIESCheck {
		return j.checkVIES(ctx, d.VATNumber)
	}
	return nil
}

// day is the order's date in SnelStart's zone: when it was placed, else
// when koppel received it, as the booker dates the order.
func (j *job) day() time.Time {
	return vat.OrderDay(j.ev, j.r.o.Now(), snelstart.Amsterdam())
}

// viesEntry is a valid VIES answer kept in the store's cache: when it was
// given and its consultation number, never the trader's name or address.
type viesEntry struct {
	Checked int64  `json:"checked"` // unix seconds
	Request string `json:"request,omitempty"`
}

// checkVIES asks VIES whether number, the canonical VAT number of an ICP
// order, is registered; a valid answer is kept for a day per number. VIES
// being unavailable makes the order wait (it spends no delivery), a number
// VIES reports invalid and a check VIES refuses are dead letters.
func (j *job) checkVIES(ctx context.Context, number string) error {
	key := "customers:vies:" + hashKey(number)
	raw, ok, err := j.r.o.Store.CacheGet(ctx, key)
	if err != nil {
		return fmt.Errorf("customers: cache: %w", err)
	}
	var kept viesEntry
	if ok && json.Unmarshal(raw, &kept) == nil && j.r.o.Now().Sub(time.Unix(kept.Checked, 0)) < viesValidFor {
		return nil
	}
	n, err := vatnumber.Parse(number)
	if err != nil {
		return pipeline.Permanent(fmt.Errorf("customers: order %s: %w", j.o.GetShopOrderId(), err))
	}
	res, err := j.r.vies.Check(ctx, n)
	var se *vatnumber.ServiceError
	switch {
	case errors.Is(err, vatnumber.ErrUnavailable):
		why := "no answer"
		if errors.As(err, &se) {
			switch {
			case se.Code != "":
				why = se.Code
			case se.Status != 0:
				why = fmt.Sprintf("HTTP %d", se.Status)
			}
		}
		j.r.log.InfoContext(ctx, "order waits for VIES to check its VAT number", "profile", j.p.ID, "order", j.o.GetShopOrderId(), "vies", why)
		// The number stays out of this error: the stage logs it while the
		// order waits.
		return pipeline.Later(fmt.Errorf("customers: order %s: waiting for VIES to check the customer's VAT number (%s): %w",
			j.o.GetShopOrderId(), why, vatnumber.ErrUnavailable), j.r.o.VIESWait)
	case err != nil:
		return pipeline.Permanent(fmt.Errorf("customers: order %s: %w; customers.vies_check is on, so koppel books no intra-community supply unchecked: fix the access to VIES (or switch customers.vies_check off), then replay the order",
			j.o.GetShopOrderId(), err))
	case !res.Valid:
		return pipeline.Permanent(fmt.Errorf("customers: order %s: VIES reports VAT number %s as not valid (checked %s): koppel books no intra-community supply at 0 %% for it; correct the number in the shop, or charge VAT on the order, then replay the order",
			j.o.GetShopOrderId(), number, res.CheckedAt.Format(time.DateOnly)))
	}
	j.r.log.InfoContext(ctx, "VAT number valid in VIES", "profile", j.p.ID, "order", j.o.GetShopOrderId(),
		"vies_request", res.RequestIdentifier, "vies_checked", res.CheckedAt)
	b, _ := json.Marshal(viesEntry{Checked: j.r.o.Now().Unix(), Request: res.RequestIdentifier})
	if err := j.r.o.Store.CacheSet(ctx, key, b); err != nil {
		j.r.log.WarnContext(ctx, "VIES answer not cached", "profile", j.p.ID, "error", err)
	}
	return nil
}

// wantVAT is the btwNummer the relatie must carry for the order: the
// customer's VAT number for an ICP order; "" otherwise, when koppel writes
// none.
func (j *job) wantVAT() string {
	if j.decision.Regime == vat.ICP {
		return j.decision.VATNumber
	}
	return ""
}

// fits reports whether SnelStart, reading card, books the order as ICP
// exactly when koppel decided ICP.
func (j *job) fits(c card) bool {
	applied := vat.Applied(c.VAT, c.Land, j.decision.Country, j.facts)
	return (applied == vat.ICP) == (j.decision.Regime == vat.ICP)
}

// lacksVAT reports whether add_and_update must write the order's VAT
// number on card.
func (j *job) lacksVAT(c card) bool {
	want := j.wantVAT()
	return want != "" && j.p.Customers.Processing == ProcessAddAndUpdate && NormalizeVAT(c.VAT) != want
}

// cardOf returns the card of rel: its btwNummer and the landcode of its
// vestigingsadres's land.
func (j *job) cardOf(ctx context.Context, rel *snelstart.Relatie) (card, error) {
	c := card{Known: true, VAT: strings.TrimSpace(rel.BtwNummer)}
	ad := rel.VestigingsAdres
	if ad == nil || ad.Land == nil || ad.Land.ID == "" {
		return c, nil
	}
	landen, err := j.r.landenOf(ctx, j.p.ID, j.c)
	if err != nil {
		return card{}, err
	}
	for code, id := range landen {
		if id.Equal(ad.Land.ID) {
			c.Land = code
			break
		}
	}
	return c, nil
}

// settle records the regime and the card in res, and refuses an ICP order
// whose card SnelStart would not book as one: a card without btwNummer
// (under add or manual, which do not write it), or one whose vestigingsadres
// is not in another member state. A card with a btwNummer for an order
// that is not ICP is left as it is; the booker holds such an order.
func (j *job) settle(ctx context.Context, res *koppelv1.CustomerResolution) error {
	res.Regime = string(j.decision.Regime)
	res.BtwNummer, res.Land = j.card.VAT, j.card.Land
	d := j.decision
	if d.Regime != vat.ICP {
		return nil
	}
	fix := "add " + d.VATNumber + " to the card"
	if j.p.Customers.Processing != ProcessAddAndUpdate {
		fix += " or set customers.processing: add_and_update"
	}
	switch {
	case j.card.VAT == "":
		return pipeline.Permanent(fmt.Errorf("customers: order %s: the relatie card %d has no btw-nummer; SnelStart books ICP only with one: %s, then replay the order",
			j.o.GetShopOrderId(), res.GetRelatiecode(), fix))
	case !j.fits(j.card):
		where := "has no country"
		if j.card.Land != "" {
			where = "is in " + j.card.Land
		}
		return pipeline.Permanent(fmt.Errorf("customers: order %s: the order is an intra-community supply to %s, but the vestigingsadres of relatie card %d %s; SnelStart books ICP only for a card with a btw-nummer and a vestigingsadres in another EU member state: correct the card's address, then replay the order",
			j.o.GetShopOrderId(), d.Country, res.GetRelatiecode(), where))
	case NormalizeVAT(j.card.VAT) != d.VATNumber:
		j.r.log.WarnContext(ctx, "the relatie card's btw-nummer differs from the order's; SnelStart books the intra-community supply under the card's",
			"profile", j.p.ID, "order", j.o.GetShopOrderId(), "relatie_id", res.GetRelatieId())
	}
	return nil
}
