package snelstart

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
)

// GetArtikel returns the article id (GET /v2/artikelen/{id}, scope
// artikelen:read).
func (c *Client) GetArtikel(ctx context.Context, id ID) (*Artikel, error) {
	return get[Artikel](ctx, c, PathArtikel, id)
}

// GetArtikelPrijs returns the article id with the price relatie pays for
// aantal of it in its Prijsafspraak (GET
// /v2/artikelen/{id}?relatieId=…&aantal=…, scope artikelen:read;
// snelstart-api.md §7.3). aantal is a whole number (int32 in the spec). An
// unknown relatie gives a 404 or ART-0014 *[Error].
func (c *Client) GetArtikelPrijs(ctx context.Context, id, relatie ID, aantal int) (*Artikel, error) {
	if !guidPattern.MatchString(string(relatie)) || aantal < math.MinInt32 || aantal > math.MaxInt32 {
		return nil, &opError{op: "GET " + PathArtikel, lead: []error{ErrInvalidRequest},
			err: fmt.Errorf("relatieId %q must be a GUID and aantal %d an int32", relatie, aantal)}
	}
	return get[Artikel](ctx, c, PathArtikel, id,
		param{QueryRelatieID, string(relatie)}, param{QueryAantal, strconv.Itoa(aantal)})
}

// ListArtikelen returns the articles that match f (GET /v2/artikelen,
// scope artikelen:read), reading every page of 25, the most SnelStart
// allows here. Each is checked against f locally (see [Filter]). An
// artikelcode is a string, even when numeric: Eq("Artikelcode", "308").
func (c *Client) ListArtikelen(ctx context.Context, f Filter) ([]Artikel, error) {
	return list[Artikel](ctx, c, PathArtikelen, f, MaxTopArtikelen)
}

// CreateArtikel creates a (POST /v2/artikelen, scope artikelen:write) and
// returns the article SnelStart made. Artikelcode, Omschrijving and
// ArtikelOmzetgroep are required; read-only properties are not sent. On a
// failure, check [ErrOutcomeUnknown] before creating it again.
func (c *Client) CreateArtikel(ctx context.Context, a *Artikel) (*Artikel, error) {
	if a == nil {
		return nil, &opError{op: "POST " + PathArtikelen, lead: []error{ErrInvalidRequest}, err: errors.New("nil artikel")}
	}
	var v Artikel
	if err := c.do(ctx, request{method: http.MethodPost, template: PathArtikelen, path: PathArtikelen, body: a.forWrite(), out: &v}); err != nil {
		return nil, err
	}
	return &v, nil
}

// UpdateArtikel replaces the article a.ID with a (PUT /v2/artikelen/{id},
// scope artikelen:write) and returns what SnelStart stored. Like every
// PUT it replaces the whole record: start from [Client.GetArtikel].
func (c *Client) UpdateArtikel(ctx context.Context, a *Artikel) (*Artikel, error) {
	if a == nil {
		return nil, &opError{op: "PUT " + PathArtikel, lead: []error{ErrInvalidRequest}, err: errors.New("nil artikel")}
	}
	path, err := itemPath(http.MethodPut, PathArtikel, a.ID)
	if err != nil {
		return nil, err
	}
	var v Artikel
	if err := c.do(ctx, request{method: http.MethodPut, template: PathArtikel, path: path, body: a.forWrite(), out: &v}); err != nil {
		return nil, err
	}
	return &v, nil
}

// ListArtikelOmzetgroepen returns every revenue group (GET
// /v2/artikelomzetgroepen, scope artikelen:read). The endpoint has no
// OData: pick locally.
func (c *Client) ListArtikelOmzetgroepen(ctx context.Context) ([]ArtikelOmzetgroep, error) {
	return getAll[ArtikelOmzetgroep](ctx, c, PathArtikelOmzetgroepen)
}

// ListPrijsafspraken returns the prices that match f (GET
// /v2/prijsafspraken, scope relaties:read). SnelStart requires a filter on
// Artikel/Id, so f must be, or be an And of, Eq("Artikel/Id", id); the
// relatie can be given only as Relatie/Id (snelstart-api.md §7.3):
//
//	And(Eq("Artikel/Id", artikel), Eq("Relatie/Id", relatie), Eq("Aantal", 6))
func (c *Client) ListPrijsafspraken(ctx context.Context, f Filter) ([]Prijsafspraak, error) {
	if f.Err() == nil && !f.requiresEq("Artikel/Id") {
		return nil, &opError{op: "GET " + PathPrijsafspraken, lead: []error{ErrInvalidRequest},
			err: errors.New(`SnelStart requires a filter on Artikel/Id: And(Eq("Artikel/Id", id), …)`)}
	}
	return list[Prijsafspraak](ctx, c, PathPrijsafspraken, f, MaxTop)
}
