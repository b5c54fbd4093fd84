package webshop

import (
	"crypto/sha256"
	"encoding/hex"

	"google.golang.org/protobuf/proto"

	"github.com/koppel/koppel/pkg/koppelv1"
)

// stateHashLen is how many hex digits of the state hash a revision with a
// modification time carries: 48 bits, enough that two states of one order
// in one second never meet.
const stateHashLen = 12

// revision returns the canonical order's revision, the last part of its
// message id <profile>:<shop order id>:<revision>. Every adapter sets it
// here, last, once the order is complete.
//
// With a modification time (modified, the shop's own text of o.UpdatedAt,
// used only when UpdatedAt parsed) it is that text, "#" and the first 12
// hex digits of the order's state hash: "2025-03-01T09:05:00#3fa91c0b27d4".
// Without one it is "sha256:" and the whole state hash.
//
// The state hash is the SHA-256 of the canonical order, deterministically
// marshalled, without Raw, Revision, UpdatedAt and koppel's Profile. So
// two states of an order in the same second ("pending" then "processing"
// right after checkout) get two revisions, and one state seen twice (a
// webhook and a poll, whose bodies differ only in what the canonical order
// does not read) gets one. It is the whole order rather than a list of
// fields, so a field a later stage starts to read (refunds, say) is in it
// without anyone remembering to add it here.
func revision(o *koppelv1.Order, modified string) string {
	sum := stateHash(o)
	if o.GetUpdatedAt() == nil || modified == "" {
		return "sha256:" + sum
	}
	return modified + "#" + sum[:stateHashLen]
}

// stateHash is the hex SHA-256 of o without Raw, Revision, UpdatedAt and
// Profile.
func stateHash(o *koppelv1.Order) string {
	c := proto.Clone(o).(*koppelv1.Order)
	c.Raw, c.Revision, c.UpdatedAt, c.Profile = nil, "", nil, ""
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	if err != nil {
		// An Order of plain fields always marshals; should it not, fall
		// back to its text, which still tells states apart.
		b = []byte(c.String())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
