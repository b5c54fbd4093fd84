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
	Limit   int // 0: no limit
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
		out = append(out, toDeadLetter(raw))
		seq = raw.Sequence + 1
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
// ORDERS sequence.
func Replay(ctx context.Context, js jetstream.JetStream, seq uint64) (uint64, error) {
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
	h.Set("Koppel-Replay-Of", strconv.FormatUint(seq, 10))
	ack, err := js.PublishMsg(ctx, &nats.Msg{Subject: dl.OriginSubject, Header: h, Data: dl.Data})
	if err != nil {
		return 0, fmt.Errorf("pipeline: replay %d to %s: %w", seq, dl.OriginSubject, err)
	}
	if err := Discard(ctx, js, seq); err != nil {
		return ack.Sequence, fmt.Errorf("pipeline: replayed %d as ORDERS %d but could not remove it: %w", seq, ack.Sequence, err)
	}
	return ack.Sequence, nil
}

// Discard removes dead letter seq without replaying it.
func Discard(ctx context.Context, js jetstream.JetStream, seq uint64) error {
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
