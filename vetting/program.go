package vetting

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// Program applies the seal program's rules to what the store holds.
type Program struct {
	DB store.Store
	// Rules classify changes for reword tickets and reports. Default
	// diff.DefaultRules().
	Rules *diff.Rules
	// Now is the clock. Default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// RubricDays is how many days after a rubric release a re-vet is
	// due. Default (0) RubricDays.
	RubricDays int
}

func (p *Program) rubricDays() int {
	if p.RubricDays <= 0 {
		return RubricDays
	}
	return p.RubricDays
}

func (p *Program) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

func (p *Program) rules() *diff.Rules {
	if p.Rules == nil {
		return diff.DefaultRules()
	}
	return p.Rules
}

func (p *Program) log() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

// SupplierSources returns a supplier's sources (those whose Supplier is
// name), by ID.
func (p *Program) SupplierSources(ctx context.Context, name string) ([]store.Source, error) {
	all, err := p.DB.Sources(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(s store.Source) bool { return s.Supplier != name }), nil
}

// TicketRequest is one expected change, as staff write it.
type TicketRequest struct {
	Kind store.TicketKind `json:"kind"`
	// Source is a source name or ID; "" means any of the supplier's
	// sources (appear and disappear only).
	Source string `json:"source,omitempty"`
	Text   string `json:"text"`
}

// NotifyRequest records a vetting notification.
type NotifyRequest struct {
	Supplier string `json:"supplier"`
	// When is the notification's date (YYYY-MM-DD, in the supplier's zone)
	// or instant (RFC 3339).
	When     string          `json:"when"`
	Must     string          `json:"must,omitempty"`
	Concerns string          `json:"concerns,omitempty"`
	Tickets  []TicketRequest `json:"tickets,omitempty"`
	By       string          `json:"by,omitempty"`
}

// ErrInvalid marks a request that cannot be recorded as written. It is
// also a store.ErrInvalid, so callers map both to one answer.
var ErrInvalid = fmt.Errorf("vetting: %w", store.ErrInvalid)

// Notify records a notification and its tickets. A reword or remove
// ticket must pick out exactly one clause of the version in force at the
// notification; an appear or disappear ticket must not already hold then
// (it would prove nothing). Versions seen since (a notification recorded
// late) are checked at once.
func (p *Program) Notify(ctx context.Context, req NotifyRequest) (store.Notification, error) {
	sup, err := p.DB.Supplier(ctx, req.Supplier)
	if errors.Is(err, store.ErrNotFound) {
		return store.Notification{}, fmt.Errorf("supplier %q has no seal record: save its record before notifying it (%w)", req.Supplier, err)
	}
	if err != nil {
		return store.Notification{}, err
	}
	loc, err := sup.Location()
	if err != nil {
		return store.Notification{}, err
	}
	n := store.Notification{Supplier: sup.Name, Zone: loc.String(), Must: req.Must, Concerns: req.Concerns, By: req.By}
	if d, err := ParseDate(req.When); err == nil {
		n.Date, n.At = d.String(), d.Start(loc)
	} else if t, err := time.Parse(time.RFC3339, req.When); err == nil {
		n.Date, n.At = DateOf(t, loc).String(), t.UTC()
	} else {
		return store.Notification{}, fmt.Errorf("%w: notification date %q (want YYYY-MM-DD or an RFC 3339 time)", ErrInvalid, req.When)
	}
	if err := notYet(n, loc, p.now()); err != nil {
		return store.Notification{}, err
	}
	srcs, err := p.SupplierSources(ctx, sup.Name)
	if err != nil {
		return store.Notification{}, err
	}
	if len(srcs) == 0 {
		return store.Notification{}, fmt.Errorf("%w: supplier %q has no sources to watch", ErrInvalid, sup.Name)
	}
	docs := newDocCache(p.DB)
	for i, tr := range req.Tickets {
		t := store.Ticket{Kind: tr.Kind, Text: strings.TrimSpace(tr.Text)}
		scope := srcs
		if tr.Source != "" {
			src, err := p.DB.Source(ctx, tr.Source)
			if err != nil {
				return store.Notification{}, fmt.Errorf("ticket %d: %w", i+1, err)
			}
			if src.Supplier != sup.Name {
				return store.Notification{}, fmt.Errorf("%w: ticket %d: source %s belongs to %q, not %q", ErrInvalid, i+1, src.Name, src.Supplier, sup.Name)
			}
			t.Source, scope = src.ID, []store.Source{src}
		}
		if t.Text == "" {
			return store.Notification{}, fmt.Errorf("%w: ticket %d has no text", ErrInvalid, i+1)
		}
		switch t.Kind {
		case store.TicketReword, store.TicketRemove:
			if len(scope) != 1 {
				if len(srcs) != 1 {
					return store.Notification{}, fmt.Errorf("%w: ticket %d (%s) must name its source: %s has %d", ErrInvalid, i+1, t.Kind, sup.Name, len(srcs))
				}
			}
			src := scope[0]
			t.Source = src.ID
			vs, err := p.DB.Versions(ctx, src.ID)
			if err != nil {
				return store.Notification{}, err
			}
			v, ok := versionAtOrFirst(vs, n.At)
			if !ok {
				return store.Notification{}, fmt.Errorf("%w: ticket %d: %s has no captured version to pick the clause from", ErrInvalid, i+1, src.Name)
			}
			doc, err := docs.get(ctx, v)
			if err != nil {
				return store.Notification{}, err
			}
			found := containing(doc, t.Text)
			switch len(found) {
			case 0:
				return store.Notification{}, fmt.Errorf("%w: ticket %d: no clause of %s (version %d) contains %q", ErrInvalid, i+1, src.Name, v.Seq, t.Text)
			case 1:
				t.Clause, t.Version = found[0].Text, v.Seq
			default:
				return store.Notification{}, fmt.Errorf("%w: ticket %d: %d clauses of %s contain %q; quote enough to pick one", ErrInvalid, i+1, len(found), src.Name, t.Text)
			}
		case store.TicketAppear, store.TicketDisappear:
			in, err := docs.inForce(ctx, scope, n.At)
			if err != nil {
				return store.Notification{}, err
			}
			if ok, why := holds(t, in, nil, p.rules()); ok && len(in) > 0 {
				return store.Notification{}, fmt.Errorf("%w: ticket %d already holds at the notification (%s)", ErrInvalid, i+1, why)
			}
		default:
			return store.Notification{}, fmt.Errorf("%w: ticket %d: kind %q (want appear, disappear, reword or remove)", ErrInvalid, i+1, t.Kind)
		}
		n.Tickets = append(n.Tickets, t)
	}
	n, err = p.DB.AddNotification(ctx, n)
	if err != nil {
		return store.Notification{}, err
	}
	return p.Evaluate(ctx, n)
}

// docCache reads stored documents once.
type docCache struct {
	db   store.Store
	docs map[string]*extract.Document
}

func newDocCache(db store.Store) *docCache {
	return &docCache{db: db, docs: map[string]*extract.Document{}}
}

func (c *docCache) get(ctx context.Context, v store.Version) (*extract.Document, error) {
	if d, ok := c.docs[v.DocSHA256]; ok {
		return d, nil
	}
	d, err := watch.Document(ctx, c.db, v.DocSHA256)
	if err != nil {
		return nil, fmt.Errorf("source %d version %d: %w", v.SourceID, v.Seq, err)
	}
	c.docs[v.DocSHA256] = d
	return d, nil
}

// inForce returns the documents in force at t of the sources (the first
// capture of a source first captured later).
func (c *docCache) inForce(ctx context.Context, srcs []store.Source, t time.Time) ([]*extract.Document, error) {
	var out []*extract.Document
	for _, s := range srcs {
		vs, err := c.db.Versions(ctx, s.ID)
		if err != nil {
			return nil, err
		}
		v, ok := versionAtOrFirst(vs, t)
		if !ok {
			continue
		}
		d, err := c.get(ctx, v)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// versionAtOrFirst is the version in force at t or, for a source first
// captured after t, its first version: what the page is known to have
// said before any change was seen.
func versionAtOrFirst(vs []store.Version, t time.Time) (store.Version, bool) {
	if v, ok := versionAt(vs, t); ok {
		return v, true
	}
	if len(vs) > 0 {
		return vs[0], true
	}
	return store.Version{}, false
}

// versionAt picks the version of vs (oldest first) in force at t.
func versionAt(vs []store.Version, t time.Time) (store.Version, bool) {
	for i := len(vs) - 1; i >= 0; i-- {
		if !vs[i].FirstSeen.After(t) {
			return vs[i], true
		}
	}
	return store.Version{}, false
}

// Evaluate checks n's open tickets against every version its sources have
// had since the notification, and records on each ticket the first
// capture that meets it. It is idempotent: a ticket keeps its first
// proof.
func (p *Program) Evaluate(ctx context.Context, n store.Notification) (store.Notification, error) {
	if n.Withdrawn {
		return n, nil
	}
	srcs, err := p.SupplierSources(ctx, n.Supplier)
	if err != nil {
		return n, err
	}
	docs := newDocCache(p.DB)
	found := map[int]*store.Proof{}
	for _, t := range n.Tickets {
		if t.Met != nil {
			continue
		}
		scope := srcs
		if t.Source != 0 {
			scope = slices.DeleteFunc(slices.Clone(srcs), func(s store.Source) bool { return s.ID != t.Source })
		}
		proof, err := p.proofFor(ctx, n, t, scope, docs)
		if err != nil {
			return n, fmt.Errorf("notification %d ticket %d: %w", n.ID, t.N, err)
		}
		if proof != nil {
			found[t.N] = proof
		}
	}
	if len(found) == 0 {
		return n, nil
	}
	n, err = p.DB.UpdateNotification(ctx, n.ID, func(m *store.Notification) error {
		for i := range m.Tickets {
			if pr := found[m.Tickets[i].N]; pr != nil && m.Tickets[i].Met == nil {
				m.Tickets[i].Met = pr
			}
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	for num, pr := range found {
		p.log().InfoContext(ctx, "ticket met", "supplier", n.Supplier, "notification", n.ID, "ticket", num,
			"source", pr.Source, "version", pr.Version, "fetch", pr.Fetch, "seen", pr.Seen, "why", pr.Why)
	}
	return n, nil
}

// changedSince returns the versions of vs first seen at or after t that
// a change produced: a source's first capture is not a change, even when
// it was made after the notification.
func changedSince(vs []store.Version, t time.Time) []store.Version {
	var out []store.Version
	for i, v := range vs {
		if i > 0 && !v.FirstSeen.Before(t) {
			out = append(out, v)
		}
	}
	return out
}

// proofFor walks the versions of scope first seen after the notification,
// in the order they were seen, and returns the first one at which t holds
// (nil when none does yet).
func (p *Program) proofFor(ctx context.Context, n store.Notification, t store.Ticket, scope []store.Source, docs *docCache) (*store.Proof, error) {
	versions := map[uint64][]store.Version{}
	var events []store.Version
	for _, s := range scope {
		vs, err := p.DB.Versions(ctx, s.ID)
		if err != nil {
			return nil, err
		}
		versions[s.ID] = vs
		events = append(events, changedSince(vs, n.At)...)
	}
	slices.SortStableFunc(events, func(a, b store.Version) int { return a.FirstSeen.Compare(b.FirstSeen) })
	var base *extract.Document
	if t.Version != 0 {
		for _, v := range versions[t.Source] {
			if v.Seq == t.Version {
				if d, err := docs.get(ctx, v); err == nil {
					base = d
				}
			}
		}
	}
	for _, ev := range events {
		var in []*extract.Document
		for _, s := range scope {
			v, ok := versionAt(versions[s.ID], ev.FirstSeen)
			if !ok {
				continue
			}
			d, err := docs.get(ctx, v)
			if err != nil {
				return nil, err
			}
			in = append(in, d)
		}
		if ok, why := holds(t, in, base, p.rules()); ok {
			return &store.Proof{Source: ev.SourceID, Version: ev.Seq, Fetch: ev.FirstFetch, Seen: ev.FirstSeen, Why: why, Checked: p.now().UTC()}, nil
		}
	}
	return nil, nil
}

// Observe checks the open notifications of a check's supplier when the
// check recorded a change: every new version is held against the open
// tickets. It returns the notifications whose tickets it closed.
func (p *Program) Observe(ctx context.Context, res watch.Result) ([]store.Notification, error) {
	if res.Change == nil || res.Source.Supplier == "" {
		return nil, nil
	}
	ns, err := p.DB.Notifications(ctx, res.Source.Supplier)
	if err != nil {
		return nil, err
	}
	var closed []store.Notification
	var errs []error
	for _, n := range ns {
		if n.Withdrawn || allMet(n) && len(n.Tickets) > 0 {
			continue
		}
		before := metCount(n)
		m, err := p.Evaluate(ctx, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if metCount(m) > before {
			closed = append(closed, m)
		}
	}
	return closed, errors.Join(errs...)
}

func metCount(n store.Notification) int {
	k := 0
	for _, t := range n.Tickets {
		if t.Met != nil {
			k++
		}
	}
	return k
}

func allMet(n store.Notification) bool { return metCount(n) == len(n.Tickets) }

// The states of a deadline.
const (
	// StateOpen: the window is open and the change is not seen yet.
	StateOpen = "open"
	// StateMet: the change was captured inside the window.
	StateMet = "met"
	// StateMissed: the change was captured, after the window closed.
	StateMissed = "missed"
	// StateOverdue: the window closed; the sources changed, but not as
	// the tickets require.
	StateOverdue = "overdue"
	// StateNoChange: the window closed and no change of the supplier's
	// sources was captured at all.
	StateNoChange = "no change found"
	// StateUpcoming: a renewal whose notice date is still to come.
	StateUpcoming = "upcoming"
	// StateDue: a renewal inside its notice period, or a re-vet the
	// rubric calls for, before its due date (then StateOverdue).
	StateDue = "due"
	// StateWithdrawn: a notification entered in error.
	StateWithdrawn = "withdrawn"
)

// TicketStatus is where one ticket stands.
type TicketStatus struct {
	store.Ticket
	Source string `json:"source_name,omitempty"`
	// State is open, met, missed (met after the window) or overdue.
	State string `json:"state"`
}

// Capture is a fetch shown as evidence: the last capture when no change
// was found.
type Capture struct {
	Source string      `json:"source"`
	Fetch  store.Fetch `json:"fetch"`
}

// Status is where a notification stands.
type Status struct {
	Notification store.Notification `json:"notification"`
	Window       Window             `json:"window"`
	State        string             `json:"state"`
	// Summary says the state in one line, with the proof or the last
	// capture.
	Summary string `json:"summary"`
	// MetAt is when the last required change was first captured.
	MetAt   time.Time      `json:"met_at,omitzero"`
	Tickets []TicketStatus `json:"tickets"`
	// Changes counts the versions of the supplier's sources first seen
	// since the notification.
	Changes int `json:"changes"`
	// LastCaptures are each source's latest fetch (shown when nothing
	// changed).
	LastCaptures []Capture `json:"last_captures,omitempty"`
}

// Status works out where notification n stands at now. A notification
// without tickets asks for any change: it is met by the first new version
// of any of the supplier's sources.
func (p *Program) Status(ctx context.Context, n store.Notification, now time.Time) (Status, error) {
	loc, err := n.Location()
	if err != nil {
		return Status{}, err
	}
	d, err := ParseDate(n.Date)
	if err != nil {
		return Status{}, err
	}
	st := Status{Notification: n, Window: UpdateWindow(d, loc)}
	srcs, err := p.SupplierSources(ctx, n.Supplier)
	if err != nil {
		return st, err
	}
	names := map[uint64]string{}
	var first *store.Version
	for _, s := range srcs {
		names[s.ID] = s.Name
		vs, err := p.DB.Versions(ctx, s.ID)
		if err != nil {
			return st, err
		}
		for _, v := range changedSince(vs, n.At) {
			st.Changes++
			if first == nil || v.FirstSeen.Before(first.FirstSeen) {
				first = &v
			}
		}
	}
	// Without tickets, any change meets the notification.
	met := len(n.Tickets) > 0 || first != nil
	if len(n.Tickets) == 0 && first != nil {
		st.MetAt = first.FirstSeen
	}
	for _, t := range n.Tickets {
		ts := TicketStatus{Ticket: t, Source: names[t.Source]}
		switch {
		case t.Met != nil && st.Window.InTime(t.Met.Seen):
			ts.State = StateMet
		case t.Met != nil:
			ts.State = StateMissed
		case now.Before(st.Window.Due):
			ts.State = StateOpen
		default:
			ts.State = StateOverdue
		}
		if t.Met == nil {
			met = false
		} else if t.Met.Seen.After(st.MetAt) {
			st.MetAt = t.Met.Seen
		}
		st.Tickets = append(st.Tickets, ts)
	}
	switch {
	case n.Withdrawn:
		st.State, st.Summary = StateWithdrawn, "withdrawn"
	case met && st.Window.InTime(st.MetAt):
		st.State = StateMet
		st.Summary = fmt.Sprintf("met: captured %s, %s before the deadline", stampIn(st.MetAt, loc), roughly(st.Window.Due.Sub(st.MetAt)))
	case met:
		st.State = StateMissed
		st.Summary = fmt.Sprintf("missed: captured %s, %s after the deadline", stampIn(st.MetAt, loc), roughly(st.MetAt.Sub(st.Window.Due)))
	case now.Before(st.Window.Due):
		st.State = StateOpen
		st.Summary = fmt.Sprintf("open: %s left (until %s)", roughly(st.Window.Due.Sub(now)), stampIn(st.Window.Due, loc))
	case st.Changes > 0:
		st.State = StateOverdue
		st.Summary = fmt.Sprintf("overdue: %d new version(s) since the notification, but not every required change", st.Changes)
	default:
		st.State = StateNoChange
		st.Summary = "no change found since the notification"
	}
	if st.State == StateNoChange || st.State == StateOverdue || st.State == StateOpen {
		for _, s := range srcs {
			fs, err := p.DB.Fetches(ctx, s.ID, time.Time{}, time.Time{}, 1)
			if err != nil {
				return st, err
			}
			if len(fs) == 1 {
				st.LastCaptures = append(st.LastCaptures, Capture{Source: s.Name, Fetch: fs[0]})
			}
		}
		if st.State == StateNoChange {
			if len(st.LastCaptures) == 0 {
				st.Summary += "; no capture at all yet"
			}
			for _, c := range st.LastCaptures {
				st.Summary += fmt.Sprintf("; last capture of %s %s (%s, fetch %d)", c.Source, stampIn(c.Fetch.Start, loc), c.Fetch.Outcome, c.Fetch.ID)
			}
		}
	}
	return st, nil
}

// stampIn writes t in loc, minutes, with the zone's abbreviation.
func stampIn(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

// roughly writes a duration for people: days and hours, or minutes.
func roughly(d time.Duration) string {
	d = d.Round(time.Minute)
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days %d h", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%d h %d min", d/time.Hour, d%time.Hour/time.Minute)
	default:
		return fmt.Sprintf("%d min", d/time.Minute)
	}
}
