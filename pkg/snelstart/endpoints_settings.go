package snelstart

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

// CompanyInfo returns the administration the client key opens
// (GET /v2/companyInfo, scope settings:read): its AdministratieIdentifier
// and AdministratieNaam, and the settings that shape orders.
func (c *Client) CompanyInfo(ctx context.Context) (*CompanyInfo, error) {
	var v CompanyInfo
	if err := c.do(ctx, request{method: http.MethodGet, template: PathCompanyInfo, path: PathCompanyInfo, out: &v}); err != nil {
		return nil, err
	}
	return &v, nil
}

// Echo asks SnelStart to answer input back (GET /v2/echo/{input}, no
// scope): a check of the keys and the connection. An empty input gives
// "" (SnelStart answers 204).
func (c *Client) Echo(ctx context.Context, input string) (string, error) {
	var raw []byte
	if err := c.do(ctx, request{method: http.MethodGet, template: PathEcho, path: EchoPath(input), rawOut: &raw}); err != nil {
		return "", err
	}
	raw = bytes.TrimSpace(raw)
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	return string(raw), nil
}

// ListLanden returns every country (GET /v2/landen, scope settings:read).
// The endpoint has no OData and ignores $filter: match a shop's ISO
// alpha-2 code against [Land].Landcode locally, and cache the list.
func (c *Client) ListLanden(ctx context.Context) ([]Land, error) {
	return getAll[Land](ctx, c, PathLanden)
}

// ListBtwTarieven returns the Dutch VAT rates by btw-soort and period (GET
// /v2/btwtarieven, scope settings:read; no OData).
func (c *Client) ListBtwTarieven(ctx context.Context) ([]BtwTarief, error) {
	return getAll[BtwTarief](ctx, c, PathBtwTarieven)
}

// ListVatRates returns the VAT rates of the EU countries, for OSS (GET
// /v2/vatrates, scope settings:read).
func (c *Client) ListVatRates(ctx context.Context) ([]VatRates, error) {
	return getAll[VatRates](ctx, c, PathVatRates)
}

// ListKostenplaatsen returns the cost centres (GET /v2/kostenplaatsen,
// scope settings:read; no OData).
func (c *Client) ListKostenplaatsen(ctx context.Context) ([]Kostenplaats, error) {
	return getAll[Kostenplaats](ctx, c, PathKostenplaatsen)
}

// UpdateCompanyInfo changes the administration's settings (PUT
// /v2/companyInfo, scope settings:write) and returns them as SnelStart then
// holds them. SnelStart changes only FactureerBuitenlandsBtw, the switch for
// charging the customer's EU country's VAT (OSS; vat-rounding.md §3.6); the
// spec says the other fields are not updated. SnelStart does not apply the
// switch to the past.
func (c *Client) UpdateCompanyInfo(ctx context.Context, info *CompanyInfo) (*CompanyInfo, error) {
	if info == nil {
		return nil, &opError{op: "PUT " + PathCompanyInfo, lead: []error{ErrInvalidRequest}, err: errors.New("nil company info")}
	}
	var v CompanyInfo
	if err := c.do(ctx, request{method: http.MethodPut, template: PathCompanyInfo, path: PathCompanyInfo, body: info, out: &v}); err != nil {
		return nil, err
	}
	return &v, nil
}
