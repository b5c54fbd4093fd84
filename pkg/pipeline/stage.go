package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// ErrPermanent marks an error that retrying cannot fix: the message goes to
// the DLQ at once. Wrap with Permanent, test with errors.Is.
var ErrPermanent = errors.New("permanent")

// Permanent wraps err so that errors.Is(err, ErrPermanent) holds and the
// stage dead-letters the message instead of retrying it. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string        { return e.err.Error() }
func (e *permanentError) Unwrap() error        { return e.err }
func (e *permanentError) Is(target error) bool { return target == ErrPermanent }

// Later wraps err (a transient wait, such as a claim held by another
// worker) so the stage retries the message after d without counting the
// delivery against MaxDeliver: waiting for someone else is not failing.
// A message that keeps waiting past the stage's MaxWait is dead-lettered.
func Later(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &laterError{err: err, delay: d}
}

type laterError struct {
	err   error
	delay time.Duration
}

func (e *laterError) Error() string { return e.err.Error() }
func (e *laterError) Unwrap() error { return e.err }

// Message is one delivery of a stream message to a stage handler.
type Message struct {
	Subject   string
	Profile   string // last token of Subject
	Header    nats.Header
	Data      []byte
	Sequence  uint64 // stream sequence in ORDERS
	Delivered uint64 // 1 on the first delivery
}

// Output is the message a handler wants published next. MsgID is required:
// it becomes Nats-Msg-Id, so a redelivered input publishes its output once.
type Output struct {
	Subject string
	MsgID   string
	Header  nats.Header
	Data    []byte
}

// Handler does a stage's work on one message. It returns the next message
// to publish (nil when there is nothing to forward), or an error: a
// transient error is retried later, one wrapping ErrPermanent is
// dead-lettered. A Handler never settles the message itself.
type Handler func(ctx context.Context, m *Message) (*Output, error)

// Backoff shapes the delay before a transient failure is retried. The delay
// for the n-th delivery is the n-th step of an exponential backoff.
type Backoff struct {
	Initial    time.Duration // default 1s
	Max        time.Duration // default 5m
	Multiplier float64       // default 2
	Jitter     float64       // randomization factor, default 0.2
}

// Delay returns the wait after the given (1-based) failed delivery.
func (b Backoff) Delay(delivered uint64) time.Duration {
	eb := &backoff.ExponentialBackOff{
		InitialInterval:     b.Initial,
		RandomizationFactor: b.Jitter,
		Multiplier:          b.Multiplier,
		MaxInterval:         b.Max,
	}
	if eb.InitialInterval <= 0 {
		eb.InitialInterval = time.Second
	}
	if eb.MaxInterval <= 0 {
		eb.MaxInterval = 5 * time.Minute
	}
	if eb.Multiplier < 1 {
		eb.Multiplier = 2
	}
	if eb.RandomizationFactor < 0 || eb.RandomizationFactor > 1 {
		eb.RandomizationFactor = 0.2
	}
	eb.Reset()
	d := eb.NextBackOff()
	for i := uint64(1); i < delivered && i < 64; i++ {
		d = eb.NextBackOff()
	}
	return d
}

// Stage is one pipeline step: a durable pull consumer on the ORDERS stream
// whose messages go through Handler and are then settled.
type Stage struct {
	// Name identifies the stage in its durable consumer ("koppel-<Name>"),
	// in DLQ subjects (koppel.dlq.<Name>.<profile>) and in telemetry.
	Name string
	// Filter is the input subject filter, e.g. OrderFilter(StepRaw).
	Filter string
	// Handler does the work.
	Handler Handler
	// MaxDeliver is the number of deliveries before a transiently failing
	// message is dead-lettered. Default 8.
	MaxDeliver int
	// Workers bounds how many messages are handled at once. Default 8.
	Workers int
	// AckWait is how long JetStream waits for a settlement before it
	// redelivers. Default 30s.
	AckWait time.Duration
	// Backoff shapes the nak delays.
	Backoff Backoff
	// MaxWait bounds how long a message may keep asking to be retried
	// Later (counted from its first delivery in this process) before it is
	// dead-lettered. Default 30m.
	MaxWait time.Duration
	// ShutdownTimeout bounds how long Run waits for in-flight messages
	// after its context ends. Default 30s.
	ShutdownTimeout time.Duration
	// Logger receives settlement failures and dead letters. Default: discard.
	Logger *slog.Logger
	// TracerProvider starts a span per message. Default: otel's global.
	TracerProvider trace.TracerProvider
}

// Run consumes until ctx ends, then drains: it stops fetching, lets
// in-flight and buffered messages finish (bounded by ShutdownTimeout) and
// returns nil. It returns an error when the consumer cannot be created.
func (s *Stage) Run(ctx context.Context, js jetstream.JetStream) error {
	r, err := s.newRunner(js)
	if err != nil {
		return err
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, StreamOrders, jetstream.ConsumerConfig{
		Durable:       "koppel-" + s.Name,
		Description:   "koppel stage " + s.Name,
		FilterSubject: s.Filter,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       r.ackWait,
		MaxDeliver:    -1, // the runner dead-letters at MaxDeliver itself
		MaxAckPending: r.workers * 4,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("pipeline: stage %s: create consumer: %w", s.Name, err)
	}

	// Handlers run on a context that outlives ctx so a drain can finish
	// the messages already taken; ShutdownTimeout bounds that.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	sem := make(chan struct{}, r.workers)
	var wg sync.WaitGroup
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			r.process(workCtx, msg)
		}()
	}, jetstream.PullMaxMessages(r.workers*2), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		r.log.Debug("consume", "stage", s.Name, "err", err)
	}))
	if err != nil {
		return fmt.Errorf("pipeline: stage %s: consume: %w", s.Name, err)
	}
	<-ctx.Done()
	cc.Drain()
	done := make(chan struct{})
	go func() { <-cc.Closed(); wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(r.shutdownTimeout):
		r.log.Warn("stage shutdown timed out; unfinished messages will be redelivered", "stage", s.Name)
		cancelWork()
	}
	return nil
}

type runner struct {
	stage           *Stage
	js              jetstream.JetStream
	log             *slog.Logger
	tracer          trace.Tracer
	maxDeliver      uint64
	maxWait         time.Duration
	waits           sync.Map // stream seq → *waitState: deliveries spent waiting (Later)
	workers         int
	ackWait         time.Duration
	shutdownTimeout time.Duration
}

func (s *Stage) newRunner(js jetstream.JetStream) (*runner, error) {
	if s.Name == "" || s.Filter == "" || s.Handler == nil {
		return nil, errors.New("pipeline: stage needs Name, Filter and Handler")
	}
	r := &runner{stage: s, js: js, log: s.Logger, maxDeliver: uint64(s.MaxDeliver), workers: s.Workers,
		ackWait: s.AckWait, shutdownTimeout: s.ShutdownTimeout}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	tp := s.TracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	r.tracer = tp.Tracer("github.com/koppel/koppel/pkg/pipeline")
	if r.maxDeliver == 0 {
		r.maxDeliver = 8
	}
	r.maxWait = s.MaxWait
	if r.maxWait <= 0 {
		r.maxWait = 30 * time.Minute
	}
	if r.workers <= 0 {
		r.workers = 8
	}
	if r.ackWait <= 0 {
		r.ackWait = 30 * time.Second
	}
	if r.shutdownTimeout <= 0 {
		r.shutdownTimeout = 30 * time.Second
	}
	return r, nil
}

// process runs the handler on one delivery and settles it.
func (r *runner) process(ctx context.Context, msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		r.log.Error("message without metadata; terminating", "stage", r.stage.Name, "subject", msg.Subject(), "err", err)
		_ = msg.Term()
		return
	}
	m := &Message{
		Subject:   msg.Subject(),
		Profile:   ProfileFromSubject(msg.Subject()),
		Header:    msg.Headers(),
		Data:      msg.Data(),
		Sequence:  meta.Sequence.Stream,
		Delivered: meta.NumDelivered,
	}
	ctx = ExtractTrace(ctx, m.Header)
	ctx, span := r.tracer.Start(ctx, "koppel."+r.stage.Name, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("messaging.destination.name", m.Subject),
			attribute.Int64("messaging.message.delivery_count", int64(m.Delivered)),
			attribute.String("koppel.profile", m.Profile),
		))
	defer span.End()

	hctx, cancel := context.WithTimeout(ctx, r.ackWait)
	out, herr := r.call(hctx, m)
	cancel()
	if herr != nil {
		span.RecordError(herr)
		span.SetStatus(codes.Error, herr.Error())
	}
	r.settle(ctx, msg, m, out, herr)
}

// call runs the handler, turning a panic into a permanent error so one bad
// payload cannot take the worker down.
func (r *runner) call(ctx context.Context, m *Message) (out *Output, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, Permanent(fmt.Errorf("handler panic: %v", p))
		}
	}()
	return r.stage.Handler(ctx, m)
}

// settle is the one place a message is acked, naked or terminated.
//
//   - success: publish the output (if any) and ack after its PubAck;
//   - transient error, or a failed publish: nak with a backoff delay that
//     grows with the delivery count;
//   - permanent error, or the last allowed delivery: copy to the DLQ, then
//     terminate. A failed DLQ publish naks instead, so nothing is lost.
func (r *runner) settle(ctx context.Context, msg jetstream.Msg, m *Message, out *Output, herr error) {
	if herr == nil && out != nil {
		if err := r.publish(ctx, out, m.Delivered); err != nil {
			herr = err
		}
	}
	var later *laterError
	if herr != nil && errors.As(herr, &later) && !errors.Is(herr, ErrPermanent) {
		v, _ := r.waits.LoadOrStore(m.Sequence, &waitState{since: time.Now()})
		w := v.(*waitState)
		w.mu.Lock()
		w.count++
		waited := time.Since(w.since)
		w.mu.Unlock()
		if waited < r.maxWait {
			delay := min(max(later.delay, 10*time.Millisecond), time.Minute)
			r.log.Debug("waiting", "stage", r.stage.Name, "profile", m.Profile, "seq", m.Sequence, "delay", delay, "reason", herr)
			if err := msg.NakWithDelay(delay); err != nil {
				r.log.Warn("nak failed; AckWait will redeliver", "stage", r.stage.Name, "seq", m.Sequence, "err", err)
			}
			return
		}
		herr = Permanent(fmt.Errorf("still waiting after %s: %w", waited.Round(time.Second), herr))
	}
	if herr == nil || errors.Is(herr, ErrPermanent) {
		r.waits.Delete(m.Sequence)
	}
	if herr == nil {
		if err := msg.Ack(); err != nil {
			// The output is published with a Nats-Msg-Id, so the redelivery
			// this causes publishes nothing twice.
			r.log.Warn("ack failed", "stage", r.stage.Name, "seq", m.Sequence, "err", err)
		}
		return
	}
	if !errors.Is(herr, ErrPermanent) && m.Delivered-r.waited(m.Sequence) < r.maxDeliver {
		delay := r.stage.Backoff.Delay(m.Delivered)
		r.log.Info("retrying", "stage", r.stage.Name, "profile", m.Profile, "seq", m.Sequence,
			"delivered", m.Delivered, "delay", delay, "err", herr)
		if err := msg.NakWithDelay(delay); err != nil {
			r.log.Warn("nak failed; AckWait will redeliver", "stage", r.stage.Name, "seq", m.Sequence, "err", err)
		}
		return
	}
	if err := r.deadLetter(ctx, m, herr); err != nil {
		r.log.Error("dead-letter publish failed; retrying", "stage", r.stage.Name, "seq", m.Sequence, "err", err)
		_ = msg.NakWithDelay(r.stage.Backoff.Delay(m.Delivered))
		return
	}
	r.log.Warn("dead-lettered", "stage", r.stage.Name, "profile", m.Profile, "seq", m.Sequence,
		"delivered", m.Delivered, "err", herr)
	if err := msg.TermWithReason(truncate(herr.Error(), 200)); err != nil {
		r.log.Warn("term failed", "stage", r.stage.Name, "seq", m.Sequence, "err", err)
	}
}

type waitState struct {
	mu    sync.Mutex
	since time.Time
	count uint64
}

// waited returns how many deliveries of seq were spent waiting (Later).
func (r *runner) waited(seq uint64) uint64 {
	v, ok := r.waits.Load(seq)
	if !ok {
		return 0
	}
	w := v.(*waitState)
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.count
}

func (r *runner) publish(ctx context.Context, out *Output, attempts uint64) error {
	if out.MsgID == "" || out.Subject == "" {
		return Permanent(fmt.Errorf("stage %s: output needs Subject and MsgID", r.stage.Name))
	}
	h := nats.Header{}
	for k, v := range out.Header {
		h[k] = v
	}
	h.Set(HeaderMsgID, out.MsgID)
	h.Set(HeaderAttempts, strconv.FormatUint(attempts, 10))
	InjectTrace(ctx, h)
	pctx, cancel := context.WithTimeout(ctx, r.ackWait/2)
	defer cancel()
	if _, err := r.js.PublishMsg(pctx, &nats.Msg{Subject: out.Subject, Header: h, Data: out.Data}); err != nil {
		return fmt.Errorf("publish to %s: %w", out.Subject, err)
	}
	return nil
}

func (r *runner) deadLetter(ctx context.Context, m *Message, cause error) error {
	h := nats.Header{}
	for k, v := range m.Header {
		if k == HeaderMsgID {
			continue
		}
		h[k] = v
	}
	seq := strconv.FormatUint(m.Sequence, 10)
	h.Set(HeaderMsgID, "dlq:"+r.stage.Name+":"+seq)
	h.Set(HeaderDLQStage, r.stage.Name)
	h.Set(HeaderDLQSubject, m.Subject)
	h.Set(HeaderDLQSequence, seq)
	h.Set(HeaderDLQDeliveries, strconv.FormatUint(m.Delivered, 10))
	h.Set(HeaderDLQError, truncate(cause.Error(), 4000))
	h.Set(HeaderDLQTime, time.Now().UTC().Format(time.RFC3339Nano))
	pctx, cancel := context.WithTimeout(ctx, r.ackWait/2)
	defer cancel()
	_, err := r.js.PublishMsg(pctx, &nats.Msg{Subject: DLQSubject(r.stage.Name, m.Profile), Header: h, Data: m.Data})
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
