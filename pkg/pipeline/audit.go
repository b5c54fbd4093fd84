package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// StreamAudit keeps the record of what people did to dead letters.
const (
	StreamAudit        = "AUDIT"
	SubjectAuditPrefix = "koppel.audit."
)

// Actor is who does an operation on a dead letter, and why.
type Actor struct {
	Name   string // e.g. the admin API token's name or the OS user of the CLI
	Reason string
}

// AuditRecord is one replay or discard, kept in the AUDIT stream.
type AuditRecord struct {
	Sequence    uint64    `json:"-"`
	Time        time.Time `json:"time"`
	Action      string    `json:"action"` // "replay" or "discard"
	DeadLetter  uint64    `json:"dead_letter"`
	Profile     string    `json:"profile"`
	Stage       string    `json:"stage"`
	Order       string    `json:"order,omitempty"`
	Error       string    `json:"error,omitempty"` // the dead letter's error
	Actor       string    `json:"actor,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	NewSequence uint64    `json:"new_sequence,omitempty"` // replay: the ORDERS sequence it was published as
}

func ensureAuditStream(ctx context.Context, js jetstream.JetStream, cfg StreamConfig) error {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamAudit,
		Description: "koppel audit trail: replays and discards of dead letters",
		Subjects:    []string{SubjectAuditPrefix + ">"},
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      365 * 24 * time.Hour,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("pipeline: ensure stream %s: %w", StreamAudit, err)
	}
	return nil
}

func recordAudit(ctx context.Context, js jetstream.JetStream, r AuditRecord) error {
	r.Time = time.Now().UTC()
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	h := nats.Header{}
	h.Set(HeaderProfile, r.Profile)
	if r.Order != "" {
		h.Set(HeaderOrder, r.Order)
	}
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: SubjectAuditPrefix + r.Profile, Header: h, Data: data}); err != nil {
		return fmt.Errorf("pipeline: record %s of dead letter %d: %w", r.Action, r.DeadLetter, err)
	}
	return nil
}

// AuditFor returns the audit records of profile that keep returns true
// for, oldest first.
func AuditFor(ctx context.Context, js jetstream.JetStream, profile string, keep func(AuditRecord) bool) ([]AuditRecord, error) {
	stream, err := js.Stream(ctx, StreamAudit)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pipeline: open %s: %w", StreamAudit, err)
	}
	subject := SubjectAuditPrefix + profile
	if profile == "" {
		subject = SubjectAuditPrefix + "*"
	}
	var out []AuditRecord
	for seq := uint64(1); ; {
		m, err := stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subject))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("pipeline: read %s: %w", StreamAudit, err)
		}
		seq = m.Sequence + 1
		var r AuditRecord
		if err := json.Unmarshal(m.Data, &r); err != nil {
			continue
		}
		r.Sequence = m.Sequence
		if keep == nil || keep(r) {
			out = append(out, r)
		}
	}
}
