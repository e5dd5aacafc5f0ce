package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
	"github.com/clausewatch/clausewatch/watch"
)

// The seal program's pages and API: deadlines (page, JSON, iCalendar),
// supplier records, notifications, rubric releases, baselines, renewal
// reports, and the supplier-facing capture endpoint.

// captureLimits hands out one rate limiter per supplier for POST
// /api/capture.
type captureLimits struct {
	mu    sync.Mutex
	every time.Duration
	burst int
	lims  map[string]*rate.Limiter
}

func (c *captureLimits) limiter(supplier string) *rate.Limiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lims == nil {
		c.lims = map[string]*rate.Limiter{}
	}
	l, ok := c.lims[supplier]
	if !ok {
		l = rate.NewLimiter(rate.Every(c.every), c.burst)
		c.lims[supplier] = l
	}
	return l
}

func (s *Server) program() *vetting.Program { return s.opts.Program }

// deadlinesData is the deadlines page.
type deadlinesData struct {
	Items []vetting.Item
	Now   time.Time
}

func (deadlinesData) title() string { return "Deadlines" }

func (s *Server) deadlinesPage(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	items, err := s.program().Deadlines(r.Context(), now)
	if err != nil {
		s.failErr(w, r, "deadlines", err)
		return
	}
	s.render(w, r, http.StatusOK, "deadlines", deadlinesData{Items: items, Now: now})
}

func (s *Server) apiDeadlines(w http.ResponseWriter, r *http.Request) {
	items, err := s.program().Deadlines(r.Context(), s.opts.Now())
	if err != nil {
		s.failErr(w, r, "deadlines", err)
		return
	}
	if items == nil {
		items = []vetting.Item{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"deadlines": items})
}

func (s *Server) deadlinesICS(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Now()
	items, err := s.program().Deadlines(r.Context(), now)
	if err != nil {
		s.failErr(w, r, "deadlines", err)
		return
	}
	var b strings.Builder
	if err := vetting.WriteCalendar(&b, items, vetting.CalendarOptions{Instance: s.instance, BaseURL: s.baseURL(r), Now: now}); err != nil {
		s.failErr(w, r, "calendar", err)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="clausewatch-deadlines.ics"`)
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, b.String())
}

// renewalOptions reads ?baseline= and ?to= (YYYY-MM-DD, the end of that
// day, or RFC 3339).
func renewalOptions(r *http.Request) (vetting.ReportOptions, error) {
	opt := vetting.ReportOptions{Baseline: r.URL.Query().Get("baseline")}
	if to := r.URL.Query().Get("to"); to != "" {
		if d, err := vetting.ParseDate(to); err == nil {
			opt.To = d.AddDays(1).Start(time.UTC).Add(-time.Nanosecond)
		} else if t, err := time.Parse(time.RFC3339, to); err == nil {
			opt.To = t
		} else {
			return opt, fmt.Errorf("%w: to=%q (want YYYY-MM-DD or an RFC 3339 time)", store.ErrInvalid, to)
		}
	}
	return opt, nil
}

// renewalCSP lets the report's own inline style sheet apply; scripts stay
// forbidden.
const renewalCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func (s *Server) renewalPage(w http.ResponseWriter, r *http.Request) {
	opt, err := renewalOptions(r)
	if err != nil {
		s.failErr(w, r, "renewal report", err)
		return
	}
	release, ok := s.acquire(w, r)
	if !ok {
		return
	}
	defer release()
	rep, err := s.program().Renewal(r.Context(), r.PathValue("name"), opt)
	if err != nil {
		s.failErr(w, r, "renewal report", err)
		return
	}
	b := cappedBuffer{max: maxReportBytes}
	if err := rep.WriteHTML(&b, vetting.HTMLOptions{Links: true}); err != nil {
		s.failErr(w, r, "renewal report", err)
		return
	}
	release()
	w.Header().Set("Content-Security-Policy", renewalCSP)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, b.String())
}

func (s *Server) apiRenewal(w http.ResponseWriter, r *http.Request) {
	opt, err := renewalOptions(r)
	if err != nil {
		s.failErr(w, r, "renewal report", err)
		return
	}
	release, ok := s.acquire(w, r)
	if !ok {
		return
	}
	defer release()
	rep, err := s.program().Renewal(r.Context(), r.PathValue("name"), opt)
	if err != nil {
		s.failErr(w, r, "renewal report", err)
		return
	}
	release()
	writeJSON(w, http.StatusOK, rep)
}

// supplierRecord is what the supplier page and API show of the program's
// records.
type supplierRecord struct {
	Record        *store.Supplier  `json:"record"`
	Notifications []vetting.Status `json:"notifications"`
	Deadlines     []vetting.Item   `json:"deadlines"`
	Baselines     []store.Baseline `json:"baselines"`
}

func (s *Server) supplierRecord(r *http.Request, name string) (supplierRecord, error) {
	out := supplierRecord{Notifications: []vetting.Status{}, Deadlines: []vetting.Item{}, Baselines: []store.Baseline{}}
	sup, err := s.db.Supplier(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	sup.TokenHash = ""
	out.Record = &sup
	// One pass: the update items carry their notification's status.
	prog := s.program()
	items, err := prog.SupplierDeadlines(r.Context(), name, s.opts.Now())
	if err != nil {
		return out, err
	}
	for _, it := range items {
		if it.Kind == "update" {
			out.Notifications = append(out.Notifications, *it.Status)
		} else {
			out.Deadlines = append(out.Deadlines, it)
		}
	}
	// Newest notification first.
	slices.SortFunc(out.Notifications, func(a, b vetting.Status) int { return cmp.Compare(b.Notification.ID, a.Notification.ID) })
	srcs, err := prog.SupplierSources(r.Context(), name)
	if err != nil {
		return out, err
	}
	for _, src := range srcs {
		bs, err := s.db.Baselines(r.Context(), src.ID)
		if err != nil {
			return out, err
		}
		out.Baselines = append(out.Baselines, bs...)
	}
	return out, nil
}

func (s *Server) apiSupplierRecord(w http.ResponseWriter, r *http.Request) {
	rec, err := s.supplierRecord(r, r.PathValue("name"))
	if err != nil {
		s.failErr(w, r, "supplier", err)
		return
	}
	if rec.Record == nil {
		s.fail(w, r, http.StatusNotFound, fmt.Sprintf("supplier %q has no record", r.PathValue("name")))
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

// apiPutSupplier creates or replaces a supplier's record. The supplier
// must have a source already.
func (s *Server) apiPutSupplier(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Awarded    string          `json:"awarded"`
		Rubric     string          `json:"rubric"`
		LastReview string          `json:"last_review"`
		Zone       string          `json:"zone"`
		Note       string          `json:"note"`
		Products   []store.Product `json:"products"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		s.failErr(w, r, "supplier", err)
		return
	}
	sup, err := s.program().SaveSupplier(r.Context(), store.Supplier{Name: r.PathValue("name"), Awarded: body.Awarded, Rubric: body.Rubric,
		LastReview: body.LastReview, Zone: body.Zone, Note: body.Note, Products: body.Products})
	if err != nil {
		s.failNamed(w, r, "supplier", err)
		return
	}
	sup.TokenHash = ""
	writeJSON(w, http.StatusOK, sup)
}

func (s *Server) apiNotify(w http.ResponseWriter, r *http.Request) {
	var req vetting.NotifyRequest
	if err := decodeBody(w, r, &req); err != nil {
		s.failErr(w, r, "notification", err)
		return
	}
	req.Supplier = r.PathValue("name")
	req.By = identityOf(r.Context()).User
	n, err := s.program().Notify(r.Context(), req)
	if err != nil {
		s.failNamed(w, r, "notification", err)
		return
	}
	st, err := s.program().Status(r.Context(), n, s.opts.Now())
	if err != nil {
		s.failErr(w, r, "notification", err)
		return
	}
	if s.opts.Scheduler != nil {
		s.opts.Scheduler.Resync() // the supplier's sources go on the faster schedule
	}
	writeJSON(w, http.StatusCreated, st)
}

func (s *Server) apiSupplierToken(w http.ResponseWriter, r *http.Request) {
	secret, err := s.db.CreateSupplierToken(r.Context(), r.PathValue("name"))
	if err != nil {
		s.failErr(w, r, "supplier token", err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"supplier": r.PathValue("name"), "token": secret,
		"note": "shown once; it replaces any earlier capture token of this supplier"})
}

func (s *Server) apiAddRubric(w http.ResponseWriter, r *http.Request) {
	var body store.Rubric
	if err := decodeBody(w, r, &body); err != nil {
		s.failErr(w, r, "rubric", err)
		return
	}
	rb, needs, err := s.program().AddRubric(r.Context(), body)
	if err != nil {
		s.failErr(w, r, "rubric", err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"rubric": rb, "revet": needs})
}

func (s *Server) apiPinBaseline(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Source  string `json:"source"`
		Name    string `json:"name"`
		Version uint64 `json:"version"`
		Note    string `json:"note"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		s.failErr(w, r, "baseline", err)
		return
	}
	b, _, err := s.program().PinBaseline(r.Context(), vetting.PinRequest{Source: body.Source, Name: body.Name, Version: body.Version,
		Note: body.Note, By: identityOf(r.Context()).User})
	if err != nil {
		s.failNamed(w, r, "baseline", err)
		return
	}
	writeJSON(w, http.StatusCreated, b)
}

// captureAnswer is what a supplier's capture request gets back.
type captureAnswer struct {
	Supplier string           `json:"supplier"`
	Captures []captureRecord  `json:"captures"`
	Open     []vetting.Status `json:"notifications"`
	// Satisfied is true when every notification of the supplier is met
	// (or missed: the change is in, late).
	Satisfied bool `json:"satisfied"`
}

type captureRecord struct {
	Source  string        `json:"source"`
	Fetch   *store.Fetch  `json:"fetch,omitempty"`
	Version uint64        `json:"version,omitempty"`
	Change  *store.Change `json:"change,omitempty"`
	Note    string        `json:"note,omitempty"`
}

// apiCapture is the supplier-facing "I have updated my policy — capture
// it now": authorised by the supplier's own capture token (never a staff
// token), rate-limited per supplier, it checks the supplier's sources at
// once and answers with the capture records and where its notifications
// stand.
func (s *Server) apiCapture(w http.ResponseWriter, r *http.Request) {
	secret, ok := bearer(r)
	var sup store.Supplier
	var err error
	if ok {
		sup, err = s.db.SupplierForToken(r.Context(), secret)
	}
	if !ok || errors.Is(err, store.ErrNotFound) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="clausewatch supplier capture"`)
		s.fail(w, r, http.StatusUnauthorized, "a supplier capture token is needed (Authorization: Bearer cws_…)")
		return
	}
	if err != nil {
		s.failErr(w, r, "capture", err)
		return
	}
	if s.opts.Scheduler == nil {
		s.fail(w, r, http.StatusServiceUnavailable, "no daemon is running to capture with")
		return
	}
	now := s.opts.Now()
	res := s.captures.limiter(sup.Name).ReserveN(now, 1)
	if d := res.DelayFrom(now); !res.OK() || d > 0 {
		res.CancelAt(now)
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
		s.fail(w, r, http.StatusTooManyRequests, fmt.Sprintf("too many capture requests for %s; try again in %s", sup.Name, d.Round(time.Second)))
		return
	}
	var body struct {
		Source string `json:"source"`
	}
	if r.ContentLength != 0 {
		if err := decodeBody(w, r, &body); err != nil {
			s.failErr(w, r, "capture", err)
			return
		}
	}
	srcs, err := s.program().SupplierSources(r.Context(), sup.Name)
	if err != nil {
		s.failErr(w, r, "capture", err)
		return
	}
	srcs = slices.DeleteFunc(srcs, func(src store.Source) bool {
		return src.Paused || (body.Source != "" && src.Name != body.Source && strconv.FormatUint(src.ID, 10) != body.Source)
	})
	if len(srcs) == 0 {
		s.fail(w, r, http.StatusNotFound, "no such source of "+sup.Name)
		return
	}
	ans := captureAnswer{Supplier: sup.Name, Captures: []captureRecord{}, Open: []vetting.Status{}}
	for _, src := range srcs {
		rec := captureRecord{Source: src.Name}
		out, err := s.opts.Scheduler.CheckNow(r.Context(), src.ID)
		switch {
		case errors.Is(err, watch.ErrBusy):
			rec.Note = "a check of this source is under way; its capture counts as this one"
		case err != nil:
			s.failErr(w, r, "capture "+src.Name, err)
			return
		default:
			f := out.Fetch
			rec.Fetch, rec.Version, rec.Change = &f, out.Version, out.Change
			if out.Needed > 0 {
				rec.Note, err = s.notYetRecorded(r.Context(), sup.Name, src.ID, out)
				if err != nil {
					s.failErr(w, r, "capture "+src.Name, err)
					return
				}
			}
		}
		ans.Captures = append(ans.Captures, rec)
	}
	ns, err := s.db.Notifications(r.Context(), sup.Name)
	if err != nil {
		s.failErr(w, r, "capture", err)
		return
	}
	ans.Satisfied = true
	closed := false
	for _, n := range ns {
		if n.Withdrawn {
			continue
		}
		before := n
		if n, err = s.program().Evaluate(r.Context(), n); err != nil {
			s.failErr(w, r, "capture", err)
			return
		}
		closed = closed || !slices.EqualFunc(before.Tickets, n.Tickets, func(a, b store.Ticket) bool { return (a.Met == nil) == (b.Met == nil) })
		st, err := s.program().Status(r.Context(), n, s.opts.Now())
		if err != nil {
			s.failErr(w, r, "capture", err)
			return
		}
		if st.State != vetting.StateMet && st.State != vetting.StateMissed {
			ans.Satisfied = false
		}
		ans.Open = append(ans.Open, st)
	}
	if closed {
		s.opts.Scheduler.Resync() // back to the regular schedule
	}
	s.log.InfoContext(r.Context(), "capture on demand", "supplier", sup.Name, "sources", len(ans.Captures), "satisfied", ans.Satisfied)
	writeJSON(w, http.StatusOK, ans)
}

// notYetRecorded says of a capture that saw a text not recorded yet
// (the page flips between texts, or a first sighting) how far it is and
// when to look again: "seen 1 of 3, check again in 1h0m0s" — the wait
// before this supplier may capture again, and the daemon's own next check.
func (s *Server) notYetRecorded(ctx context.Context, supplier string, sourceID uint64, out watch.Result) (string, error) {
	now := s.opts.Now()
	res := s.captures.limiter(supplier).ReserveN(now, 1)
	wait := res.DelayFrom(now)
	res.CancelAt(now)
	note := fmt.Sprintf("seen %d of %d, check again in %s: the new text is recorded once %d fetches in a row have seen it",
		out.Seen, out.Needed, wait.Round(time.Second), out.Needed)
	if out.Fetch.Outcome == store.OutcomeFlip {
		note += " (the page has shown this text before: it alternates)"
	}
	due, err := s.db.DueOf(ctx, sourceID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return "", err
	default:
		note += fmt.Sprintf("; the daemon checks it again at %s", due.At.UTC().Format(time.RFC3339))
	}
	return note, nil
}

// bearer reads a bearer token (or HTTP Basic's password).
func bearer(r *http.Request) (string, bool) {
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		return strings.TrimSpace(strings.TrimPrefix(h, "Bearer ")), true
	}
	if _, pw, ok := r.BasicAuth(); ok {
		return pw, true
	}
	return "", false
}
