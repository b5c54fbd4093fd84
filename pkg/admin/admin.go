// Package admin serves koppel's admin API under /admin/v1: profiles without
// secrets, order timelines, dead-letter operations, pipeline health and the
// profiles' tasks. Every request needs the configured bearer token; with no
// token configured the API is off (403), never open.
//
// Errors are JSON {"error": "..."} with a 4xx status that says what was
// wrong with the request; a 5xx means koppel itself failed.
package admin

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/profile"
	"github.com/koppel/koppel/pkg/timeline"
)

// Tasks is what the admin API needs from the scheduler: the profiles'
// tasks with their last and next runs, and run-now.
type Tasks interface {
	List() []TaskStatus
	RunNow(profile, task string) error
}

// TaskStatus is one scheduled task of a profile.
type TaskStatus struct {
	Profile  string        `json:"profile"`
	Task     string        `json:"task"`
	Interval time.Duration `json:"interval_ns"`
	Every    string        `json:"every"`
	Running  bool          `json:"running"`
	LastRun  time.Time     `json:"last_run,omitzero"`
	LastOK   bool          `json:"last_ok"`
	LastNote string        `json:"last_note,omitempty"` // outcome, e.g. "12 orders, 3 pages" or the error
	NextRun  time.Time     `json:"next_run,omitzero"`
}

// ErrUnknownTask is returned by Tasks.RunNow for a profile or task that
// does not exist.
var ErrUnknownTask = errors.New("admin: unknown task")

// Options configures the admin API.
type Options struct {
	Token  string // bearer token; empty turns the API off
	Config *profile.Config
	JS     jetstream.JetStream
	Tasks  Tasks // nil: no tasks yet
	// Import starts a manual import of profile's orders modified since
	// since, in the background. Optional: nil answers 404.
	Import func(profile string, since time.Time) error
	// Health adds fields to /health, e.g. SnelStart rate-limit use per
	// administration. Optional.
	Health func(ctx context.Context) map[string]any
	Logger *slog.Logger
}

// API is the admin HTTP API.
type API struct {
	o   Options
	log *slog.Logger
}

// New returns the admin API.
func New(o Options) *API {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &API{o: o, log: log}
}

// Register adds the routes under /admin/v1 to r.
func (a *API) Register(r *mux.Router) {
	s := r.PathPrefix("/admin/v1").Subrouter()
	s.Use(a.auth)
	s.HandleFunc("/profiles", a.profiles).Methods(http.MethodGet)
	s.HandleFunc("/orders", a.recentOrders).Methods(http.MethodGet)
	s.HandleFunc("/orders/{profile}/{order}", a.order).Methods(http.MethodGet)
	s.HandleFunc("/dlq", a.dlqList).Methods(http.MethodGet)
	s.HandleFunc("/dlq/replay", a.dlqBulkReplay).Methods(http.MethodPost)
	s.HandleFunc("/dlq/{seq}", a.dlqShow).Methods(http.MethodGet)
	s.HandleFunc("/dlq/{seq}/replay", a.dlqReplay).Methods(http.MethodPost)
	s.HandleFunc("/dlq/{seq}/discard", a.dlqDiscard).Methods(http.MethodPost)
	s.HandleFunc("/health", a.health).Methods(http.MethodGet)
	s.HandleFunc("/tasks", a.tasks).Methods(http.MethodGet)
	s.HandleFunc("/tasks/{profile}/{task}/run", a.runTask).Methods(http.MethodPost)
	s.HandleFunc("/import", a.startImport).Methods(http.MethodPost)
	s.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "no such admin endpoint")
	})
}

// Authorized reports whether r carries the admin token (a bearer header or,
// for the dashboard, the koppel_token cookie).
func (a *API) Authorized(r *http.Request) bool {
	if a.o.Token == "" {
		return false
	}
	got := ""
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		got = strings.TrimPrefix(h, "Bearer ")
	} else if c, err := r.Cookie(TokenCookie); err == nil {
		got = c.Value
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(a.o.Token)) == 1
}

// TokenCookie is the cookie the dashboard keeps the admin token in.
const TokenCookie = "koppel_token"

func (a *API) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.o.Token == "" {
			writeError(w, http.StatusForbidden, "the admin API is off: set server.admin_token")
			return
		}
		if !a.Authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="koppel"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (a *API) profiles(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, a.o.Config.Redacted().Profiles)
}

// OrderView is an order's timeline plus its newest canonical event.
type OrderView struct {
	*timeline.Timeline
	Latest json.RawMessage `json:"latest,omitempty"` // protojson of the newest OrderEvent, raw body left out
}

func (a *API) order(w http.ResponseWriter, r *http.Request) {
	v := mux.Vars(r)
	if _, ok := a.o.Config.Profile(v["profile"]); !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("unknown profile %q", v["profile"]))
		return
	}
	tl, err := timeline.Build(r.Context(), a.o.JS, v["profile"], v["order"])
	if errors.Is(err, timeline.ErrNotFound) {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, OrderView{Timeline: tl, Latest: eventJSON(tl.Latest)})
}

func (a *API) recentOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := intParam(q.Get("limit"), 50, 500)
	if err != nil {
		writeError(w, http.StatusBadRequest, "limit: "+err.Error())
		return
	}
	if p := q.Get("profile"); p != "" {
		if _, ok := a.o.Config.Profile(p); !ok {
			writeError(w, http.StatusNotFound, fmt.Sprintf("unknown profile %q", p))
			return
		}
	}
	attention, err := boolParam(q.Get("attention"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "attention: "+err.Error())
		return
	}
	orders, err := timeline.RecentMatching(r.Context(), a.o.JS, timeline.RecentFilter{Profile: q.Get("profile"), Limit: limit, Attention: attention})
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, orders)
}

// DeadLetterView is a dead letter as the API shows it.
type DeadLetterView struct {
	Sequence       uint64            `json:"seq"`
	Time           time.Time         `json:"time"`
	Stage          string            `json:"stage"`
	Profile        string            `json:"profile"`
	Order          string            `json:"order,omitempty"`
	OrderNumber    string            `json:"order_number,omitempty"`
	OriginSubject  string            `json:"origin_subject"`
	OriginSequence uint64            `json:"origin_seq"`
	Deliveries     uint64            `json:"deliveries"`
	Error          string            `json:"error"`
	Held           bool              `json:"held,omitempty"` // the booker held the order: it needs attention`
	Headers        map[string]string `json:"headers,omitempty"`
	Event          json.RawMessage   `json:"event,omitempty"` // protojson, for stage messages
	Raw            string            `json:"raw,omitempty"`   // the shop's body, for order.raw messages
}

func viewOf(d pipeline.DeadLetter, full bool) DeadLetterView {
	v := DeadLetterView{Sequence: d.Sequence, Time: d.Time, Stage: d.Stage, Profile: d.Profile,
		Order: d.Header.Get(pipeline.HeaderOrder), OrderNumber: d.Header.Get(pipeline.HeaderOrderNumber),
		OriginSubject: d.OriginSubject, OriginSequence: d.OriginSequence, Deliveries: d.Deliveries, Error: d.Error}
	_, v.Held = timeline.Held(d.Error)
	if !full {
		return v
	}
	v.Headers = map[string]string{}
	for k, vals := range d.Header {
		if !strings.HasPrefix(k, "Koppel-Dlq-") && len(vals) > 0 {
			v.Headers[k] = vals[0]
		}
	}
	if strings.Contains(d.OriginSubject, "."+pipeline.StepRaw+".") {
		v.Raw = string(d.Data)
	} else {
		ev := &koppelv1.OrderEvent{}
		if proto.Unmarshal(d.Data, ev) == nil {
			v.Event = eventJSON(ev)
		}
	}
	return v
}

func (a *API) filter(r *http.Request) (pipeline.DeadLetterFilter, error) {
	q := r.URL.Query()
	f := pipeline.DeadLetterFilter{Stage: q.Get("stage"), Profile: q.Get("profile"), ErrorContains: q.Get("error"), Order: q.Get("order")}
	var err error
	if f.Limit, err = intParam(q.Get("limit"), 0, 10000); err != nil {
		return f, fmt.Errorf("limit: %w", err)
	}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if s := q.Get(name); s != "" {
			if *dst, err = time.Parse(time.RFC3339, s); err != nil {
				return f, fmt.Errorf("%s: %q is not an RFC 3339 time such as 2026-11-29T10:00:00Z", name, s)
			}
		}
	}
	return f, nil
}

func (a *API) dlqList(w http.ResponseWriter, r *http.Request) {
	f, err := a.filter(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	dls, err := pipeline.ListDeadLetters(r.Context(), a.o.JS, f)
	if err != nil {
		a.fail(w, err)
		return
	}
	out := make([]DeadLetterView, 0, len(dls))
	for _, d := range dls {
		out = append(out, viewOf(d, false))
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) dlqShow(w http.ResponseWriter, r *http.Request) {
	seq, ok := seqParam(w, r)
	if !ok {
		return
	}
	d, err := pipeline.GetDeadLetter(r.Context(), a.o.JS, seq)
	if errors.Is(err, pipeline.ErrNotDeadLetter) {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, viewOf(*d, true))
}

// ActionRequest is the body of replay and discard.
type ActionRequest struct {
	Reason string `json:"reason"`
}

func (a *API) dlqReplay(w http.ResponseWriter, r *http.Request) {
	seq, ok := seqParam(w, r)
	if !ok {
		return
	}
	var req ActionRequest
	if !readBody(w, r, &req, true) {
		return
	}
	to, err := pipeline.Replay(r.Context(), a.o.JS, seq, a.actor(r, req.Reason))
	if errors.Is(err, pipeline.ErrNotDeadLetter) {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"replayed": seq, "orders_seq": to})
}

func (a *API) dlqDiscard(w http.ResponseWriter, r *http.Request) {
	seq, ok := seqParam(w, r)
	if !ok {
		return
	}
	var req ActionRequest
	if !readBody(w, r, &req, false) {
		return
	}
	if strings.TrimSpace(req.Reason) == "" {
		writeError(w, http.StatusBadRequest, `discard needs a reason: {"reason": "..."}`)
		return
	}
	err := pipeline.Discard(r.Context(), a.o.JS, seq, a.actor(r, req.Reason))
	if errors.Is(err, pipeline.ErrNotDeadLetter) {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"discarded": seq})
}

// BulkReplayRequest selects dead letters to replay. At least one of the
// filter fields is required.
type BulkReplayRequest struct {
	Stage   string    `json:"stage"`
	Profile string    `json:"profile"`
	Error   string    `json:"error"`
	Order   string    `json:"order"`
	Since   time.Time `json:"since,omitzero"`
	Until   time.Time `json:"until,omitzero"`
	DryRun  bool      `json:"dry_run"`
	Reason  string    `json:"reason"`
}

func (a *API) dlqBulkReplay(w http.ResponseWriter, r *http.Request) {
	var req BulkReplayRequest
	if !readBody(w, r, &req, false) {
		return
	}
	f := pipeline.DeadLetterFilter{Stage: req.Stage, Profile: req.Profile, ErrorContains: req.Error, Order: req.Order, Since: req.Since, Until: req.Until}
	if !f.Scoped() {
		writeError(w, http.StatusBadRequest, "bulk replay needs a scope: stage, profile, error, order, since or until")
		return
	}
	dls, err := pipeline.ReplayMatching(r.Context(), a.o.JS, f, req.DryRun, a.actor(r, req.Reason))
	out := make([]DeadLetterView, 0, len(dls))
	for _, d := range dls {
		out = append(out, viewOf(d, false))
	}
	if err != nil {
		a.log.Error("bulk replay stopped", "replayed", len(out), "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error(), "replayed": out})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"dry_run": req.DryRun, "count": len(out), "dead_letters": out})
}

// StageHealth is one consumer's backlog.
type StageHealth struct {
	Consumer    string `json:"consumer"`
	Filter      string `json:"filter"`
	Pending     uint64 `json:"pending"`     // not yet delivered: the lag
	AckPending  int    `json:"ack_pending"` // delivered, being worked on
	Redelivered int    `json:"redelivered"` // delivered more than once, not yet settled
	LastActive  string `json:"last_active,omitempty"`
}

func (a *API) health(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	out := map[string]any{}
	st, err := a.o.JS.Stream(ctx, pipeline.StreamOrders)
	if err != nil {
		a.fail(w, err)
		return
	}
	var stages []StageHealth
	for info := range st.ListConsumers(ctx).Info() {
		h := StageHealth{Consumer: info.Name, Filter: info.Config.FilterSubject, Pending: info.NumPending,
			AckPending: info.NumAckPending, Redelivered: info.NumRedelivered}
		if info.Delivered.Last != nil {
			h.LastActive = info.Delivered.Last.UTC().Format(time.RFC3339)
		}
		stages = append(stages, h)
	}
	out["stages"] = stages
	dls, err := pipeline.ListDeadLetters(ctx, a.o.JS, pipeline.DeadLetterFilter{})
	if err != nil {
		a.fail(w, err)
		return
	}
	byStage := map[string]int{}
	for _, d := range dls {
		byStage[d.Profile+"/"+d.Stage]++
	}
	out["dlq"] = map[string]any{"total": len(dls), "by_profile_stage": byStage}
	if info, err := st.Info(ctx); err == nil {
		out["orders_stream"] = map[string]any{"messages": info.State.Msgs, "bytes": info.State.Bytes}
	}
	if a.o.Health != nil {
		for k, v := range a.o.Health(ctx) {
			out[k] = v
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) tasks(w http.ResponseWriter, _ *http.Request) {
	if a.o.Tasks == nil {
		writeJSON(w, http.StatusOK, []TaskStatus{})
		return
	}
	writeJSON(w, http.StatusOK, a.o.Tasks.List())
}

func (a *API) runTask(w http.ResponseWriter, r *http.Request) {
	v := mux.Vars(r)
	if a.o.Tasks == nil {
		writeError(w, http.StatusNotFound, "no tasks are scheduled")
		return
	}
	if err := a.o.Tasks.RunNow(v["profile"], v["task"]); err != nil {
		if errors.Is(err, ErrUnknownTask) {
			writeError(w, http.StatusNotFound, err.Error())
			return
		}
		writeError(w, http.StatusConflict, err.Error())
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"started": v["profile"] + "/" + v["task"]})
}

// ImportRequest starts a manual import.
type ImportRequest struct {
	Profile string    `json:"profile"`
	Since   time.Time `json:"since"`
}

func (a *API) startImport(w http.ResponseWriter, r *http.Request) {
	var req ImportRequest
	if !readBody(w, r, &req, false) {
		return
	}
	if _, ok := a.o.Config.Profile(req.Profile); !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("unknown profile %q", req.Profile))
		return
	}
	if req.Since.IsZero() {
		writeError(w, http.StatusBadRequest, `give "since" as an RFC 3339 time`)
		return
	}
	if a.o.Import == nil {
		writeError(w, http.StatusNotFound, "manual import is not available")
		return
	}
	if err := a.o.Import(req.Profile, req.Since); err != nil {
		if errors.Is(err, ErrUnknownTask) {
			writeError(w, http.StatusNotFound, err.Error())
			return
		}
		writeError(w, http.StatusConflict, err.Error())
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"started": req.Profile + "/import", "follow": "/admin/v1/tasks"})
}

func (a *API) actor(r *http.Request, reason string) pipeline.Actor {
	name := r.Header.Get("X-Koppel-Actor")
	if name == "" {
		name = "admin-api"
	}
	return pipeline.Actor{Name: name, Reason: reason}
}

func (a *API) fail(w http.ResponseWriter, err error) {
	a.log.Error("admin API", "err", err)
	writeError(w, http.StatusInternalServerError, err.Error())
}

func eventJSON(ev *koppelv1.OrderEvent) json.RawMessage {
	if ev == nil {
		return nil
	}
	ev = proto.Clone(ev).(*koppelv1.OrderEvent)
	if ev.Order != nil {
		ev.Order.Raw = nil
	}
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(ev)
	if err != nil {
		return nil
	}
	return b
}

func seqParam(w http.ResponseWriter, r *http.Request) (uint64, bool) {
	s := mux.Vars(r)["seq"]
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%q is not a dead letter sequence number", s))
		return 0, false
	}
	return n, true
}

func intParam(s string, def, max int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > max {
		return 0, fmt.Errorf("%q is not a number from 0 to %d", s, max)
	}
	return n, nil
}

// boolParam reads a flag parameter: "", 0 and false are off; 1 and true on.
func boolParam(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return false, fmt.Errorf("%q is not true or false", s)
}

// readBody decodes an optional (emptyOK) JSON body into dst.
func readBody(w http.ResponseWriter, r *http.Request, dst any, emptyOK bool) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if emptyOK && err.Error() == "EOF" {
			return true
		}
		writeError(w, http.StatusBadRequest, "body: "+err.Error())
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
