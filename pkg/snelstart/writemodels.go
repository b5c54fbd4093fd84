package snelstart

// The spec marks some properties readOnly (every uri, the stock figures)
// and leaves others out of the write models (fax on RelatieWriteModel;
// isHoofdartikel, subartikelen and the prijsafspraak on ArtikelModel).
// A model read from SnelStart carries them, so the write methods send a
// copy without them: a read, changed and written back object then
// conforms to the spec (snelstart-api.md §2.4: send a link as {"id"} only).

func refOnly(r *Ref) *Ref {
	if r == nil {
		return nil
	}
	return &Ref{ID: r.ID}
}

func adresForWrite(a *Adres) *Adres {
	if a == nil {
		return nil
	}
	c := *a
	c.Land = refOnly(c.Land)
	return &c
}

func ingaveForWrite(vs []IngaveGegeven) []IngaveGegeven {
	if vs == nil {
		return nil
	}
	out := make([]IngaveGegeven, len(vs))
	for i, v := range vs {
		v.Omschrijving = "" // readOnly: the template's label
		out[i] = v
	}
	return out
}

// forWrite returns the RelatieWriteModel of r.
func (r *Relatie) forWrite() *Relatie {
	c := *r
	c.URI, c.InkoopBoekingenURI, c.VerkoopBoekingenURI, c.Fax = "", "", "", ""
	c.VestigingsAdres = adresForWrite(c.VestigingsAdres)
	c.CorrespondentieAdres = adresForWrite(c.CorrespondentieAdres)
	c.FactuurRelatie = refOnly(c.FactuurRelatie)
	if c.Documents != nil {
		c.Documents = make([]Document, len(r.Documents))
		for i, d := range r.Documents {
			d.URI = ""
			c.Documents[i] = d
		}
	}
	return &c
}

// forWrite returns the ArtikelModel of a.
func (a *Artikel) forWrite() *Artikel {
	c := *a
	c.URI = ""
	c.IsHoofdartikel, c.Subartikelen, c.Prijsafspraak = nil, nil, nil
	c.TechnischeVoorraad, c.VrijeVoorraad = nil, nil
	c.ArtikelOmzetgroep = refOnly(c.ArtikelOmzetgroep)
	c.Relatie = refOnly(c.Relatie)
	return &c
}

// forWrite returns o without its readOnly properties.
func (o *VerkoopOrder) forWrite() *VerkoopOrder {
	c := *o
	c.URI = ""
	c.Relatie = refOnly(c.Relatie)
	c.Incassomachtiging = refOnly(c.Incassomachtiging)
	c.Kostenplaats = refOnly(c.Kostenplaats)
	c.Verkoopfactuur = refOnly(c.Verkoopfactuur)
	c.Verkoopordersjabloon = refOnly(c.Verkoopordersjabloon)
	c.Afleveradres = adresForWrite(c.Afleveradres)
	c.Factuuradres = adresForWrite(c.Factuuradres)
	c.ExtraHoofdVelden = ingaveForWrite(c.ExtraHoofdVelden)
	if c.Regels != nil {
		c.Regels = make([]VerkoopOrderRegel, len(o.Regels))
		for i, r := range o.Regels {
			r.Artikel = refOnly(r.Artikel)
			r.ExtraRegelVelden = ingaveForWrite(r.ExtraRegelVelden)
			c.Regels[i] = r
		}
	}
	return &c
}
