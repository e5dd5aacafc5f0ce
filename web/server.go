package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
	"github.com/clausewatch/clausewatch/watch"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Scheduler is what the server asks of the daemon's scheduler.
type Scheduler interface {
	// CheckSoon makes a source due now, keeping its regular schedule.
	CheckSoon(ctx context.Context, sourceID uint64) error
	// Resync asks the scheduler to read the sources again (one was added,
	// edited or paused, or a supplier's update window opened or closed).
	Resync()
	// CheckNow checks a source at once (a supplier's capture on demand);
	// watch.ErrBusy when it is being checked.
	CheckNow(ctx context.Context, sourceID uint64) (watch.Result, error)
}

// Options configures a Server.
type Options struct {
	DB store.Store
	// Scheduler runs "check now" and picks up source edits. Nil: check
	// now is refused with 503 (no daemon).
	Scheduler Scheduler
	// BaseURL is the absolute URL the server is reached at, for feed and
	// webhook links, e.g. "https://cw.example.org". Default: taken from
	// each request's Host.
	BaseURL string
	// OpenRead serves pages, feeds and read-only API calls without
	// sign-in. State-changing requests always need a token or a session.
	OpenRead bool
	// SessionTTL is how long a sign-in lasts. Default 12h.
	SessionTTL time.Duration
	// Metrics are served at /metrics. Default: NewMetrics(DB, Now).
	Metrics *Metrics
	// Webhooks is told when a hook is added. May be nil.
	Webhooks *Deliverer
	Logger   *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Mail sends test e-mail and is told when a subscription is added.
	// Nil: no SMTP server configured (subscriptions are still kept).
	Mail *Mailer
	// Program applies the seal program's rules. Default: one on DB with
	// the same clock.
	Program *vetting.Program
	// CaptureEvery and CaptureBurst rate-limit each supplier's capture
	// requests. Default one every 5 minutes, 3 at once.
	CaptureEvery time.Duration
	CaptureBurst int
	// MaxRenders bounds the change pages, version texts and renewal
	// reports rendered at once. Default 2. A signed-in request waits up
	// to RenderWait (default 10s) for a turn; an anonymous one is told
	// 503 with Retry-After at once.
	MaxRenders int
	RenderWait time.Duration
	// Preview fetches a source for the add and edit forms' preview,
	// recording nothing; the daemon passes its checker. Nil: a guarded
	// client of the server's own, without a browser.
	Preview Previewer
}

// Server serves the change feed. Build it with New; it is an
// http.Handler.
type Server struct {
	opts     Options
	db       store.Store
	log      *slog.Logger
	pages    map[string]*template.Template
	handler  http.Handler
	instance string
	supIndex supplierIndex
	captures captureLimits
	renders  *renderLimit
}

// New checks the options, parses the templates and builds the routes.
func New(ctx context.Context, opts Options) (*Server, error) {
	if opts.DB == nil {
		return nil, errors.New("web: no database")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	if opts.BaseURL != "" {
		u, err := url.Parse(opts.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("web: base URL %q: want http(s)://host[:port]", opts.BaseURL)
		}
		opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(opts.DB, opts.Now)
	}
	if opts.Program == nil {
		opts.Program = &vetting.Program{DB: opts.DB, Now: opts.Now, Logger: opts.Logger}
	}
	if opts.CaptureEvery <= 0 {
		opts.CaptureEvery = 5 * time.Minute
	}
	if opts.CaptureBurst <= 0 {
		opts.CaptureBurst = 3
	}
	if opts.MaxRenders <= 0 {
		opts.MaxRenders = 2
	}
	if opts.RenderWait <= 0 {
		opts.RenderWait = 10 * time.Second
	}
	instance, err := opts.DB.Instance(ctx)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	pages, err := parseTemplates(opts.Now)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, db: opts.DB, log: opts.Logger, pages: pages, instance: instance,
		captures: captureLimits{every: opts.CaptureEvery, burst: opts.CaptureBurst}, renders: newRenderLimit(opts.MaxRenders, opts.RenderWait)}
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// access says who may use a route.
type access int

const (
	// public routes need nothing (health, sign-in, static files).
	public access = iota
	// reads are open or need sign-in, as Options.OpenRead says.
	reads
	// staffReads only read, but always need a token or a session, even
	// with OpenRead: webhook URLs are credentials (a Slack-style hook URL
	// is its own secret), e-mail addresses personal data.
	staffReads
	// adminReads are staff reads of what only admins use or may see:
	// the admin forms, and webhook URLs, tokens and e-mail addresses
	// (a viewer who could read a hook URL could post to it).
	adminReads
	// The writes change state: a token, or a session and its CSRF token,
	// and the role each needs (decision record 0043). ownWrites touch
	// only the user's own sign-in and e-mail subscriptions (any role;
	// decision record 0046); reviewWrites triage
	// changes; adminWrites manage everything else.
	ownWrites
	reviewWrites
	adminWrites
)

// role is the role a write needs ("" for routes that do not write).
func (a access) role() store.Role {
	switch a {
	case ownWrites:
		return store.RoleViewer
	case reviewWrites:
		return store.RoleReviewer
	case adminWrites:
		return store.RoleAdmin
	}
	return ""
}

// readRole is the role a staff read needs ("" for the others).
func (a access) readRole() store.Role {
	switch a {
	case staffReads:
		return store.RoleViewer
	case adminReads:
		return store.RoleAdmin
	}
	return ""
}

type route struct {
	pattern string
	access  access
	handler http.HandlerFunc
}

// routeTable lists every route with who may use it; routes registers
// them, and the tests walk the same table, so a new state-changing route
// cannot miss the refusal tests.
func (s *Server) routeTable() []route {
	static, _ := fs.Sub(staticFiles, "static")
	return []route{
		{"GET /static/", public, http.StripPrefix("/static/", cacheFor(time.Hour, http.FileServerFS(static))).ServeHTTP},
		{"GET /healthz", public, s.healthz},
		{"GET /login", public, s.loginPage},
		{"POST /login", public, s.login},
		{"POST /logout", ownWrites, s.logout},

		// Pages.
		{"GET /{$}", reads, s.feedPage},
		{"GET /changes/{id}", reads, s.changePage},
		{"POST /changes/{id}/triage", reviewWrites, s.triageForm},
		{"GET /sources", reads, s.dashboardPage},
		{"GET /sources.csv", reads, s.dashboardCSV},
		{"GET /sources/new", adminReads, s.newSourcePage},
		{"POST /sources/new", adminWrites, s.addSourceForm},
		{"GET /sources/bulk", adminReads, s.bulkPage},
		{"POST /sources/bulk", adminWrites, s.bulkForm},
		{"GET /sources/{id}/edit", adminReads, s.editSourcePage},
		{"POST /sources/{id}/edit", adminWrites, s.editSourceForm},
		{"POST /sources/{id}/pause", adminWrites, s.sourceStateForm("pause")},
		{"POST /sources/{id}/resume", adminWrites, s.sourceStateForm("resume")},
		{"POST /sources/{id}/archive", adminWrites, s.sourceStateForm("archive")},
		{"POST /sources/{id}/restore", adminWrites, s.sourceStateForm("restore")},
		{"GET /sources/{id}/compare", reads, s.comparePage},
		{"GET /sources/{id}/at", reads, s.versionAtPage},
		{"GET /sources/{id}", reads, s.sourcePage},
		{"POST /sources/{id}/check", adminWrites, s.checkForm},
		{"GET /sources/{id}/versions/{seq}", reads, s.versionPage},
		{"GET /sources/{id}/versions/{seq}/raw", reads, s.rawCapture},
		{"GET /sources/{id}/fetches/{fetch}/{which}", reads, s.fetchCapture},
		{"GET /suppliers", reads, s.suppliersPage},
		{"GET /suppliers/{name}", reads, s.supplierPage},
		{"GET /suppliers/{name}/renewal", reads, s.renewalPage},
		{"GET /deadlines", reads, s.deadlinesPage},
		{"GET /deadlines.ics", reads, s.deadlinesICS},

		// Feeds and metrics.
		{"GET /feed.atom", reads, s.atomFeed},
		{"GET /feed.json", reads, s.jsonFeed},
		{"GET /metrics", reads, s.opts.Metrics.ServeHTTP},

		// The JSON API.
		{"GET /api/openapi.json", public, s.openAPI},
		{"GET /api/sources", reads, s.apiSources},
		{"POST /api/sources", adminWrites, s.apiAddSource},
		{"GET /api/sources/{id}", reads, s.apiSource},
		{"PATCH /api/sources/{id}", adminWrites, s.apiEditSource},
		{"DELETE /api/sources/{id}", adminWrites, s.apiPauseSource},
		{"POST /api/sources/{id}/check", adminWrites, s.apiCheck},
		{"GET /api/sources/{id}/versions", reads, s.apiVersions},
		{"GET /api/sources/{id}/versions/{seq}", reads, s.apiVersion},
		{"GET /api/changes", reads, s.apiChanges},
		{"GET /api/changes/{id}", reads, s.apiChange},
		{"POST /api/changes/{id}/triage", reviewWrites, s.apiTriage},
		{"GET /api/webhooks", adminReads, s.apiWebhooks},
		{"POST /api/webhooks", adminWrites, s.apiAddWebhook},
		{"DELETE /api/webhooks/{id}", adminWrites, s.apiDeleteWebhook},
		{"GET /api/webhooks/{id}/deliveries", adminReads, s.apiDeliveries},
		{"POST /api/tokens", adminWrites, s.apiAddToken},
		{"DELETE /api/tokens/{name}", adminWrites, s.apiRevokeToken},
		{"PUT /api/tokens/{name}/role", adminWrites, s.apiSetTokenRole},
		// E-mail subscriptions (email.go): every user manages their own
		// (the handlers show and delete only the caller's, an admin's
		// everyone's); addresses are never anonymous reads. The outbox
		// lists everyone's mail: admins only.
		{"GET /settings/email", staffReads, s.emailPage},
		{"POST /settings/email", ownWrites, s.emailAddForm},
		{"POST /settings/email/{id}/delete", ownWrites, s.emailDeleteForm},
		{"POST /settings/email/test", ownWrites, s.emailTestForm},
		{"GET /api/email/subscriptions", staffReads, s.apiSubscriptions},
		{"POST /api/email/subscriptions", ownWrites, s.apiAddSubscription},
		{"DELETE /api/email/subscriptions/{id}", ownWrites, s.apiDeleteSubscription},
		{"GET /api/email/outbox", adminReads, s.apiOutbox},
		{"POST /api/email/test", ownWrites, s.apiTestMail},

		// The seal program.
		{"GET /api/deadlines", reads, s.apiDeadlines},
		{"GET /api/suppliers/{name}/record", reads, s.apiSupplierRecord},
		{"PUT /api/suppliers/{name}/record", adminWrites, s.apiPutSupplier},
		{"POST /api/suppliers/{name}/notifications", adminWrites, s.apiNotify},
		{"POST /api/suppliers/{name}/token", adminWrites, s.apiSupplierToken},
		{"GET /api/suppliers/{name}/renewal", reads, s.apiRenewal},
		{"POST /api/rubrics", adminWrites, s.apiAddRubric},
		{"POST /api/baselines", adminWrites, s.apiPinBaseline},
		// The programme managed from the browser (forms, staff only:
		// manage.go, supplier_forms.go, evidence.go).
		{"GET /suppliers/{name}/manage", adminReads, s.manageSupplierPage},
		{"POST /suppliers/{name}/record", adminWrites, s.supplierRecordForm},
		{"POST /suppliers/{name}/notifications", adminWrites, s.notifyForm},
		{"POST /suppliers/{name}/token", adminWrites, s.supplierTokenForm},
		{"POST /suppliers/{name}/baselines", adminWrites, s.pinBaselineForm},
		{"POST /suppliers/{name}/baselines/remove", adminWrites, s.unpinBaselineForm},
		{"GET /rubrics", adminReads, s.rubricsPage},
		{"POST /rubrics", adminWrites, s.rubricForm},
		{"GET /tokens", adminReads, s.tokensPage},
		{"POST /tokens", adminWrites, s.tokenForm},
		{"POST /tokens/revoke", adminWrites, s.revokeTokenForm},
		{"POST /tokens/role", adminWrites, s.tokenRoleForm},
		{"GET /webhooks", adminReads, s.webhooksPage},
		{"POST /webhooks", adminWrites, s.webhookForm},
		{"POST /webhooks/{id}/delete", adminWrites, s.deleteWebhookForm},
		{"GET /evidence", staffReads, s.evidenceDownload},
		// Verifying changes nothing (no CSRF token needed: a cross-site
		// post is refused before any handler), but it is work: staff only.
		{"GET /verify", staffReads, s.verifyPage},
		{"POST /verify", staffReads, s.verifyUpload},
		// Suppliers, not staff: authorised by the supplier's own capture
		// token inside the handler.
		{"POST /api/capture", public, s.apiCapture},
	}
}

// routes builds the mux from the route table.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routeTable() {
		h := rt.handler
		switch rt.access {
		case reads:
			h = s.read(h)
		case staffReads, adminReads:
			h = s.staffRead(rt.access.readRole(), h)
		case ownWrites, reviewWrites, adminWrites:
			h = s.write(rt.access.role(), h)
		}
		mux.HandleFunc(rt.pattern, h)
	}
	// Cross-origin browser requests that change state are refused before
	// any handler runs (Sec-Fetch-Site / Origin); the CSRF token is the
	// second line, for browsers that send neither header.
	return s.secure(http.NewCrossOriginProtection().Handler(mux))
}

// contentSecurityPolicy forbids every script, inline or not, and every
// resource from elsewhere: policy text cannot run code even if a template
// bug let markup through.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// secure sets the security headers on every response and turns a panic
// into a 500 that names the request.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "handler panic", "method", r.Method, "path", r.URL.Path, "panic", v)
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func cacheFor(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(d.Seconds())))
		next.ServeHTTP(w, r)
	})
}

// Serve serves on ln until ctx is done, then shuts down gracefully
// (in-flight requests get 5 seconds). The server has read, write and idle
// timeouts, so a slow client cannot hold a connection.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("web: serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		srv.Close()
		return fmt.Errorf("web: shut down %s: %w", ln.Addr(), err)
	}
	<-errc
	return nil
}

// baseURL is where the server is reached: Options.BaseURL, or the
// request's own scheme and host.
func (s *Server) baseURL(r *http.Request) string {
	if s.opts.BaseURL != "" {
		return s.opts.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// healthz answers 200 when the database answers.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if _, err := s.db.Schema(r.Context()); err != nil {
		// The endpoint is public: the details (paths, pages) go to the
		// log, the answer says only what kind of failure it is.
		s.log.ErrorContext(r.Context(), "health check", "err", err)
		what := "unavailable"
		if errors.Is(err, store.ErrCorrupt) {
			what = "corrupt"
		}
		http.Error(w, "database "+what, http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}
