package vatnumber

import "errors"

// The kinds of [Error], for errors.Is.
var (
	// ErrFormat marks input that is not shaped like a VAT number of its
	// member state: no prefix, wrong length, a letter where a digit belongs.
	ErrFormat = errors.New("not a well-formed VAT number")
	// ErrCheckDigit marks a number whose check digit (or check letter)
	// does not agree with the rest: almost always a typing mistake.
	ErrCheckDigit = errors.New("VAT number check digit does not match")
	// ErrCountry marks a well-formed number of another member state than
	// the one it was checked for, such as a German number on a Belgian
	// address.
	ErrCountry = errors.New("VAT number of another member state")
	// ErrNotEU marks a number, or a country, outside the EU: GB, XI
	// (Northern Ireland), CH, NO, US and the like. Such a customer gets no
	// intra-Community supply.
	ErrNotEU = errors.New("not an EU VAT number")
)

// An Error says what is wrong with a VAT number. Its message is the number
// followed by the reason, meant to be shown to a bookkeeper as it is:
//
//	NL123456789B02: check digit does not match
//
// Use errors.Is with [ErrFormat], [ErrCheckDigit], [ErrCountry] or
// [ErrNotEU] to tell the kinds apart, and errors.As to get the fields.
type Error struct {
	// Number is the number in its canonical form when it could be parsed,
	// else the input with separators removed and letters upper-cased.
	Number string
	// Reason is the problem in words, without the number.
	Reason string
	// Kind is one of ErrFormat, ErrCheckDigit, ErrCountry and ErrNotEU.
	Kind error
}

func (e *Error) Error() string {
	if e.Number == "" {
		return e.Reason
	}
	return e.Number + ": " + e.Reason
}

// Unwrap returns e.Kind, so that errors.Is(err, ErrCheckDigit) and the like
// work on an *Error and on errors wrapping one.
func (e *Error) Unwrap() error { return e.Kind }

// A problem is what a member state's rule finds wrong with the national
// part of a number: a kind and, optionally, a more precise reason than the
// kind's default.
type problem struct {
	kind   error
	reason string
}

func (p *problem) Error() string { return p.reason }

// badFormat and badCheck are the results of a rule; reason may be empty for
// the default wording.
func badFormat(reason string) *problem { return &problem{kind: ErrFormat, reason: reason} }
func badCheck(reason string) *problem  { return &problem{kind: ErrCheckDigit, reason: reason} }
