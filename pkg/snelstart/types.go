package snelstart

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// An ID is a SnelStart public identifier: a GUID in its 36-character text
// form, "75b4fe7b-062b-4ae1-bad1-5c5e3866a2ae". SnelStart writes GUIDs in
// upper or lower case (snelstart-api.md §2.4), so compare them with
// [ID.Equal], not ==.
type ID string

// NilID is the all-zero GUID. SnelStart's own examples send it as the
// verkoopordersjabloon of an order, apparently meaning "default template"
// (snelstart-api.md §5.2, unconfirmed).
const NilID ID = "00000000-0000-0000-0000-000000000000"

// NewID returns a new random (version 4) ID in lower case. The API assigns
// the ids of what it creates; NewID is for sandboxes and tests.
func NewID() ID {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return ID(h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32])
}

// Equal reports whether id and other name the same GUID, ignoring case.
func (id ID) Equal(other ID) bool { return strings.EqualFold(string(id), string(other)) }

// A Ref links to another object: one of the spec's identifier models
// (RelatieIdentifierModel, ArtikelIdentifierModel, LandIdentifierModel, …),
// which all have the shape {"id": GUID, "uri": "/relaties/<GUID>"}.
//
// URI is read-only: SnelStart fills it in responses, and a request sends only
// the id (snelstart-api.md §2.4). Build request links with [RefTo].
type Ref struct {
	ID  ID     `json:"id,omitempty"`
	URI string `json:"uri,omitempty"` // read-only; relative, e.g. "/relaties/<id>"
}

// RefTo returns a link to the object with the given id, as a request sends it.
func RefTo(id ID) *Ref { return &Ref{ID: id} }

// Ptr returns a pointer to a copy of v, for the optional fields of the models:
// Krediettermijn: snelstart.Ptr(14).
func Ptr[T any](v T) *T { return &v }

// A Decimal is an exact decimal number: money, a quantity or a percentage.
// It decodes from a JSON number's text (or from a JSON string holding a
// decimal, which SnelStart also accepts, snelstart-api.md §2.4) without
// passing through float64, and encodes as a JSON number with the digits it
// holds: 12.345 stays 12.345 and 121.00 stays 121.00. Decoding JSON null
// leaves the value unchanged; optional fields use *Decimal so that null and
// absent both mean "not set".
//
// The embedded [decimal.Decimal] gives the arithmetic; wrap results with
// [NewDecimal].
type Decimal struct {
	decimal.Decimal
}

// NewDecimal returns d as a Decimal.
func NewDecimal(d decimal.Decimal) Decimal { return Decimal{d} }

// ParseDecimal parses a decimal in plain or exponent notation, such as "12.5"
// or "-0.0043".
func ParseDecimal(s string) (Decimal, error) {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return Decimal{}, fmt.Errorf("snelstart: parse decimal %q: %w", s, err)
	}
	return Decimal{d}, nil
}

// String returns d in plain notation with as many fraction digits as it
// holds: "12.345", "121.00", "-3". It does not depend on the global settings
// of the decimal package.
func (d Decimal) String() string {
	places := max(0, -d.Exponent())
	return d.StringFixed(places)
}

// MarshalJSON encodes d as a JSON number, as [Decimal.String] writes it.
func (d Decimal) MarshalJSON() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalJSON decodes a JSON number, or a JSON string holding a decimal.
// JSON null leaves d unchanged.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	s := string(b)
	if len(b) >= 2 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("snelstart: decimal: %w", err)
		}
	}
	v, err := ParseDecimal(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText returns the text of [Decimal.String], for map keys and query
// strings.
func (d Decimal) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses text as [ParseDecimal] does.
func (d *Decimal) UnmarshalText(text []byte) error {
	v, err := ParseDecimal(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// LocalTimeLayout is SnelStart's date and time format: wall-clock time with
// no zone (snelstart-api.md §2.4). Responses may carry a fraction of up to
// seven digits (.NET ticks), "2018-08-07T06:24:48.12"; [LocalTime] writes
// one only when the time has one.
const LocalTimeLayout = "2006-01-02T15:04:05"

const localTimeOutLayout = LocalTimeLayout + ".9999999"

// A LocalTime is a SnelStart date or timestamp: a calendar date and a
// wall-clock time with no time zone, as the administration's user sees it
// (in practice Europe/Amsterdam). On the wire it is "2024-05-01T00:00:00",
// optionally with a fraction; a zone suffix ("Z", "+02:00") is rejected,
// because SnelStart neither sends one nor is known to accept one
// (snelstart-api.md §2.4, §11 question 8).
//
// The zero LocalTime means "not set": fields of this type are tagged
// omitzero, and JSON null decodes to it. LocalTime values are comparable
// with ==.
type LocalTime struct {
	t time.Time // wall clock stored in UTC; never has a monotonic reading
}

// NewLocalTime returns the wall clock of t in t's location, dropping the
// location and anything below 100 ns (the precision of SnelStart's .NET
// DateTime). Convert t to the administration's zone first:
// snelstart.NewLocalTime(t.In(amsterdam)).
func NewLocalTime(t time.Time) LocalTime {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	ns := t.Nanosecond() / 100 * 100
	return LocalTime{time.Date(y, mo, d, h, mi, s, ns, time.UTC)}
}

// LocalDate returns midnight at the start of the given day, the form of an
// order date: "2024-05-01T00:00:00".
func LocalDate(year int, month time.Month, day int) LocalTime {
	return LocalTime{time.Date(year, month, day, 0, 0, 0, 0, time.UTC)}
}

// ParseLocalTime parses s in [LocalTimeLayout], with or without a fraction
// of a second.
func ParseLocalTime(s string) (LocalTime, error) {
	t, err := time.Parse(LocalTimeLayout, s)
	if err != nil {
		return LocalTime{}, fmt.Errorf("snelstart: parse local time %q (want %s, no zone): %w", s, LocalTimeLayout, err)
	}
	return NewLocalTime(t), nil
}

// IsZero reports whether lt is the zero LocalTime, meaning "not set".
func (lt LocalTime) IsZero() bool { return lt.t.IsZero() }

// In returns the instant at which the wall clock in loc shows lt.
func (lt LocalTime) In(loc *time.Location) time.Time {
	y, mo, d := lt.t.Date()
	h, mi, s := lt.t.Clock()
	return time.Date(y, mo, d, h, mi, s, lt.t.Nanosecond(), loc)
}

// Date returns the calendar date of lt.
func (lt LocalTime) Date() (year int, month time.Month, day int) { return lt.t.Date() }

// Compare returns -1, 0 or +1 as lt is before, equal to or after other.
func (lt LocalTime) Compare(other LocalTime) int { return lt.t.Compare(other.t) }

// String returns lt in the wire format, "2024-05-01T00:00:00", with a
// fraction only when lt has one; the zero LocalTime gives "".
func (lt LocalTime) String() string {
	if lt.IsZero() {
		return ""
	}
	return lt.t.Format(localTimeOutLayout)
}

// MarshalJSON encodes lt as a JSON string in the wire format, or null for
// the zero LocalTime (fields are tagged omitzero, so null is not sent).
func (lt LocalTime) MarshalJSON() ([]byte, error) {
	if lt.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + lt.String() + `"`), nil
}

// UnmarshalJSON decodes a JSON string in the wire format; JSON null gives
// the zero LocalTime.
func (lt *LocalTime) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*lt = LocalTime{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("snelstart: local time: %w", err)
	}
	v, err := ParseLocalTime(s)
	if err != nil {
		return err
	}
	*lt = v
	return nil
}

// MarshalText returns the text of [LocalTime.String], as an OData
// datetime'…' literal needs it.
func (lt LocalTime) MarshalText() ([]byte, error) { return []byte(lt.String()), nil }

// UnmarshalText parses text as [ParseLocalTime] does; empty text gives the
// zero LocalTime.
func (lt *LocalTime) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*lt = LocalTime{}
		return nil
	}
	v, err := ParseLocalTime(string(text))
	if err != nil {
		return err
	}
	*lt = v
	return nil
}
