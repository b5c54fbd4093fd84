package snelstartsandbox

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/koppel/koppel/pkg/snelstart"
)

// DefaultTokenLifetime is the lifetime of a SnelStart access token, measured
// live (snelstart-api.md §1.2).
const DefaultTokenLifetime = 3599 * time.Second

// Options configure a [Sandbox]. The zero value is a working demo: the
// [DefaultSeed], tokens that live 3599 s, [RateLimitDemo], VAT per rate,
// half-up rounding and no faults.
type Options struct {
	// Seed is the starting state; nil means [DefaultSeed]. A snapshot file
	// that exists takes its place.
	Seed *Seed
	// SnapshotFile, if set, is loaded at start when it exists and written
	// by [Sandbox.Close] and every SnapshotInterval (0: only on Close).
	SnapshotFile     string
	SnapshotInterval time.Duration
	// TokenLifetime is how long an access token is valid; 0 means
	// [DefaultTokenLifetime]. Tests shorten it, or use a Now that they
	// advance, or call [Sandbox.ExpireTokens].
	TokenLifetime time.Duration
	// RateLimit applies to each administration separately; nil means
	// [RateLimitDemo]. Change it at run time with [Sandbox.SetRateLimit].
	RateLimit *RateLimit
	// VAT and Rounding are the two switches for order totals that SnelStart
	// does not publish (see [ComputeTotals]).
	VAT      VATMethod
	Rounding Rounding
	// Faults are injected from the start; see [Sandbox.AddFault].
	Faults []Fault
	// FaultSeed seeds the random choice of probabilistic faults, so that a
	// run with the same seed and the same sequence of calls injects the
	// same faults.
	FaultSeed uint64
	// Now is the clock for token expiry, rate-limit windows, modifiedOn
	// and price-agreement dates; nil means time.Now.
	Now func() time.Time
	// Location is the administration's time zone, in which SnelStart's
	// zone-less times are given; nil means Europe/Amsterdam (UTC if the
	// zone database is missing).
	Location *time.Location
	// Logger receives one debug line per call and info lines for faults
	// and snapshots; nil discards.
	Logger *slog.Logger
}

// A Sandbox is a stand-in for SnelStart's B2B API v2 and its token
// endpoint, served as an [http.Handler]. It keeps the state of each
// administration in memory and is safe for concurrent use.
//
// The token endpoint is POST /b2b/token and the API is under /v2, on the same
// host. Paths under /_sandbox/ are the sandbox's own control API and are not
// part of SnelStart: GET, POST and DELETE /_sandbox/faults list, add and
// clear faults (a POST body is one [Fault] in JSON, latency as a Go duration
// string such as "1.5s"); GET and DELETE /_sandbox/stats report and reset
// the call counts.
//
// Use it with httptest.NewServer(sb), or [Sandbox.Start], or [Serve]. Close
// it when done: Close releases hanging calls, stops a server started by
// Start and writes the snapshot file.
type Sandbox struct {
	opts     Options
	now      func() time.Time
	loc      *time.Location
	log      *slog.Logger
	lifetime time.Duration
	mux      *http.ServeMux

	subKeys  map[string]bool
	admins   map[string]*Administratie // by client key
	byAdmin  map[string]*Administratie // by lower-case administratieIdentifier
	order    []*Administratie          // seed order
	tokenKey []byte

	tokenSeq    atomic.Int64 // the jti of the last token issued
	tokenCutoff atomic.Int64 // tokens with a jti up to this are refused

	faults *faultInjector
	calls  callCounter

	closed    chan struct{} // closed by Close: hanging calls return
	closeOnce sync.Once
	closeErr  error

	srvMu sync.Mutex
	srv   *http.Server
	url   string

	snapStop chan struct{}
	snapDone chan struct{}
	snapMu   sync.Mutex
}

// New returns a sandbox with the state of opts.SnapshotFile if it exists,
// else of opts.Seed, else of [DefaultSeed]. It fails if the seed is
// inconsistent (a link to an object it does not have) or has no
// administration.
func New(opts Options) (*Sandbox, error) {
	s := &Sandbox{opts: opts, now: opts.Now, loc: opts.Location, log: opts.Logger, lifetime: opts.TokenLifetime,
		subKeys: map[string]bool{}, admins: map[string]*Administratie{}, byAdmin: map[string]*Administratie{},
		closed: make(chan struct{})}
	if s.now == nil {
		s.now = time.Now
	}
	if s.loc == nil {
		s.loc = snelstart.Amsterdam()
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.lifetime <= 0 {
		s.lifetime = DefaultTokenLifetime
	}
	s.tokenKey = make([]byte, 32)
	_, _ = rand.Read(s.tokenKey)

	var seed Seed
	switch snap, ok, err := loadSnapshot(opts.SnapshotFile); {
	case opts.SnapshotFile != "" && err != nil:
		return nil, err
	case opts.SnapshotFile != "" && ok:
		seed = snap
		s.log.Info("snelstart sandbox snapshot loaded", "file", opts.SnapshotFile)
	case opts.Seed != nil:
		seed = *opts.Seed
	default:
		seed = DefaultSeed()
	}
	if len(seed.Administraties) == 0 {
		return nil, errors.New("snelstartsandbox: the seed has no administratie")
	}
	for _, k := range seed.SubscriptionKeys {
		if k != "" {
			s.subKeys[k] = true
		}
	}
	lim := RateLimitDemo
	if opts.RateLimit != nil {
		lim = *opts.RateLimit
	}
	for _, sa := range seed.Administraties {
		if sa.ClientKey == "" {
			return nil, errors.New("snelstartsandbox: an administratie has no clientKey")
		}
		if s.admins[sa.ClientKey] != nil {
			return nil, fmt.Errorf("snelstartsandbox: clientKey %q is used twice", sa.ClientKey)
		}
		a, err := newAdministratie(s, sa)
		if err != nil {
			return nil, fmt.Errorf("snelstartsandbox: %w", err)
		}
		if s.byAdmin[key(a.company.AdministratieIdentifier)] != nil {
			return nil, fmt.Errorf("snelstartsandbox: administratieIdentifier %s is used twice", a.company.AdministratieIdentifier)
		}
		a.limiter = newLimiter(s, lim)
		s.admins[sa.ClientKey] = a
		s.byAdmin[key(a.company.AdministratieIdentifier)] = a
		s.order = append(s.order, a)
	}
	s.faults = newFaultInjector(opts.FaultSeed, s.log)
	for _, f := range opts.Faults {
		if _, err := s.faults.add(f); err != nil {
			return nil, fmt.Errorf("snelstartsandbox: %w", err)
		}
	}
	s.routes()
	if opts.SnapshotFile != "" && opts.SnapshotInterval > 0 {
		s.snapStop, s.snapDone = make(chan struct{}), make(chan struct{})
		go s.snapshotLoop(opts.SnapshotInterval)
	}
	return s, nil
}

// ServeHTTP serves the token endpoint, the API and the control API.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Admin returns the administration opened by clientKey, or nil.
func (s *Sandbox) Admin(clientKey string) *Administratie { return s.admins[clientKey] }

// Administraties returns the administrations in seed order.
func (s *Sandbox) Administraties() []*Administratie { return slices.Clone(s.order) }

// Calls returns the calls the sandbox has answered, of all administrations,
// by operation and status. Control calls under /_sandbox/ are not counted.
func (s *Sandbox) Calls() CallCounts { return s.calls.snapshot() }

// ResetCalls sets all call counts to zero.
func (s *Sandbox) ResetCalls() {
	s.calls.reset()
	for _, a := range s.order {
		a.calls.reset()
	}
}

// SetRateLimit replaces the rate limit of every administration; the windows
// start afresh.
func (s *Sandbox) SetRateLimit(l RateLimit) {
	for _, a := range s.order {
		a.limiter.set(l)
	}
}

// ExpireTokens makes every access token issued so far invalid, as if its
// lifetime had passed: the next API call with one gets 401.
func (s *Sandbox) ExpireTokens() { s.tokenCutoff.Store(s.tokenSeq.Load()) }

// Snapshot returns the current state of every administration as a seed,
// which [New] accepts (and [Options.SnapshotFile] stores).
func (s *Sandbox) Snapshot() Seed {
	seed := Seed{}
	for k := range s.subKeys {
		seed.SubscriptionKeys = append(seed.SubscriptionKeys, k)
	}
	slices.Sort(seed.SubscriptionKeys)
	for _, a := range s.order {
		seed.Administraties = append(seed.Administraties, a.seed())
	}
	return seed
}

// SaveSnapshot writes [Sandbox.Snapshot] to path as JSON, atomically.
func (s *Sandbox) SaveSnapshot(path string) error {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	return saveSeed(path, s.Snapshot())
}

func (s *Sandbox) snapshotLoop(every time.Duration) {
	defer close(s.snapDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.snapStop:
			return
		case <-t.C:
			if err := s.SaveSnapshot(s.opts.SnapshotFile); err != nil {
				s.log.Warn("snelstart sandbox snapshot failed", "error", err)
			}
		}
	}
}

// Start serves the sandbox on addr (such as "127.0.0.1:0") in the
// background; [Sandbox.URL] then returns its base URL. Stop it with
// [Sandbox.Close].
func (s *Sandbox) Start(addr string) error {
	_, err := s.start(addr)
	return err
}

// start listens on addr and serves in the background; the channel receives
// the result of http.Server.Serve.
func (s *Sandbox) start(addr string) (<-chan error, error) {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	if s.srv != nil {
		return nil, errors.New("snelstartsandbox: already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("snelstartsandbox: listen: %w", err)
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.url = "http://" + ln.Addr().String()
	errc := make(chan error, 1)
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		} else {
			s.log.Error("snelstart sandbox server stopped", "error", err)
		}
		errc <- err
	}()
	return errc, nil
}

// URL returns the base URL of the server started by [Sandbox.Start], such
// as "http://127.0.0.1:8090", for both the token endpoint and the API; ""
// if it was not started.
func (s *Sandbox) URL() string {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	return s.url
}

// Close releases calls hanging on a timeout fault, shuts down the server of
// [Sandbox.Start] (waiting up to 10 s for calls in progress) and writes the
// snapshot file if one is configured. It is safe to call more than once;
// later calls return the first result.
func (s *Sandbox) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		var errs []error
		s.srvMu.Lock()
		if s.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			errs = append(errs, s.srv.Shutdown(ctx))
			cancel()
		}
		s.srvMu.Unlock()
		if s.snapStop != nil {
			close(s.snapStop)
			<-s.snapDone
		}
		if s.opts.SnapshotFile != "" {
			if err := s.SaveSnapshot(s.opts.SnapshotFile); err != nil {
				errs = append(errs, err)
			} else {
				s.log.Info("snelstart sandbox snapshot saved", "file", s.opts.SnapshotFile)
			}
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// Serve runs a sandbox with opts on addr until ctx is done, then closes it
// (see [Sandbox.Close]), which writes its snapshot. log, if not nil,
// replaces opts.Logger. It is what `koppel sandbox snelstart` and
// services/snelstart-sandbox run.
func Serve(ctx context.Context, addr string, opts Options, log *slog.Logger) error {
	if log != nil {
		opts.Logger = log
	}
	s, err := New(opts)
	if err != nil {
		return err
	}
	errc, err := s.start(addr)
	if err != nil {
		return errors.Join(err, s.Close())
	}
	u := s.URL()
	s.log.Info("snelstart sandbox listening", "addr", strings.TrimPrefix(u, "http://"),
		"token_url", u+snelstart.PathToken, "api_url", u+snelstart.APIPrefix)
	select {
	case err := <-errc:
		return errors.Join(fmt.Errorf("snelstartsandbox: serve: %w", err), s.Close())
	case <-ctx.Done():
	}
	return s.Close()
}

// localNow returns the administration's wall clock, to the millisecond.
func (s *Sandbox) localNow() snelstart.LocalTime {
	return snelstart.NewLocalTime(s.now().In(s.loc).Truncate(time.Millisecond))
}

// today returns midnight of the administration's current day.
func (s *Sandbox) today() snelstart.LocalTime {
	y, m, d := s.now().In(s.loc).Date()
	return snelstart.LocalDate(y, m, d)
}

// Paths of spec operations that package snelstart does not list.
const (
	pathArtikelPrijsafspraken = "/v2/artikelen/prijsafspraken"
	pathVatRatesOf            = "/v2/vatrates/{id}" // {id} is a landcode
	pathVatRateDefinitions    = "/v2/vatratedefinitions"
	pathKostenplaats          = "/v2/kostenplaatsen/{id}"
)

// An apiHandler serves one API operation for an authenticated
// administration.
type apiHandler func(w http.ResponseWriter, r *http.Request, a *Administratie)

// routes registers every operation. Each API operation runs, outermost
// first: call counting; the gateway's subscription-key check; the bearer
// token; the scope; the administration's rate limit; faults; the handler.
func (s *Sandbox) routes() {
	s.mux = http.NewServeMux()
	api := func(method, path, scope string, h apiHandler) {
		s.mux.Handle(method+" "+path, s.counted(method, path, s.api(scope, h)))
	}
	api(http.MethodGet, snelstart.PathCompanyInfo, snelstart.ScopeSettingsRead, s.getCompanyInfo)
	api(http.MethodPut, snelstart.PathCompanyInfo, snelstart.ScopeSettingsWrite, s.putCompanyInfo)
	api(http.MethodGet, snelstart.PathEcho, "", s.getEcho)
	api(http.MethodGet, snelstart.PathLanden, snelstart.ScopeSettingsRead, s.getLanden)
	api(http.MethodGet, snelstart.PathLand, snelstart.ScopeSettingsRead, s.getLand)
	api(http.MethodGet, snelstart.PathBtwTarieven, snelstart.ScopeSettingsRead, s.getBtwTarieven)
	api(http.MethodGet, snelstart.PathVatRates, snelstart.ScopeSettingsRead, s.getVatRates)
	api(http.MethodGet, pathVatRatesOf, snelstart.ScopeSettingsRead, s.getVatRatesOf)
	api(http.MethodGet, pathVatRateDefinitions, snelstart.ScopeSettingsRead, s.getVatRateDefinitions)
	api(http.MethodGet, snelstart.PathKostenplaatsen, snelstart.ScopeSettingsRead, s.getKostenplaatsen)
	api(http.MethodGet, pathKostenplaats, snelstart.ScopeSettingsRead, s.getKostenplaats)
	api(http.MethodGet, snelstart.PathArtikelOmzetgroepen, snelstart.ScopeArtikelenRead, s.getOmzetgroepen)
	api(http.MethodGet, snelstart.PathArtikelOmzetgroep, snelstart.ScopeArtikelenRead, s.getOmzetgroep)
	api(http.MethodGet, snelstart.PathVerkoopOrderSjablonen, snelstart.ScopeOrdersRead, s.getSjablonen)
	api(http.MethodGet, snelstart.PathVerkoopOrderSjabloon, snelstart.ScopeOrdersRead, s.getSjabloon)
	api(http.MethodGet, snelstart.PathRelaties, snelstart.ScopeRelatiesRead, s.getRelaties)
	api(http.MethodPost, snelstart.PathRelaties, snelstart.ScopeRelatiesWrite, s.postRelatie)
	api(http.MethodGet, snelstart.PathRelatie, snelstart.ScopeRelatiesRead, s.getRelatie)
	api(http.MethodPut, snelstart.PathRelatie, snelstart.ScopeRelatiesWrite, s.putRelatie)
	api(http.MethodGet, snelstart.PathArtikelen, snelstart.ScopeArtikelenRead, s.getArtikelen)
	api(http.MethodPost, snelstart.PathArtikelen, snelstart.ScopeArtikelenWrite, s.postArtikel)
	api(http.MethodGet, snelstart.PathArtikel, snelstart.ScopeArtikelenRead, s.getArtikel)
	api(http.MethodPut, snelstart.PathArtikel, snelstart.ScopeArtikelenWrite, s.putArtikel)
	api(http.MethodGet, pathArtikelPrijsafspraken, snelstart.ScopeArtikelenRead, s.getArtikelPrijsafspraken)
	api(http.MethodGet, snelstart.PathPrijsafspraken, snelstart.ScopeRelatiesRead, s.getPrijsafspraken)
	api(http.MethodGet, snelstart.PathVerkoopOrders, snelstart.ScopeOrdersRead, s.getVerkoopOrders)
	api(http.MethodPost, snelstart.PathVerkoopOrders, snelstart.ScopeOrdersWrite, s.postVerkoopOrder)
	api(http.MethodGet, snelstart.PathVerkoopOrder, snelstart.ScopeOrdersRead, s.getVerkoopOrder)
	api(http.MethodPut, snelstart.PathVerkoopOrder, snelstart.ScopeOrdersWrite, s.putVerkoopOrder)
	api(http.MethodDelete, snelstart.PathVerkoopOrder, snelstart.ScopeOrdersWrite, s.deleteVerkoopOrder)
	api(http.MethodGet, snelstart.PathVerkoopFacturen, snelstart.ScopeOrdersRead, s.getVerkoopFacturen)
	api(http.MethodGet, snelstart.PathVerkoopFactuur, snelstart.ScopeOrdersRead, s.getVerkoopFactuur)

	s.mux.Handle("POST "+snelstart.PathToken, s.counted(http.MethodPost, snelstart.PathToken,
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.faults.serve(w, r, s, s.token) })))

	s.mux.HandleFunc("GET "+pathFaults, s.getFaults)
	s.mux.HandleFunc("POST "+pathFaults, s.postFault)
	s.mux.HandleFunc("DELETE "+pathFaults, s.deleteFaults)
	s.mux.HandleFunc("GET "+pathStats, s.getStats)
	s.mux.HandleFunc("DELETE "+pathStats, s.deleteStats)

	// Anything else is an operation the gateway does not know.
	s.mux.Handle("/", s.counted("", "", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeGateway(w, http.StatusNotFound, "Resource not found")
	})))
}

// api wraps h in the gateway and API checks (see routes).
func (s *Sandbox) api(scope string, h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.checkSubscriptionKey(w, r) {
			return
		}
		a, scopes, ok := s.authenticate(w, r)
		if !ok {
			return
		}
		if c := callFrom(r.Context()); c != nil {
			c.admin = a
		}
		if scope != "" && !slices.Contains(scopes, scope) {
			writeMessage(w, http.StatusForbidden, fmt.Sprintf("Authorization has been denied for this request: the token lacks the scope '%s'.", scope))
			return
		}
		release, ok := a.limiter.acquire(w)
		if !ok {
			return
		}
		defer release()
		s.faults.serve(w, r, s, func(w http.ResponseWriter, r *http.Request) { h(w, r, a) })
	})
}

// pathID returns the {id} of r, or answers 404 as ASP.NET's routing does
// for a malformed GUID.
func pathID(w http.ResponseWriter, r *http.Request) (snelstart.ID, bool) {
	id := r.PathValue("id")
	if !guidRe.MatchString(id) {
		writeMessage(w, http.StatusNotFound, fmt.Sprintf("No HTTP resource was found that matches the request URI '%s'.", requestURI(r)))
		return "", false
	}
	return snelstart.ID(id), true
}

func requestURI(r *http.Request) string {
	host := r.Host
	if host == "" {
		host = "b2bapi.snelstart.nl"
	}
	return "http://" + host + r.URL.RequestURI()
}

// isTrue reports whether a *bool is set and true.
func isTrue(b *bool) bool { return b != nil && *b }

// hasSoort reports whether r has the relatiesoort.
func hasSoort(r *snelstart.Relatie, soort snelstart.Relatiesoort) bool {
	return slices.ContainsFunc(r.Relatiesoort, func(x snelstart.Relatiesoort) bool { return strings.EqualFold(string(x), string(soort)) })
}
