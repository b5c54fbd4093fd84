package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrNotDeadLetter means a DLQ sequence holds no dead letter (never existed,
// replayed or discarded).
var ErrNotDeadLetter = errors.New("pipeline: no dead letter at that sequence")

// DeadLetter is a message a stage gave up on, with why and where from.
type DeadLetter struct {
	Sequence       uint64 // sequence in the DLQ stream
	Subject        string // koppel.dlq.<stage>.<profile>
	Stage          string
	Profile        string
	OriginSubject  string // the stage's input subject it came from
	OriginSequence uint64 // its sequence in ORDERS
	Deliveries     uint64
	Error          string
	Time           time.Time
	Header         nats.Header // the original headers plus the Koppel-Dlq-* ones
	Data           []byte      // the original body, untouched
}

// DeadLetterFilter narrows ListDeadLetters; empty fields match everything.
type DeadLetterFilter struct {
	Stage   string
	Profile string
	// ErrorContains keeps dead letters whose error contains this text
	// (case-insensitive), e.g. "VOR-0002" or "not an order": the error kind.
	ErrorContains string
	// Order keeps the dead letters of one shop order (id or number).
	Order string
	// Since and Until bound the time the message was dead-lettered.
	Since, Until time.Time
	Limit        int // 0: no limit
}

// Scoped reports whether f narrows the dead letters at all; bulk replay
// refuses an unscoped filter.
func (f DeadLetterFilter) Scoped() bool {
	return f.Stage != "" || f.Profile != "" || f.ErrorContains != "" || f.Order != "" || !f.Since.IsZero() || !f.Until.IsZero()
}

func (f DeadLetterFilter) keep(d DeadLetter) bool {
	if f.ErrorContains != "" && !strings.Contains(strings.ToLower(d.Error), strings.ToLower(f.ErrorContains)) {
		return false
	}
	if f.Order != "" && d.Header.Get(HeaderOrder) != f.Order && d.Header.Get(HeaderOrderNumber) != f.Order {
		return false
	}
	if !f.Since.IsZero() && d.Time.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && d.Time.After(f.Until) {
		return false
	}
	return true
}

func (f DeadLetterFilter) subject() string {
	stage, profile := f.Stage, f.Profile
	if stage == "" {
		stage = "*"
	}
	if profile == "" {
		profile = "*"
	}
	return DLQSubject(stage, profile)
}

// ListDeadLetters returns the dead letters matching f, oldest first.
func ListDeadLetters(ctx context.Context, js jetstream.JetStream, f DeadLetterFilter) ([]DeadLetter, error) {
	stream, err := js.Stream(ctx, StreamDLQ)
	if err != nil {
		return nil, fmt.Errorf("pipeline: open DLQ stream: %w", err)
	}
	var out []DeadLetter
	subject := f.subject()
	for seq := uint64(1); f.Limit <= 0 || len(out) < f.Limit; {
		raw, err := stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subject))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("pipeline: read DLQ from %d: %w", seq, err)
		}
		seq = raw.Sequence + 1
		if d := toDeadLetter(raw); f.keep(d) {
			out = append(out, d)
		}
	}
	return out, nil
}

// GetDeadLetter returns the dead letter at DLQ sequence seq.
func GetDeadLetter(ctx context.Context, js jetstream.JetStream, seq uint64) (*DeadLetter, error) {
	stream, err := js.Stream(ctx, StreamDLQ)
	if err != nil {
		return nil, fmt.Errorf("pipeline: open DLQ stream: %w", err)
	}
	raw, err := stream.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, fmt.Errorf("%w: %d", ErrNotDeadLetter, seq)
	}
	if err != nil {
		return nil, fmt.Errorf("pipeline: read DLQ %d: %w", seq, err)
	}
	dl := toDeadLetter(raw)
	return &dl, nil
}

// Replay publishes dead letter seq back to the subject it came from, with its
// original body and headers, so its stage handles it again; then it removes
// the dead letter. The message's earlier copy stays in ORDERS as history; if
// the stage fails again, a new dead letter appears. Replay returns the new
// ORDERS sequence. The replay is recorded in the AUDIT stream with by.
func Replay(ctx context.Context, js jetstream.JetStream, seq uint64, by Actor) (uint64, error) {
	dl, err := GetDeadLetter(ctx, js, seq)
	if err != nil {
		return 0, err
	}
	if dl.OriginSubject == "" {
		return 0, fmt.Errorf("pipeline: dead letter %d has no %s header", seq, HeaderDLQSubject)
	}
	h := nats.Header{}
	for k, v := range dl.Header {
		if strings.HasPrefix(k, "Koppel-Dlq-") || k == HeaderMsgID {
			continue
		}
		h[k] = v
	}
	// A fresh id: the origin's own id is still inside the duplicate window
	// and would be dropped as a duplicate.
	h.Set(HeaderMsgID, "replay:"+strconv.FormatUint(seq, 10)+":"+strconv.FormatInt(time.Now().UnixNano(), 10))
	h.Set(HeaderReplayOf, strconv.FormatUint(seq, 10))
	ack, err := js.PublishMsg(ctx, &nats.Msg{Subject: dl.OriginSubject, Header: h, Data: dl.Data})
	if err != nil {
		return 0, fmt.Errorf("pipeline: replay %d to %s: %w", seq, dl.OriginSubject, err)
	}
	if err := deleteDeadLetter(ctx, js, seq); err != nil {
		return ack.Sequence, fmt.Errorf("pipeline: replayed %d as ORDERS %d but could not remove it: %w", seq, ack.Sequence, err)
	}
	rec := auditOf("replay", dl, by)
	rec.NewSequence = ack.Sequence
	return ack.Sequence, recordAudit(ctx, js, rec)
}

// Discard removes dead letter seq without replaying it. A reason is
// required; the discard is recorded in the AUDIT stream.
func Discard(ctx context.Context, js jetstream.JetStream, seq uint64, by Actor) error {
	if strings.TrimSpace(by.Reason) == "" {
		return errors.New("pipeline: discard needs a reason")
	}
	dl, err := GetDeadLetter(ctx, js, seq)
	if err != nil {
		return err
	}
	if err := deleteDeadLetter(ctx, js, seq); err != nil {
		return err
	}
	return recordAudit(ctx, js, auditOf("discard", dl, by))
}

// ReplayMatching replays every dead letter f selects, oldest first, and
// returns them. With dryRun it only returns what it would replay. It
// refuses a filter that selects everything (f.Scoped() false).
func ReplayMatching(ctx context.Context, js jetstream.JetStream, f DeadLetterFilter, dryRun bool, by Actor) ([]DeadLetter, error) {
	if !f.Scoped() {
		return nil, errors.New("pipeline: bulk replay needs a scope: a stage, profile, error, order or time range")
	}
	dls, err := ListDeadLetters(ctx, js, f)
	if err != nil || dryRun {
		return dls, err
	}
	for i, d := range dls {
		if _, err := Replay(ctx, js, d.Sequence, by); err != nil {
			return dls[:i], err
		}
	}
	return dls, nil
}

func auditOf(action string, dl *DeadLetter, by Actor) AuditRecord {
	order := dl.Header.Get(HeaderOrder)
	if order == "" {
		order = dl.Header.Get(HeaderOrderNumber)
	}
	return AuditRecord{Action: action, DeadLetter: dl.Sequence, Profile: dl.Profile, Stage: dl.Stage, Order: order,
		Error: dl.Error, Actor: by.Name, Reason: by.Reason}
}

func deleteDeadLetter(ctx context.Context, js jetstream.JetStream, seq uint64) error {
	stream, err := js.Stream(ctx, StreamDLQ)
	if err != nil {
		return fmt.Errorf("pipeline: open DLQ stream: %w", err)
	}
	if err := stream.DeleteMsg(ctx, seq); err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return fmt.Errorf("%w: %d", ErrNotDeadLetter, seq)
		}
		return fmt.Errorf("pipeline: delete DLQ %d: %w", seq, err)
	}
	return nil
}

func toDeadLetter(raw *jetstream.RawStreamMsg) DeadLetter {
	h := raw.Header
	dl := DeadLetter{
		Sequence:      raw.Sequence,
		Subject:       raw.Subject,
		Stage:         h.Get(HeaderDLQStage),
		Profile:       ProfileFromSubject(raw.Subject),
		OriginSubject: h.Get(HeaderDLQSubject),
		Error:         h.Get(HeaderDLQError),
		Time:          raw.Time,
		Header:        h,
		Data:          raw.Data,
	}
	dl.OriginSequence, _ = strconv.ParseUint(h.Get(HeaderDLQSequence), 10, 64)
	dl.Deliveries, _ = strconv.ParseUint(h.Get(HeaderDLQDeliveries), 10, 64)
	return dl
}
