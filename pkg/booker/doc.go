// Package booker is the booker stage: it turns a resolved order (a
// koppelv1.OrderEvent with its relatie and artikelen, on
// koppel.order.articles.<profile>) into a SnelStart verkooporder (sales
// order), exactly once per shop order, and publishes the event with its
// Booking (the verkooporder's id, number and totals, and how SnelStart's
// total compares with the shop's) to koppel.order.booked.<profile>.
//
// [Stage] returns the pipeline stage; [Booker.Book] does the work for one
// event and can be called directly. [Settings] are a profile's choices
// (template, betalingskenmerk, description, what order lines carry, where
// addresses come from, cost centre, statuses, charge articles, currency
// conversion); [FromProfile] reads them from the profile's orders: section.
//
// # Exactly once
//
// SnelStart has no idempotency key, so the stage keeps an effect ledger
// (package idempotency) under effect:<profile>:verkooporder:<shop order id>
// and never repeats a POST whose outcome it does not know: it searches
// SnelStart for the order by betalingskenmerk (and koppel's memo tag,
// koppel:<profile>:<shop order id>) first. [Booker] documents the steps;
// docs/booking.md the whole design, with the amounts sent per price entry
// (Inclusief or Exclusief) and the tests that count.
//
// # Logs and metrics
//
// Log lines carry ids only: profile, shop order id, revision, verkooporder
// id and nummer, amounts. The metrics are koppel.booker.orders{profile,
// outcome}, koppel.booker.total_mismatches{profile},
// koppel.booker.unknown_outcomes{profile}, koppel.booker.lookups{profile,
// found} and koppel.booker.duration{profile, outcome}.
package booker
