// Package poller is koppel's polling fallback: for one profile it lists the
// shop's orders modified since a cursor (minus an overlap), publishes each
// order's JSON to koppel.order.raw.<profile> exactly as the receiver stores
// a webhook, and moves the cursor only past what JetStream confirmed.
// Webhook and poll meet in the normalize stage, which forwards one order
// revision once.
//
// A lease in the idempotency store makes one poller instance work a profile
// at a time; when it dies, the lease runs out and another takes over. The
// cursor lives in a JetStream KV bucket, so a restart resumes where the
// last confirmed page ended.
package poller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/koppel/koppel/pkg/idempotency"
	"github.com/koppel/koppel/pkg/intake"
	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/webshop"
)

// ErrBusy means another poller instance holds the profile's lease.
var ErrBusy = errors.New("poller: another instance is polling this profile")

// CursorBucket is the KV bucket that keeps the cursors.
const CursorBucket = "koppel_poller"

// Options configures a Poller for one profile.
type Options struct {
	Profile string
	Lister  webshop.Lister
	JS      jetstream.JetStream
	// Cursors is the KV bucket for cursors; see OpenCursors.
	Cursors jetstream.KeyValue
	// Leases gives the per-profile lease (TryLock/Unlock).
	Leases idempotency.Store
	// Owner names this instance in the lease, e.g. host name + pid.
	Owner string
	// Overlap is how far before the cursor each run starts again, to catch
	// orders written late with an earlier modification time. Default 10m.
	Overlap time.Duration
	// FirstSince is where a profile without a cursor starts. Default: 24h
	// before the first run.
	FirstSince time.Duration
	// LeaseTTL bounds how long a dead instance keeps the profile. Default 2m.
	LeaseTTL time.Duration
	Logger   *slog.Logger
	Now      func() time.Time
}

// Progress is reported after every page.
type Progress struct {
	Pages     int       // pages read
	Found     int       // orders listed
	Published int       // orders JetStream stored (new)
	Known     int       // orders JetStream already had (same bytes)
	Position  time.Time // where the next page starts
	Done      bool
}

// Result is a run's outcome.
type Result struct {
	Progress
	Since  time.Time // where the run started
	Cursor time.Time // the stored cursor after the run
}

// Poller polls one profile.
type Poller struct {
	o   Options
	log *slog.Logger
}

// New returns a Poller.
func New(o Options) (*Poller, error) {
	if o.Profile == "" || o.Lister == nil || o.JS == nil || o.Cursors == nil || o.Leases == nil {
		return nil, errors.New("poller: Profile, Lister, JS, Cursors and Leases are required")
	}
	if o.Overlap <= 0 {
		o.Overlap = 10 * time.Minute
	}
	if o.FirstSince <= 0 {
		o.FirstSince = 24 * time.Hour
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 2 * time.Minute
	}
	if o.Owner == "" {
		o.Owner = "poller"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Poller{o: o, log: log.With("profile", o.Profile)}, nil
}

// OpenCursors creates or opens the cursor bucket.
func OpenCursors(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.KeyValue, error) {
	if replicas <= 0 {
		replicas = 1
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: CursorBucket,
		Description: "koppel poller cursors and import positions", History: 5, Storage: jetstream.FileStorage, Replicas: replicas})
	if err != nil {
		return nil, fmt.Errorf("poller: cursor bucket: %w", err)
	}
	return kv, nil
}

// position is what the bucket keeps: where the next page starts.
type position struct {
	Since time.Time `json:"since"`
	Page  int       `json:"page"`
	// Until is set for a manual import: the run stops once it has passed it
	// (zero: up to now). Started is when the import began.
	Started time.Time `json:"started,omitzero"`
}

func (p *Poller) cursorKey() string { return "cursor." + p.o.Profile }
func (p *Poller) importKey() string { return "import." + p.o.Profile }

// Cursor returns the stored cursor: every order modified before it has been
// published. It is zero when the profile was never polled.
func (p *Poller) Cursor(ctx context.Context) (time.Time, error) {
	pos, err := p.load(ctx, p.cursorKey())
	return pos.Since, err
}

func (p *Poller) load(ctx context.Context, key string) (position, error) {
	e, err := p.o.Cursors.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return position{}, nil
	}
	if err != nil {
		return position{}, fmt.Errorf("poller: read %s: %w", key, err)
	}
	var pos position
	if err := json.Unmarshal(e.Value(), &pos); err != nil {
		return position{}, fmt.Errorf("poller: %s holds %q: %w", key, e.Value(), err)
	}
	return pos, nil
}

func (p *Poller) save(ctx context.Context, key string, pos position) error {
	b, _ := json.Marshal(pos)
	if _, err := p.o.Cursors.Put(ctx, key, b); err != nil {
		return fmt.Errorf("poller: save %s: %w", key, err)
	}
	return nil
}

// Poll runs one scheduled poll: from the stored cursor minus the overlap
// up to now. It returns ErrBusy when another instance holds the profile.
func (p *Poller) Poll(ctx context.Context, progress func(Progress)) (Result, error) {
	return p.run(ctx, p.cursorKey(), nil, progress)
}

// Import runs a manual import of the orders modified since since. Its
// position is saved after every page under its own key, so an interrupted
// import continues with Resume. It never moves the poll cursor backwards;
// it moves it forward when the import passed it.
func (p *Poller) Import(ctx context.Context, since time.Time, progress func(Progress)) (Result, error) {
	start := &position{Since: since.UTC().Truncate(time.Second), Page: 1, Started: p.o.Now().UTC()}
	return p.run(ctx, p.importKey(), start, progress)
}

// Resume continues an interrupted Import. It returns an error when there is
// none to resume.
func (p *Poller) Resume(ctx context.Context, progress func(Progress)) (Result, error) {
	pos, err := p.load(ctx, p.importKey())
	if err != nil {
		return Result{}, err
	}
	if pos.Started.IsZero() {
		return Result{}, fmt.Errorf("poller: no interrupted import of %s to resume", p.o.Profile)
	}
	return p.run(ctx, p.importKey(), &pos, progress)
}

func (p *Poller) run(ctx context.Context, key string, start *position, progress func(Progress)) (Result, error) {
	lease := "poller:" + p.o.Profile
	if err := p.o.Leases.TryLock(ctx, lease, p.o.Owner, p.o.LeaseTTL); err != nil {
		if errors.Is(err, idempotency.ErrLocked) {
			return Result{}, ErrBusy
		}
		return Result{}, err
	}
	defer p.o.Leases.Unlock(context.WithoutCancel(ctx), lease, p.o.Owner)

	var pos position
	manual := start != nil
	if manual {
		pos = *start
	} else {
		cur, err := p.load(ctx, key)
		if err != nil {
			return Result{}, err
		}
		if cur.Since.IsZero() {
			cur.Since = p.o.Now().Add(-p.o.FirstSince).UTC().Truncate(time.Second)
		} else {
			cur.Since = cur.Since.Add(-p.o.Overlap)
		}
		pos = position{Since: cur.Since, Page: 1}
	}
	res := Result{Since: pos.Since}
	cursor, err := p.Cursor(ctx)
	if err != nil {
		return res, err
	}
	greatest := cursor
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		page, err := p.o.Lister.ListModified(ctx, pos.Since, pos.Page)
		if err != nil {
			return res, fmt.Errorf("poller: %s page %d since %s: %w", p.o.Profile, pos.Page, pos.Since.Format(time.RFC3339), err)
		}
		res.Pages++
		res.Found += len(page.Orders)
		published, known, err := p.publish(ctx, page.Orders)
		res.Published += published
		res.Known += known
		if err != nil {
			return res, err // the position stays before this page
		}
		for _, o := range page.Orders {
			if o.Modified.After(greatest) {
				greatest = o.Modified
			}
		}
		// The next position: page by time, by page number only within one
		// second (see webshop.Lister).
		more := page.More() && len(page.Orders) > 0
		if more {
			if last := page.Orders[len(page.Orders)-1].Modified; last.After(pos.Since) {
				pos = position{Since: last, Page: 1, Started: pos.Started}
			} else {
				pos.Page++
			}
		}
		// Everything before pos is durably published: store it.
		if manual {
			if !more {
				pos.Started = time.Time{} // finished: nothing to resume
			}
			if err := p.save(ctx, key, pos); err != nil {
				return res, err
			}
		}
		// The cursor means: every order modified before it is published.
		// Mid-run that is the next page's start (orders in its second may
		// still be on later pages); at the end, the newest order seen.
		next := greatest
		if more {
			next = pos.Since
		}
		if next.After(cursor) {
			if err := p.save(ctx, p.cursorKey(), position{Since: next}); err != nil {
				return res, err
			}
			cursor = next
		}
		if err := p.o.Leases.TryLock(ctx, lease, p.o.Owner, p.o.LeaseTTL); err != nil {
			return res, fmt.Errorf("poller: lost the lease of %s: %w", p.o.Profile, err)
		}
		res.Position = pos.Since
		if progress != nil {
			progress(res.Progress)
		}
		if !more {
			break
		}
	}
	res.Done = true
	res.Cursor = cursor
	if progress != nil {
		progress(res.Progress)
	}
	p.log.Info("poll done", "pages", res.Pages, "found", res.Found, "published", res.Published, "known", res.Known,
		"cursor", cursor.Format(time.RFC3339))
	return res, nil
}

// publish stores the orders on order.raw and waits for every PubAck.
func (p *Poller) publish(ctx context.Context, orders []webshop.RawOrder) (published, known int, err error) {
	if len(orders) == 0 {
		return 0, 0, nil
	}
	futures := make([]jetstream.PubAckFuture, 0, len(orders))
	subject := pipeline.OrderSubject(pipeline.StepRaw, p.o.Profile)
	for _, o := range orders {
		m := &nats.Msg{Subject: subject, Data: o.Body, Header: nats.Header{}}
		m.Header.Set(pipeline.HeaderMsgID, intake.RawMsgID(p.o.Profile, o.Body))
		m.Header.Set(pipeline.HeaderProfile, p.o.Profile)
		m.Header.Set(pipeline.HeaderPlatform, string(p.o.Lister.Platform()))
		m.Header.Set(pipeline.HeaderSource, "poll")
		f, err := p.o.JS.PublishMsgAsync(m)
		if err != nil {
			return published, known, fmt.Errorf("poller: publish order %s: %w", o.ID, err)
		}
		futures = append(futures, f)
	}
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for i, f := range futures {
		select {
		case ack := <-f.Ok():
			if ack.Duplicate {
				known++
			} else {
				published++
			}
		case err := <-f.Err():
			return published, known, fmt.Errorf("poller: publish order %s: %w", orders[i].ID, err)
		case <-timeout.C:
			return published, known, errors.New("poller: JetStream did not confirm the page in 30s")
		case <-ctx.Done():
			return published, known, ctx.Err()
		}
	}
	return published, known, nil
}
