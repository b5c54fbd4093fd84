// Package intake is koppel's webhook receiver: it verifies a shop's
// delivery on the raw bytes and stores it durably in JetStream before the
// shop hears 202.
//
// The request path does no JSON decoding: it checks the signature, checks
// that the body is JSON at all (a scan, not a decode), and publishes the
// untouched bytes to koppel.order.raw.<profile>. Normalizing happens in the
// normalize stage, off the request path.
package intake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/webshop"
)

// Profile is what the receiver knows of one profile: its id and the
// adapter that verifies its deliveries.
type Profile struct {
	ID      string
	Adapter webshop.Adapter
}

// Options configures a Receiver.
type Options struct {
	// Profiles served under /webhooks/{id}.
	Profiles []Profile
	// NC and JS are the bus the receiver stores deliveries on.
	NC *nats.Conn
	JS jetstream.JetStream
	// BodyLimit is the largest body accepted; larger gets 413. Default 1 MiB.
	BodyLimit int64
	// PublishTimeout bounds the wait for JetStream's PubAck; past it the
	// shop gets 503 with Retry-After. Default 5s.
	PublishTimeout time.Duration
	// RetryAfter is the Retry-After value sent with 503. Default 30s.
	RetryAfter time.Duration
	// Logger, default discard. Only ids are logged, never order contents.
	Logger *slog.Logger
	// Meter records requests and latency. Default: no metrics.
	Meter metric.Meter
	// TracerProvider starts a span per delivery; its context (or the one
	// the caller sent in traceparent) travels with the order in NATS
	// headers. Default: otel's global provider.
	TracerProvider trace.TracerProvider
}

// Receiver is the webhook HTTP surface. Create it with New.
type Receiver struct {
	profiles       map[string]Profile
	nc             *nats.Conn
	js             jetstream.JetStream
	bodyLimit      int64
	publishTimeout time.Duration
	retryAfter     string
	log            *slog.Logger
	requests       metric.Int64Counter
	latency        metric.Float64Histogram
	attrs          map[attrKey]metric.MeasurementOption // built once: no per-request allocation
	tracer         trace.Tracer
	router         *mux.Router
}

// New returns a Receiver for o.
func New(o Options) (*Receiver, error) {
	if o.JS == nil || o.NC == nil {
		return nil, errors.New("intake: NC and JS are required")
	}
	r := &Receiver{
		profiles:       make(map[string]Profile, len(o.Profiles)),
		nc:             o.NC,
		js:             o.JS,
		bodyLimit:      o.BodyLimit,
		publishTimeout: o.PublishTimeout,
		log:            o.Logger,
	}
	for _, p := range o.Profiles {
		if p.ID == "" || p.Adapter == nil {
			return nil, fmt.Errorf("intake: profile %q needs an id and an adapter", p.ID)
		}
		r.profiles[p.ID] = p
	}
	if r.bodyLimit <= 0 {
		r.bodyLimit = 1 << 20
	}
	if r.publishTimeout <= 0 {
		r.publishTimeout = 5 * time.Second
	}
	ra := o.RetryAfter
	if ra <= 0 {
		ra = 30 * time.Second
	}
	r.retryAfter = strconv.Itoa(int(ra.Seconds()))
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	meter := o.Meter
	if meter == nil {
		meter = noop.NewMeterProvider().Meter("")
	}
	var err error
	if r.requests, err = meter.Int64Counter("koppel.webhook.requests",
		metric.WithDescription("Webhook deliveries by profile and outcome")); err != nil {
		return nil, err
	}
	if r.latency, err = meter.Float64Histogram("koppel.webhook.duration", metric.WithUnit("s"),
		metric.WithDescription("Time from request to answer"),
		metric.WithExplicitBucketBoundaries(.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 5)); err != nil {
		return nil, err
	}
	r.buildAttrs()
	tp := o.TracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	r.tracer = tp.Tracer("github.com/koppel/koppel/pkg/intake")
	r.router = mux.NewRouter()
	r.router.HandleFunc("/webhooks/{profile}", r.webhook).Methods(http.MethodPost)
	r.router.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	}).Methods(http.MethodGet)
	r.router.HandleFunc("/readyz", r.ready).Methods(http.MethodGet)
	return r, nil
}

// Router returns the receiver's router so a process can add routes
// (/metrics, the admin API) to the same listener.
func (r *Receiver) Router() *mux.Router { return r.router }

// ServeHTTP serves the webhook, health and readiness routes.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) { r.router.ServeHTTP(w, req) }

// Outcomes recorded on koppel.webhook.requests.
const (
	outcomeStored         = "stored"
	outcomeDuplicate      = "duplicate"
	outcomePing           = "ping"
	outcomeBadSignature   = "bad_signature"
	outcomeUnknownProfile = "unknown_profile"
	outcomeTooLarge       = "too_large"
	outcomeNotJSON        = "not_json"
	outcomeUnavailable    = "unavailable"
	outcomeReadError      = "read_error"
)

// storedBody is the 202 body, {"status":"stored","seq":N} plus
// "duplicate":true when JetStream already had the delivery; written by hand
// because it is on every request.
func storedBody(seq uint64, duplicate bool) []byte {
	b := make([]byte, 0, 64)
	b = append(b, `{"status":"stored","seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	if duplicate {
		b = append(b, `,"duplicate":true`...)
	}
	return append(b, "}\n"...)
}

func (r *Receiver) webhook(w http.ResponseWriter, req *http.Request) {
	start := time.Now()
	id := mux.Vars(req)["profile"]
	p, ok := r.profiles[id]
	if !ok {
		r.finish(req.Context(), start, "unknown", outcomeUnknownProfile)
		httpError(w, http.StatusNotFound, "unknown profile")
		return
	}
	body, err := readBody(w, req, r.bodyLimit)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			r.finish(req.Context(), start, id, outcomeTooLarge)
			httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", r.bodyLimit))
			return
		}
		r.finish(req.Context(), start, id, outcomeReadError)
		httpError(w, http.StatusBadRequest, "could not read body")
		return
	}
	kind, err := p.Adapter.Verify(req.Header, body)
	if err != nil {
		r.finish(req.Context(), start, id, outcomeBadSignature)
		r.log.Warn("webhook rejected", "profile", id, "reason", err.Error(), "remote", req.RemoteAddr)
		httpError(w, http.StatusUnauthorized, "missing or invalid signature")
		return
	}
	if kind == webshop.KindPing {
		r.finish(req.Context(), start, id, outcomePing)
		w.WriteHeader(http.StatusOK)
		return
	}
	if !validJSON(body) {
		r.finish(req.Context(), start, id, outcomeNotJSON)
		httpError(w, http.StatusBadRequest, "body is not JSON")
		return
	}

	ctx := httpTrace.Extract(req.Context(), propagation.HeaderCarrier(req.Header))
	ctx, span := r.tracer.Start(ctx, "koppel.receive", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("koppel.profile", id)))
	defer span.End()

	msg := &nats.Msg{Subject: pipeline.OrderSubject(pipeline.StepRaw, id), Data: body, Header: nats.Header{}}
	msg.Header.Set(pipeline.HeaderMsgID, RawMsgID(id, body))
	msg.Header.Set(pipeline.HeaderProfile, id)
	msg.Header.Set(pipeline.HeaderPlatform, string(p.Adapter.Platform()))
	msg.Header.Set(pipeline.HeaderSource, "webhook")
	for k, v := range p.Adapter.DeliveryHeaders(req.Header) {
		msg.Header.Set(pipeline.HeaderDeliveryPrefix+k, v)
	}
	pipeline.InjectTrace(ctx, msg.Header)

	if r.nc.Status() != nats.CONNECTED {
		span.SetStatus(codes.Error, "not connected to NATS")
		r.unavailable(w, req, start, id, errors.New("not connected to NATS"))
		return
	}
	pctx, cancel := context.WithTimeout(ctx, r.publishTimeout)
	ack, err := r.js.PublishMsg(pctx, msg)
	cancel()
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		r.unavailable(w, req, start, id, err)
		return
	}
	outcome := outcomeStored
	if ack.Duplicate {
		outcome = outcomeDuplicate
	}
	r.finish(req.Context(), start, id, outcome)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	w.Write(storedBody(ack.Sequence, ack.Duplicate))
}

func (r *Receiver) unavailable(w http.ResponseWriter, req *http.Request, start time.Time, id string, err error) {
	r.finish(req.Context(), start, id, outcomeUnavailable)
	r.log.Error("webhook not stored; answering 503", "profile", id, "err", err)
	w.Header().Set("Retry-After", r.retryAfter)
	httpError(w, http.StatusServiceUnavailable, "could not store the delivery; retry later")
}

// ready reports 200 when the bus connection is up and JetStream answers.
func (r *Receiver) ready(w http.ResponseWriter, req *http.Request) {
	if r.nc.Status() != nats.CONNECTED {
		httpError(w, http.StatusServiceUnavailable, "nats: "+r.nc.Status().String())
		return
	}
	ctx, cancel := context.WithTimeout(req.Context(), 2*time.Second)
	defer cancel()
	if _, err := r.js.Stream(ctx, pipeline.StreamOrders); err != nil {
		httpError(w, http.StatusServiceUnavailable, "jetstream: "+err.Error())
		return
	}
	w.Write([]byte("ready\n"))
}

type attrKey struct{ profile, outcome string }

var outcomes = []string{outcomeStored, outcomeDuplicate, outcomePing, outcomeBadSignature, outcomeUnknownProfile,
	outcomeTooLarge, outcomeNotJSON, outcomeUnavailable, outcomeReadError}

func (r *Receiver) buildAttrs() {
	r.attrs = make(map[attrKey]metric.MeasurementOption)
	ids := []string{"unknown"}
	for id := range r.profiles {
		ids = append(ids, id)
	}
	for _, id := range ids {
		for _, o := range outcomes {
			r.attrs[attrKey{id, o}] = metric.WithAttributeSet(attribute.NewSet(
				attribute.String("profile", id), attribute.String("outcome", o)))
		}
	}
}

func (r *Receiver) finish(ctx context.Context, start time.Time, profile, outcome string) {
	attrs := r.attrs[attrKey{profile, outcome}]
	r.requests.Add(ctx, 1, attrs)
	r.latency.Record(ctx, time.Since(start).Seconds(), attrs)
}

// httpTrace reads W3C trace context a caller sent with the delivery.
var httpTrace = propagation.TraceContext{}

// RawMsgID returns the Nats-Msg-Id of a raw delivery: a hash of profile and
// body, so the same delivery sent twice is stored once.
func RawMsgID(profile string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(profile))
	h.Write([]byte{0})
	h.Write(body)
	return "raw:" + hex.EncodeToString(h.Sum(nil))
}

// readBody reads the whole body up to limit bytes; more yields a
// *http.MaxBytesError.
func readBody(w http.ResponseWriter, req *http.Request, limit int64) ([]byte, error) {
	if req.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	rd := http.MaxBytesReader(w, req.Body, limit)
	size := req.ContentLength
	if size < 0 || size > limit {
		size = 4096
	}
	buf := make([]byte, 0, size+1)
	for {
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			if errors.Is(err, io.EOF) {
				return buf, nil
			}
			return nil, err
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
