package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/koppel/koppel/pkg/admin"
	"github.com/koppel/koppel/pkg/koppelv1"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/timeline"
)

// actor is who the audit trail records for actions taken here.
const actor = "dashboard"

// Per-page limits keep pages fast on a busy pipeline.
const (
	recentPerProfile = 10
	recentOrders     = 50
	dlqRows          = 500
)

type overviewPage struct {
	Profiles []profileCard
	Stages   []stageHealth
	DLQTotal int
	Problems []string // what could not be read; the rest of the page still shows
}

type profileCard struct {
	ID, Name, Platform string
	Sandbox            bool
	Tasks              []admin.TaskStatus
	DeadLetters        int
	Recent             []timeline.RecentOrder
}

type stageHealth struct {
	Stage       string
	Pending     uint64 // not yet delivered: the lag
	AckPending  int    // delivered, being worked on
	Redelivered int
	LastActive  time.Time
}

func (d *Dashboard) overview(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := pageContext(r)
	defer cancel()
	var p overviewPage
	stages, err := d.stageHealth(r)
	if err != nil {
		p.Problems = append(p.Problems, "pipeline health: "+err.Error())
	}
	p.Stages = stages
	perProfile := map[string]int{}
	if dls, err := pipeline.ListDeadLetters(ctx, d.o.JS, pipeline.DeadLetterFilter{}); err != nil {
		p.Problems = append(p.Problems, "dead letters: "+err.Error())
	} else {
		p.DLQTotal = len(dls)
		for _, dl := range dls {
			perProfile[dl.Profile]++
		}
	}
	tasks := d.taskList()
	for _, pr := range d.o.Config.Profiles {
		c := profileCard{ID: pr.ID, Name: pr.Name, Platform: pr.Webshop.Platform, Sandbox: pr.SnelStart.Sandbox,
			DeadLetters: perProfile[pr.ID]}
		for _, t := range tasks {
			if t.Profile == pr.ID {
				c.Tasks = append(c.Tasks, t)
			}
		}
		recent, err := timeline.Recent(ctx, d.o.JS, pr.ID, recentPerProfile)
		if err != nil {
			p.Problems = append(p.Problems, "recent orders of "+pr.ID+": "+err.Error())
		}
		c.Recent = recent
		p.Profiles = append(p.Profiles, c)
	}
	d.render(w, r, http.StatusOK, "overview", "Overview", p)
}

// stageHealth reads the backlog of every stage's consumer.
func (d *Dashboard) stageHealth(r *http.Request) ([]stageHealth, error) {
	ctx, cancel := pageContext(r)
	defer cancel()
	st, err := d.o.JS.Stream(ctx, pipeline.StreamOrders)
	if err != nil {
		return nil, err
	}
	var out []stageHealth
	lister := st.ListConsumers(ctx)
	for info := range lister.Info() {
		if info.Config.Durable == "" {
			continue // an ordered consumer of a page or the CLI reading history
		}
		h := stageHealth{Stage: strings.TrimPrefix(info.Name, "koppel-"), Pending: info.NumPending,
			AckPending: info.NumAckPending, Redelivered: info.NumRedelivered}
		if info.Delivered.Last != nil {
			h.LastActive = *info.Delivered.Last
		}
		out = append(out, h)
	}
	if err := lister.Err(); err != nil {
		return out, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Stage < out[j].Stage })
	return out, nil
}

func (d *Dashboard) taskList() []admin.TaskStatus {
	if d.o.Tasks == nil {
		return nil
	}
	tasks := d.o.Tasks.List()
	sort.SliceStable(tasks, func(i, j int) bool {
		if tasks[i].Profile != tasks[j].Profile {
			return tasks[i].Profile < tasks[j].Profile
		}
		return tasks[i].Task < tasks[j].Task
	})
	return tasks
}

type ordersPage struct {
	Profiles  []string
	Profile   string
	Query     string
	Attention bool // only orders that need attention
	NotFound  bool
	Matches   []orderMatch // the query matched orders in several profiles
	Recent    []timeline.RecentOrder
}

type orderMatch struct {
	Profile, ShopOrderID, Number, Status string
}

// orders finds an order by its shop id or number and redirects to its
// timeline; without a query it lists the most recent orders, with
// ?attention=1 only those that need attention.
func (d *Dashboard) orders(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := pageContext(r)
	defer cancel()
	qs := r.URL.Query()
	p := ordersPage{Profiles: d.profileIDs(), Profile: qs.Get("profile"),
		Query:     strings.TrimPrefix(strings.TrimSpace(qs.Get("q")), "#"),
		Attention: qs.Get("attention") != "" && qs.Get("attention") != "0"}
	search := p.Profiles
	if p.Profile != "" {
		if !slices.Contains(p.Profiles, p.Profile) {
			d.fail(w, r, http.StatusNotFound, fmt.Sprintf("There is no profile %q.", p.Profile))
			return
		}
		search = []string{p.Profile}
	}
	if p.Query == "" {
		recent, err := timeline.RecentMatching(ctx, d.o.JS, timeline.RecentFilter{Profile: p.Profile, Limit: recentOrders, Attention: p.Attention})
		if err != nil {
			d.fail(w, r, http.StatusInternalServerError, "Could not read the recent orders: "+err.Error())
			return
		}
		p.Recent = recent
		d.render(w, r, http.StatusOK, "orders", "Orders", p)
		return
	}
	for _, id := range search {
		tl, err := timeline.Build(ctx, d.o.JS, id, p.Query)
		if errors.Is(err, timeline.ErrNotFound) {
			continue
		}
		if err != nil {
			d.fail(w, r, http.StatusInternalServerError, "Could not read the order's history: "+err.Error())
			return
		}
		p.Matches = append(p.Matches, orderMatch{Profile: id, ShopOrderID: tl.ShopOrderID, Number: tl.Number, Status: tl.Status})
	}
	switch len(p.Matches) {
	case 0:
		p.NotFound = true
		d.render(w, r, http.StatusNotFound, "orders", "Order not found", p)
	case 1:
		m := p.Matches[0]
		http.Redirect(w, r, "/orders/"+url.PathEscape(m.Profile)+"/"+url.PathEscape(m.ShopOrderID), http.StatusSeeOther)
	default:
		d.render(w, r, http.StatusOK, "orders", "Orders matching "+p.Query, p)
	}
}

type orderPage struct {
	*timeline.Timeline
	Explain     string
	Facts       *facts
	DeadLetters []dlRow
	Open        map[uint64]bool // DLQ sequences still waiting
	Back        string
}

// facts are the newest event's key facts: what an operator needs to find
// the order in SnelStart, and no more of the customer than that.
type facts struct {
	Customer   string // name and company as the shop sent them
	ShopStatus string
	Total      string
	Difference string // the shop's total against the sum of its lines; "" when they agree
	Lines      int
	Relatie    string
	Articles   []string
	Booking    string
}

func (d *Dashboard) order(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := pageContext(r)
	defer cancel()
	v := mux.Vars(r)
	if _, ok := d.o.Config.Profile(v["profile"]); !ok {
		d.fail(w, r, http.StatusNotFound, fmt.Sprintf("There is no profile %q.", v["profile"]))
		return
	}
	tl, err := timeline.Build(ctx, d.o.JS, v["profile"], v["order"])
	if errors.Is(err, timeline.ErrNotFound) {
		d.fail(w, r, http.StatusNotFound, fmt.Sprintf("No message of order %q is in the pipeline of %s: it never arrived, or it aged out of the streams.", v["order"], v["profile"]))
		return
	}
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, "Could not read the order's history: "+err.Error())
		return
	}
	dls, err := pipeline.ListDeadLetters(ctx, d.o.JS, pipeline.DeadLetterFilter{Profile: tl.Profile, Order: tl.ShopOrderID})
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, "Could not read the dead letters: "+err.Error())
		return
	}
	p := orderPage{Timeline: tl, Facts: factsOf(tl.Latest), Open: map[uint64]bool{},
		Back: "/orders/" + url.PathEscape(tl.Profile) + "/" + url.PathEscape(tl.ShopOrderID)}
	for _, dl := range dls {
		p.DeadLetters = append(p.DeadLetters, rowOf(dl))
		p.Open[dl.Sequence] = true
	}
	p.Explain = explain(tl, dls)
	title := "Order " + tl.ShopOrderID
	if tl.Number != "" && tl.Number != tl.ShopOrderID {
		title = "Order " + tl.Number
	}
	d.render(w, r, http.StatusOK, "order", title, p)
}

// explain answers "where is the order and why" in one sentence.
func explain(tl *timeline.Timeline, dls []pipeline.DeadLetter) string {
	if len(dls) > 0 {
		dl := dls[len(dls)-1]
		if _, held := timeline.Held(dl.Error); held {
			return fmt.Sprintf("Held by the %s, not booked: it needs attention. Correct the cause (in the shop or in SnelStart), then replay the dead letter below; or book the order by hand and discard the dead letter, with a reason.", dl.Stage)
		}
		return fmt.Sprintf("Stopped in the %s stage after %d deliveries: %s. Fix the cause (in SnelStart or the shop), then replay the dead letter below; discard it, with a reason, if the order must not be booked.",
			dl.Stage, dl.Deliveries, dl.Error)
	}
	switch tl.Status {
	case timeline.StatusBooked, timeline.StatusAttention:
		s := "Booked in SnelStart"
		if b := tl.Latest.GetBooking(); b != nil {
			s += fmt.Sprintf(" as verkooporder %d", b.GetNummer())
		}
		if tl.Status == timeline.StatusAttention {
			return s + ", but it needs attention: check the verkooporder in SnelStart against the shop's order (see below)."
		}
		return s + "."
	case "unknown":
		return "Only audit records of this order remain."
	case "skipped":
		for i := len(tl.Entries) - 1; i >= 0; i-- {
			if e := tl.Entries[i]; e.Step == "skipped" {
				return "Not booked, on purpose: " + strings.TrimPrefix(e.Summary, "not booked: ") +
					". A later change of the order in the shop to an imported status books it."
			}
		}
	}
	last := tl.Entries[len(tl.Entries)-1]
	if last.Step == "discard" {
		return "A dead letter of this order was discarded: " + last.Summary + "."
	}
	return "In progress: " + statusLabel(tl.Status) + ". If it stays here long, check the stages' backlog on the overview."
}

func factsOf(ev *koppelv1.OrderEvent) *facts {
	o := ev.GetOrder()
	if o == nil {
		return nil
	}
	f := &facts{ShopStatus: o.GetStatus(), Lines: len(o.GetLines())}
	if b := o.GetBilling(); b != nil {
		f.Customer = strings.TrimSpace(b.GetFirstName() + " " + b.GetLastName())
		if b.GetCompany() != "" {
			f.Customer = strings.TrimSpace(f.Customer + " (" + b.GetCompany() + ")")
		}
	}
	if t := o.GetTotals().GetTotalIncl(); t != "" {
		f.Total = strings.TrimSpace(o.GetCurrency() + " " + t + " incl. VAT")
	}
	if tc := o.GetTotalCheck(); tc != nil && !tc.GetOk() {
		f.Difference = fmt.Sprintf("%s (lines add up to %s, the shop says %s)", tc.GetDifference(), tc.GetComputedIncl(), tc.GetReportedIncl())
	}
	if c := ev.GetCustomer(); c != nil {
		how := "matched by " + c.GetMatchedBy()
		switch {
		case c.GetCreated():
			how = "created by koppel"
		case c.GetUpdated():
			how += ", updated"
		}
		f.Relatie = fmt.Sprintf("relatie %d (%s), %s", c.GetRelatiecode(), c.GetRelatieId(), how)
	}
	for _, a := range ev.GetArticles() {
		s := a.GetArtikelcode()
		if a.GetOmschrijving() != "" {
			s += " — " + a.GetOmschrijving()
		}
		if a.GetCreated() {
			s += " (created)"
		}
		f.Articles = append(f.Articles, s)
	}
	if b := ev.GetBooking(); b != nil {
		how := "created"
		if b.GetLinked() {
			how = "linked to an existing order"
		}
		f.Booking = fmt.Sprintf("verkooporder %d (%s), %s, total %s incl. VAT", b.GetNummer(), b.GetVerkooporderId(), how, b.GetTotaalInclusiefBtw())
		if r := b.GetRegime(); r != "" {
			f.Booking += ", " + timeline.RegimeLabel(r)
		}
		if diff := b.GetDifference(); diff != "" && diff != "0" && diff != "0.00" {
			f.Booking += "; differs from the shop by " + diff
		}
	}
	return f
}

// dlRow is a dead letter as the list shows it.
type dlRow struct {
	Seq         uint64
	Time        time.Time
	Stage       string
	Profile     string
	Order       string // shop order id
	OrderNumber string
	Deliveries  uint64
	Error       string
	Held        bool // the booker held the order: it needs attention, it did not fail
}

func rowOf(dl pipeline.DeadLetter) dlRow {
	_, held := timeline.Held(dl.Error)
	return dlRow{Seq: dl.Sequence, Time: dl.Time, Stage: dl.Stage, Profile: dl.Profile,
		Order: dl.Header.Get(pipeline.HeaderOrder), OrderNumber: dl.Header.Get(pipeline.HeaderOrderNumber),
		Deliveries: dl.Deliveries, Error: dl.Error, Held: held}
}

type dlqFilter struct {
	Profile, Stage, Error string
}

func filterOf(form url.Values) dlqFilter {
	return dlqFilter{Profile: strings.TrimSpace(form.Get("profile")), Stage: strings.TrimSpace(form.Get("stage")),
		Error: strings.TrimSpace(form.Get("error"))}
}

func (f dlqFilter) pipeline() pipeline.DeadLetterFilter {
	return pipeline.DeadLetterFilter{Profile: f.Profile, Stage: f.Stage, ErrorContains: f.Error}
}

// Query is the filter as a query string for links back to the list.
func (f dlqFilter) Query() string {
	q := url.Values{}
	for k, v := range map[string]string{"profile": f.Profile, "stage": f.Stage, "error": f.Error} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q.Encode()
}

type dlqPage struct {
	Filter   dlqFilter
	Scoped   bool
	Profiles []string
	Stages   []string
	Rows     []dlRow
	More     bool // there are more than the rows shown
	Back     string
}

func (d *Dashboard) dlq(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := pageContext(r)
	defer cancel()
	f := filterOf(r.URL.Query())
	pf := f.pipeline()
	pf.Limit = dlqRows + 1
	dls, err := pipeline.ListDeadLetters(ctx, d.o.JS, pf)
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, "Could not read the dead letters: "+err.Error())
		return
	}
	p := dlqPage{Filter: f, Scoped: pf.Scoped(), Profiles: d.profileIDs(), Back: r.URL.RequestURI()}
	if len(dls) > dlqRows {
		dls, p.More = dls[:dlqRows], true
	}
	for _, dl := range dls {
		p.Rows = append(p.Rows, rowOf(dl))
	}
	health, _ := d.stageHealth(r) // the stage list is a convenience; the filter works without it
	for _, h := range health {
		p.Stages = append(p.Stages, h.Stage)
	}
	if f.Stage != "" && !slices.Contains(p.Stages, f.Stage) {
		p.Stages = append(p.Stages, f.Stage)
	}
	d.render(w, r, http.StatusOK, "dlq", "Dead letters", p)
}

type deadLetterPage struct {
	dlRow
	OriginSubject  string
	OriginSequence uint64
	Headers        [][2]string
	BodyKind       string
	Body           string
	Back           string // where to go after an action
}

func (d *Dashboard) deadLetter(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := pageContext(r)
	defer cancel()
	seq, ok := d.seq(w, r)
	if !ok {
		return
	}
	dl, err := pipeline.GetDeadLetter(ctx, d.o.JS, seq)
	if errors.Is(err, pipeline.ErrNotDeadLetter) {
		d.fail(w, r, http.StatusNotFound, fmt.Sprintf("There is no dead letter %d: it was replayed or discarded, or never existed. The order's timeline shows what happened.", seq))
		return
	}
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, "Could not read the dead letter: "+err.Error())
		return
	}
	p := deadLetterPage{dlRow: rowOf(*dl), OriginSubject: dl.OriginSubject, OriginSequence: dl.OriginSequence, Back: "/dlq"}
	if p.Order != "" {
		p.Back = "/orders/" + url.PathEscape(p.Profile) + "/" + url.PathEscape(p.Order)
	}
	for k, vals := range dl.Header {
		if !strings.HasPrefix(k, "Koppel-Dlq-") && len(vals) > 0 {
			p.Headers = append(p.Headers, [2]string{k, strings.Join(vals, ", ")})
		}
	}
	sort.Slice(p.Headers, func(i, j int) bool { return p.Headers[i][0] < p.Headers[j][0] })
	p.BodyKind, p.Body = body(dl)
	d.render(w, r, http.StatusOK, "deadletter", fmt.Sprintf("Dead letter %d", seq), p)
}

// body returns a dead letter's body for people: the canonical event as
// indented JSON (without the shop's raw copy), or the raw delivery body.
func body(dl *pipeline.DeadLetter) (kind, text string) {
	if !strings.Contains(dl.OriginSubject, "."+pipeline.StepRaw+".") {
		ev := &koppelv1.OrderEvent{}
		if proto.Unmarshal(dl.Data, ev) == nil && ev.GetOrder() != nil {
			ev = proto.Clone(ev).(*koppelv1.OrderEvent)
			ev.Order.Raw = nil
			if b, err := (protojson.MarshalOptions{UseProtoNames: true}).Marshal(ev); err == nil {
				return "Order event (JSON)", indent(b)
			}
		}
	}
	return "Raw delivery body", indent(dl.Data)
}

func indent(b []byte) string {
	var buf bytes.Buffer
	if json.Indent(&buf, b, "", "  ") == nil {
		return buf.String()
	}
	return string(b)
}

func (d *Dashboard) replay(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := pageContext(r)
	defer cancel()
	seq, ok := d.seq(w, r)
	if !ok {
		return
	}
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	if _, err := pipeline.Replay(ctx, d.o.JS, seq, pipeline.Actor{Name: actor, Reason: reason}); err != nil {
		d.actionFailed(w, r, "replay", seq, err)
		return
	}
	d.log.Info("dead letter replayed", "seq", seq, "actor", actor)
	redirectOK(w, r, back(r, "/dlq"), "replayed "+strconv.FormatUint(seq, 10))
}

func (d *Dashboard) discard(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := pageContext(r)
	defer cancel()
	seq, ok := d.seq(w, r)
	if !ok {
		return
	}
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	if reason == "" {
		d.fail(w, r, http.StatusBadRequest, fmt.Sprintf("Discarding dead letter %d needs a reason, e.g. \"order cancelled in the shop\": it goes into the audit trail. Go back and fill in the reason.", seq))
		return
	}
	if err := pipeline.Discard(ctx, d.o.JS, seq, pipeline.Actor{Name: actor, Reason: reason}); err != nil {
		d.actionFailed(w, r, "discard", seq, err)
		return
	}
	d.log.Info("dead letter discarded", "seq", seq, "actor", actor)
	redirectOK(w, r, back(r, "/dlq"), "discarded "+strconv.FormatUint(seq, 10))
}

func (d *Dashboard) actionFailed(w http.ResponseWriter, r *http.Request, action string, seq uint64, err error) {
	if errors.Is(err, pipeline.ErrNotDeadLetter) {
		d.fail(w, r, http.StatusNotFound, fmt.Sprintf("There is no dead letter %d any more: someone replayed or discarded it already.", seq))
		return
	}
	d.fail(w, r, http.StatusInternalServerError, fmt.Sprintf("Could not %s dead letter %d: %v", action, seq, err))
}

type bulkPage struct {
	Filter dlqFilter
	Rows   []dlRow
}

// bulkPreview shows what "replay all matching" would replay, with the
// button that does it. It changes nothing.
func (d *Dashboard) bulkPreview(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := pageContext(r)
	defer cancel()
	f := filterOf(r.URL.Query())
	if !f.pipeline().Scoped() {
		d.fail(w, r, http.StatusBadRequest, "Replaying all matching dead letters needs a filter: a profile, a stage or error text.")
		return
	}
	dls, err := pipeline.ReplayMatching(ctx, d.o.JS, f.pipeline(), true, pipeline.Actor{Name: actor})
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, "Could not read the dead letters: "+err.Error())
		return
	}
	p := bulkPage{Filter: f}
	for _, dl := range dls {
		p.Rows = append(p.Rows, rowOf(dl))
	}
	d.render(w, r, http.StatusOK, "bulk", "Replay all matching", p)
}

// bulkReplay replays the dead letters the preview showed that still match
// the filter: never one the person did not see.
func (d *Dashboard) bulkReplay(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := pageContext(r)
	defer cancel()
	f := filterOf(r.PostForm)
	if !f.pipeline().Scoped() {
		d.fail(w, r, http.StatusBadRequest, "Replaying all matching dead letters needs a filter: a profile, a stage or error text.")
		return
	}
	seen := map[uint64]bool{}
	for _, s := range r.PostForm["seq"] {
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			seen[n] = true
		}
	}
	if len(seen) == 0 {
		d.fail(w, r, http.StatusBadRequest, "Nothing to replay: preview the matching dead letters first, then confirm.")
		return
	}
	dls, err := pipeline.ListDeadLetters(ctx, d.o.JS, f.pipeline())
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, "Could not read the dead letters: "+err.Error())
		return
	}
	by := pipeline.Actor{Name: actor, Reason: strings.TrimSpace(r.PostForm.Get("reason"))}
	n := 0
	for _, dl := range dls {
		if !seen[dl.Sequence] {
			continue
		}
		_, err := pipeline.Replay(ctx, d.o.JS, dl.Sequence, by)
		if errors.Is(err, pipeline.ErrNotDeadLetter) {
			continue // replayed or discarded meanwhile
		}
		if err != nil {
			d.fail(w, r, http.StatusInternalServerError, fmt.Sprintf("Replayed %d dead letter(s), then dead letter %d failed: %v", n, dl.Sequence, err))
			return
		}
		n++
	}
	d.log.Info("dead letters replayed", "count", n, "actor", actor, "profile", f.Profile, "stage", f.Stage)
	redirectOK(w, r, "/dlq?"+f.Query(), "bulk-replayed "+strconv.Itoa(n))
}

type tasksPage struct {
	Tasks []admin.TaskStatus
	Error string
}

func (d *Dashboard) tasks(w http.ResponseWriter, r *http.Request) {
	d.render(w, r, http.StatusOK, "tasks", "Tasks", tasksPage{Tasks: d.taskList()})
}

func (d *Dashboard) runTask(w http.ResponseWriter, r *http.Request) {
	v := mux.Vars(r)
	if d.o.Tasks == nil {
		d.fail(w, r, http.StatusNotFound, "No tasks are scheduled.")
		return
	}
	if err := d.o.Tasks.RunNow(v["profile"], v["task"]); err != nil {
		if errors.Is(err, admin.ErrUnknownTask) {
			d.fail(w, r, http.StatusNotFound, fmt.Sprintf("There is no task %q in profile %q.", v["task"], v["profile"]))
			return
		}
		d.render(w, r, http.StatusConflict, "tasks", "Tasks", tasksPage{Tasks: d.taskList(),
			Error: fmt.Sprintf("Could not start %s/%s: %v", v["profile"], v["task"], err)})
		return
	}
	d.log.Info("task started", "profile", v["profile"], "task", v["task"], "actor", actor)
	redirectOK(w, r, back(r, "/tasks"), "started "+v["profile"]+"/"+v["task"])
}

func (d *Dashboard) profileIDs() []string {
	ids := make([]string, 0, len(d.o.Config.Profiles))
	for _, p := range d.o.Config.Profiles {
		ids = append(ids, p.ID)
	}
	return ids
}

func (d *Dashboard) seq(w http.ResponseWriter, r *http.Request) (uint64, bool) {
	s := mux.Vars(r)["seq"]
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		d.fail(w, r, http.StatusBadRequest, fmt.Sprintf("%q is not a dead letter number.", s))
		return 0, false
	}
	return n, true
}

// back is the form's "return" field when it is a local path, else def.
func back(r *http.Request, def string) string {
	if b := r.PostForm.Get("return"); b != "" {
		return localPath(b)
	}
	return def
}
