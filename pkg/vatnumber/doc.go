// Package vatnumber parses and checks EU VAT identification numbers, as a
// webshop customer types them, and asks the EU's VIES service whether a
// number is registered.
//
// A number has a member-state prefix and a national part: NL123456789B01,
// DE811569869, EL094014201 (Greece uses the prefix EL, not its ISO code GR).
// [Parse] only tidies the input into a [Number]; [Check] also applies the
// member state's format and check-digit rule, which catches most typing
// mistakes without a network call. Both fail with an *[Error] that names the
// number and the problem in words a bookkeeper can act on, and that matches
// one of [ErrFormat], [ErrCheckDigit], [ErrCountry] or [ErrNotEU] with
// errors.Is.
//
// A number that passes [Check] is well formed, not necessarily issued. Only
// VIES says that: see [VIES.Check]. VIES is often unavailable or throttled
// for one member state; such answers are errors matching [ErrUnavailable],
// never a verdict of "invalid", so that an order waits instead of being
// refused.
//
// The check-digit rules are national; the European Commission does not
// publish them (VIES FAQ Q11). The rules here are those python-stdnum
// collects from national sources, written anew and compared with it on
// random numbers of every member state; one deliberate difference is that
// Belgian check digits 98, 99 and 00 are refused (only 97 − r is issued).
// The doc comment of [Check] lists the rules and says which are not
// independently confirmed.
package vatnumber
