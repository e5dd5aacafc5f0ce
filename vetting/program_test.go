package vetting_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
	"github.com/clausewatch/clausewatch/watch"
)

const ims = "1EdTech Consortium"

// world is a database watching the fixture pages on an injected clock.
type world struct {
	DB      *store.DB
	Clock   *fixtures.Clock
	Checker *watch.Checker
	Program *vetting.Program
	IMS     store.Source
	COR     store.Source
}

// at is noon UTC on a day.
func at(day string) time.Time {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		panic(err)
	}
	return t.Add(12 * time.Hour)
}

// newWorld has checked IMS on 2019-06-01 (the 2019 policy) and COR on
// 2016-04-01; IMS has a supplier record in New York time.
func newWorld(t *testing.T) *world {
	t.Helper()
	clk := fixtures.NewClock(at("2016-04-01"))
	fx := httptest.NewServer(fixtures.Handler(clk.Now))
	t.Cleanup(fx.Close)
	db, err := store.Open(filepath.Join(t.TempDir(), "vet.db"), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(context.Background()); err != nil {
			t.Errorf("store consistency: %v", err)
		}
		db.Close()
	})
	w := &world{DB: db, Clock: clk,
		Checker: &watch.Checker{Store: db, Client: fetch.NewClient(fetch.Options{Backoff: time.Millisecond, Now: clk.Tick}),
			Policy: watch.Policy{ConfirmDelay: time.Nanosecond}, Now: clk.Tick},
		Program: &vetting.Program{DB: db, Now: clk.Now}}
	ctx := t.Context()
	add := func(s store.Source) store.Source {
		s.Kind, s.Origin, s.AllowPrivate = store.Privacy, "cli", true
		s, err := db.AddSource(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	w.COR = add(store.Source{Name: "cor-privacy", URL: fx.URL + "/cor/privacy", Supplier: "COR"})
	w.check(t, w.COR)
	w.IMS = add(store.Source{Name: "ims-privacy", URL: fx.URL + "/ims/privacy", Supplier: ims})
	clk.Set(at("2019-06-01"))
	w.check(t, w.IMS)
	if _, err := db.PutSupplier(ctx, store.Supplier{Name: ims, Awarded: "2019-06-15", Rubric: "1.0", Zone: "America/New_York",
		Products: []store.Product{{Name: "1EdTech website", Sources: []string{"ims-privacy"}}}}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) check(t *testing.T, s store.Source) watch.Result {
	t.Helper()
	res := w.Checker.Check(t.Context(), s)
	if res.Err != nil {
		t.Fatalf("check %s at %s: %v", s.Name, w.Clock.Now(), res.Err)
	}
	return res
}

// daily checks IMS at noon UTC on each day from..to, as the daemon would,
// handing each result to the program; it returns the notifications
// closed and the day each was closed on.
func (w *world) daily(t *testing.T, from, to string) map[uint64]string {
	t.Helper()
	closedOn := map[uint64]string{}
	for d := at(from); !d.After(at(to)); d = d.AddDate(0, 0, 1) {
		w.Clock.Set(d)
		res := w.check(t, w.IMS)
		closed, err := w.Program.Observe(t.Context(), res)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range closed {
			closedOn[n.ID] = d.Format(time.DateOnly)
		}
	}
	return closedOn
}

// tickets2022 are what the 2022 policy did, as staff would ask for it.
var tickets2022 = []vetting.TicketRequest{
	{Kind: store.TicketAppear, Text: "Foundation, Compatibility Check"},
	{Kind: store.TicketDisappear, Text: "use our forums to post"},
	{Kind: store.TicketReword, Source: "ims-privacy", Text: "you will not use our forums to post any material"},
}

func TestDeadlineMet(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	w.Clock.Set(at("2022-05-13"))
	n, err := w.Program.Notify(ctx, vetting.NotifyRequest{Supplier: ims, When: "2022-05-13", Must: "name the sites the policy covers; stop the forum rule",
		Concerns: "scope of the websites", Tickets: tickets2022, By: "staff"})
	if err != nil {
		t.Fatal(err)
	}
	if st := status(t, w, n.ID, at("2022-05-14")); st.State != vetting.StateOpen {
		t.Fatalf("day 1: %s (%s), want open", st.State, st.Summary)
	}
	// The fixture page changes on 17 May: day 4.
	closed := w.daily(t, "2022-05-13", "2022-05-20")
	if closed[n.ID] != "2022-05-17" {
		t.Errorf("notification closed on %q, want the check of 2022-05-17 (day 4)", closed[n.ID])
	}
	st := status(t, w, n.ID, at("2022-06-30"))
	if st.State != vetting.StateMet {
		t.Fatalf("state %s (%s), want met", st.State, st.Summary)
	}
	vs, err := w.DB.Versions(ctx, w.IMS.ID)
	if err != nil {
		t.Fatal(err)
	}
	v2022 := vs[len(vs)-1]
	for _, tk := range st.Tickets {
		if tk.State != vetting.StateMet || tk.Met == nil {
			t.Fatalf("ticket %d (%s %q): %s, want met", tk.N, tk.Kind, tk.Text, tk.State)
		}
		// The proof is the capture that first saw the new text.
		if tk.Met.Version != v2022.Seq || tk.Met.Fetch != v2022.FirstFetch || !tk.Met.Seen.Equal(v2022.FirstSeen) {
			t.Errorf("ticket %d proof %+v, want version %d fetch %d seen %s", tk.N, tk.Met, v2022.Seq, v2022.FirstFetch, v2022.FirstSeen)
		}
		if _, err := w.DB.FetchAt(ctx, w.IMS.ID, tk.Met.Seen, tk.Met.Fetch); err != nil {
			t.Errorf("ticket %d: the proving capture is not stored: %v", tk.N, err)
		}
	}
	if !strings.HasPrefix(st.Summary, "met: captured 2022-05-17") || !strings.Contains(st.Window.Rule, "America/New_York") {
		t.Errorf("summary %q, rule %q", st.Summary, st.Window.Rule)
	}
	if st.Window.LastDay.String() != "2022-05-23" {
		t.Errorf("last day %s, want 2022-05-23", st.Window.LastDay)
	}
}

func TestDeadlineMissed(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	w.Clock.Set(at("2022-05-05"))
	n, err := w.Program.Notify(ctx, vetting.NotifyRequest{Supplier: ims, When: "2022-05-05", Tickets: tickets2022})
	if err != nil {
		t.Fatal(err)
	}
	w.daily(t, "2022-05-05", "2022-05-16")
	if st := status(t, w, n.ID, w.Clock.Now()); st.State != vetting.StateNoChange {
		t.Errorf("day 11, nothing changed: %s (%s), want %q", st.State, st.Summary, vetting.StateNoChange)
	}
	for _, tk := range status(t, w, n.ID, w.Clock.Now()).Tickets {
		if tk.State != vetting.StateOverdue {
			t.Errorf("ticket %d on day 11: %s, want overdue", tk.N, tk.State)
		}
	}
	// The page changes on 17 May: day 12.
	closed := w.daily(t, "2022-05-17", "2022-05-18")
	if closed[n.ID] != "2022-05-17" {
		t.Errorf("closed on %q, want 2022-05-17", closed[n.ID])
	}
	st := status(t, w, n.ID, w.Clock.Now())
	if st.State != vetting.StateMissed || !strings.Contains(st.Summary, "after the deadline") {
		t.Fatalf("state %s (%s), want missed", st.State, st.Summary)
	}
	for _, tk := range st.Tickets {
		if tk.State != vetting.StateMissed {
			t.Errorf("ticket %d: %s, want missed", tk.N, tk.State)
		}
	}
}

func TestDeadlineNoChange(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	w.daily(t, "2022-05-20", "2022-05-20") // the 2022 policy is in force
	w.Clock.Set(at("2022-06-01"))
	n, err := w.Program.Notify(ctx, vetting.NotifyRequest{Supplier: ims, When: "2022-06-01",
		Tickets: []vetting.TicketRequest{{Kind: store.TicketAppear, Text: "we do not share vetting reports"}}})
	if err != nil {
		t.Fatal(err)
	}
	w.daily(t, "2022-06-01", "2022-06-12")
	st := status(t, w, n.ID, w.Clock.Now())
	if st.State != vetting.StateNoChange {
		t.Fatalf("state %s (%s), want %q", st.State, st.Summary, vetting.StateNoChange)
	}
	if len(st.LastCaptures) != 1 {
		t.Fatalf("last captures %+v, want IMS's", st.LastCaptures)
	}
	last := st.LastCaptures[0]
	if last.Source != "ims-privacy" || last.Fetch.Start.Before(at("2022-06-12")) || !last.Fetch.Outcome.Good() {
		t.Errorf("last capture %s %s %s, want the check of 2022-06-12", last.Source, last.Fetch.Start, last.Fetch.Outcome)
	}
	if !strings.Contains(st.Summary, "last capture of ims-privacy 2022-06-12") {
		t.Errorf("summary %q does not show the last capture", st.Summary)
	}
}

// A ticket is not met by a change that only renames or fixes punctuation.
func TestTicketsIgnoreNoise(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	w.Clock.Set(at("2022-05-13"))
	n, err := w.Program.Notify(ctx, vetting.NotifyRequest{Supplier: ims, When: "2022-05-13", Tickets: []vetting.TicketRequest{
		{Kind: store.TicketReword, Text: "We monitor user activity in connection with"},          // renamed only in 2022
		{Kind: store.TicketReword, Text: "including items purchased or subscribed to"},           // a comma added
		{Kind: store.TicketRemove, Text: "you will not use our forums to post any material"},     // reworded, not removed
		{Kind: store.TicketReword, Text: "Solicitations Are Also Inappropriate In These Forums"}, // reworded (case folded)
	}})
	if err != nil {
		t.Fatal(err)
	}
	w.daily(t, "2022-05-13", "2022-05-25")
	st := status(t, w, n.ID, w.Clock.Now())
	got := map[int]string{}
	for _, tk := range st.Tickets {
		got[tk.N] = tk.State
	}
	want := map[int]string{1: vetting.StateOverdue, 2: vetting.StateOverdue, 3: vetting.StateOverdue, 4: vetting.StateMet}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("ticket %d: %s, want %s", k, got[k], v)
		}
	}
	if st.State != vetting.StateOverdue {
		t.Errorf("state %s (%s), want overdue: the page changed, not as asked", st.State, st.Summary)
	}
}

func TestNotifyRefuses(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	w.Clock.Set(at("2022-05-13"))
	for _, c := range []struct {
		name string
		req  vetting.NotifyRequest
		want string
	}{
		{"no record", vetting.NotifyRequest{Supplier: "Nobody", When: "2022-05-13"}, "Nobody"},
		{"bad date", vetting.NotifyRequest{Supplier: ims, When: "13/05/2022"}, "13/05/2022"},
		{"already holds", vetting.NotifyRequest{Supplier: ims, When: "2022-05-13",
			Tickets: []vetting.TicketRequest{{Kind: store.TicketAppear, Text: "privacy"}}}, "already holds"},
		{"no such clause", vetting.NotifyRequest{Supplier: ims, When: "2022-05-13",
			Tickets: []vetting.TicketRequest{{Kind: store.TicketReword, Text: "no such words anywhere"}}}, "no clause"},
		{"several clauses", vetting.NotifyRequest{Supplier: ims, When: "2022-05-13",
			Tickets: []vetting.TicketRequest{{Kind: store.TicketRemove, Text: "IMS Global"}}}, "quote enough"},
		{"other supplier's source", vetting.NotifyRequest{Supplier: ims, When: "2022-05-13",
			Tickets: []vetting.TicketRequest{{Kind: store.TicketAppear, Source: "cor-privacy", Text: "x"}}}, "belongs to"},
		{"bad kind", vetting.NotifyRequest{Supplier: ims, When: "2022-05-13",
			Tickets: []vetting.TicketRequest{{Kind: "rewrite", Text: "x"}}}, "kind"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := w.Program.Notify(ctx, c.req)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err %v, want one naming %q", err, c.want)
			}
		})
	}
	if ns, _ := w.DB.Notifications(ctx, ""); len(ns) != 0 {
		t.Errorf("%d notifications stored by refused requests", len(ns))
	}
}

func TestRubricRelease(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	for _, s := range []store.Supplier{
		{Name: "A", Rubric: "1.0"}, {Name: "B", Rubric: "2.0"}, {Name: "C"}, {Name: "D", Rubric: "2.0"},
	} {
		if _, err := w.DB.PutSupplier(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	needs := func() []string {
		t.Helper()
		got, err := w.Program.NeedsRevet(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := needs(); len(got) != 0 {
		t.Errorf("no rubric recorded: %v need re-vetting", got)
	}
	for _, r := range []store.Rubric{{Version: "1.0", Released: "2018-01-10"}, {Version: "2.0", Released: "2020-03-01"}} {
		if _, err := w.DB.AddRubric(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// IMS and A were vetted against 1.0.
	if got, want := needs(), []string{ims, "A"}; !slices.Equal(got, want) {
		t.Errorf("after 2.0: %v, want %v", got, want)
	}
	if _, err := w.DB.AddRubric(ctx, store.Rubric{Version: "3.0", Released: "2022-09-01"}); err != nil {
		t.Fatal(err)
	}
	if got, want := needs(), []string{ims, "A", "B", "D"}; !slices.Equal(got, want) {
		t.Errorf("after 3.0: %v, want %v", got, want)
	}
	if _, err := w.DB.PutSupplier(ctx, store.Supplier{Name: "B", Rubric: "3.0"}); err != nil {
		t.Fatal(err)
	}
	if got, want := needs(), []string{ims, "A", "D"}; !slices.Equal(got, want) {
		t.Errorf("after B was re-vetted: %v, want %v", got, want)
	}
	// A release cannot be recorded twice, nor two on one day.
	if _, err := w.DB.AddRubric(ctx, store.Rubric{Version: "3.0", Released: "2022-10-01"}); !errors.Is(err, store.ErrExists) {
		t.Errorf("3.0 again: %v", err)
	}
	if _, err := w.DB.AddRubric(ctx, store.Rubric{Version: "3.1", Released: "2022-09-01"}); !errors.Is(err, store.ErrExists) {
		t.Errorf("3.1 on 3.0's day: %v", err)
	}
	// An unrecorded version is marked, and says so.
	if _, err := w.DB.PutSupplier(ctx, store.Supplier{Name: "E", Rubric: "2.5-draft"}); err != nil {
		t.Fatal(err)
	}
	items, err := w.Program.Deadlines(ctx, at("2022-09-02"))
	if err != nil {
		t.Fatal(err)
	}
	var detail string
	for _, it := range items {
		if it.Kind == "rubric" && it.Supplier == "E" {
			detail = it.Detail
		}
	}
	if !strings.Contains(detail, "not a recorded release") {
		t.Errorf("E's re-vet detail %q", detail)
	}
}

func TestDeadlinesList(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	w.Clock.Set(at("2022-05-13"))
	if _, err := w.Program.Notify(ctx, vetting.NotifyRequest{Supplier: ims, When: "2022-05-13", Tickets: tickets2022}); err != nil {
		t.Fatal(err)
	}
	items, err := w.Program.Deadlines(ctx, at("2022-05-14"))
	if err != nil {
		t.Fatal(err)
	}
	byKind := map[string]vetting.Item{}
	for _, it := range items {
		byKind[it.Kind] = it
	}
	up := byKind["update"]
	if up.State != vetting.StateOpen || up.Day != "2022-05-23" || up.Zone != "America/New_York" || !strings.Contains(up.Rule, "10 calendar days") {
		t.Errorf("update item %+v", up)
	}
	// Awarded 2019-06-15, never reviewed: the 2020 and 2021 renewals were
	// missed; the list shows the last one overdue and the next one in its
	// notice period.
	var renewals []vetting.Item
	for _, it := range items {
		if it.Kind == "renewal" {
			renewals = append(renewals, it)
		}
	}
	if len(renewals) != 2 || renewals[0].Day != "2021-06-15" || renewals[0].State != vetting.StateOverdue ||
		renewals[1].Day != "2022-06-15" || renewals[1].State != vetting.StateDue || renewals[1].Notice != "2022-04-16" {
		t.Errorf("renewals %+v", renewals)
	}
	if items[0].State != vetting.StateOverdue {
		t.Errorf("the list starts with %s, want what is overdue", items[0].State)
	}
	// A review recorded in the notice period meets the renewal.
	if _, err := w.DB.PutSupplier(ctx, store.Supplier{Name: ims, Awarded: "2019-06-15", LastReview: "2022-06-10", Zone: "America/New_York"}); err != nil {
		t.Fatal(err)
	}
	items, err = w.Program.Deadlines(ctx, at("2022-06-20"))
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Kind == "renewal" && (it.Day != "2023-06-15" || it.State != vetting.StateUpcoming) {
			t.Errorf("after the review: %s %s", it.Day, it.State)
		}
	}
}

func status(t *testing.T, w *world, id uint64, now time.Time) vetting.Status {
	t.Helper()
	n, err := w.DB.Notification(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	st, err := w.Program.Status(t.Context(), n, now)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
