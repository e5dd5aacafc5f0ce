package vetting

// Deadlines: the dated obligations of every supplier (update windows,
// renewals, rubric re-vets), and the sources they make urgent.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

// Item is one dated obligation: an update window, a renewal, or a re-vet
// a rubric release calls for.
type Item struct {
	// Kind is "update", "renewal" or "rubric".
	Kind     string `json:"kind"`
	Supplier string `json:"supplier"`
	// Date is the day it falls on: the window's last day, the renewal
	// day, the rubric's release day.
	Date Date   `json:"-"`
	Day  string `json:"date"`
	// Due is the instant the obligation ends (the window's end; the end of
	// the renewal day), in the supplier's zone.
	Due time.Time `json:"due"`
	// Notice is a renewal's notice date.
	Notice string `json:"notice,omitempty"`
	State  string `json:"state"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Rule   string `json:"rule"`
	Zone   string `json:"zone"`
	// ID identifies the item across runs (for calendars).
	ID           string  `json:"id"`
	Notification uint64  `json:"notification,omitempty"`
	Status       *Status `json:"status,omitempty"`
}

// Deadlines lists every supplier's obligations as of now, in due-date
// order (same instant: what needs action first): each
// notification's update window, the next renewal (and an earlier one not
// yet reviewed), and a re-vet for every supplier vetted against a rubric
// older than the latest release. Open tickets are evaluated first, so the
// list is current even when checks ran outside the daemon.
func (p *Program) Deadlines(ctx context.Context, now time.Time) ([]Item, error) {
	sups, err := p.DB.Suppliers(ctx)
	if err != nil {
		return nil, err
	}
	return p.deadlines(ctx, now, sups)
}

// SupplierDeadlines is Deadlines for one supplier (none when it has no
// record).
func (p *Program) SupplierDeadlines(ctx context.Context, name string, now time.Time) ([]Item, error) {
	sup, err := p.DB.Supplier(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return p.deadlines(ctx, now, []store.Supplier{sup})
}

func (p *Program) deadlines(ctx context.Context, now time.Time, sups []store.Supplier) ([]Item, error) {
	rubrics, err := p.DB.Rubrics(ctx)
	if err != nil {
		return nil, err
	}
	var items []Item
	for _, sup := range sups {
		loc, err := sup.Location()
		if err != nil {
			return nil, err
		}
		ns, err := p.DB.Notifications(ctx, sup.Name)
		if err != nil {
			return nil, err
		}
		for _, n := range ns {
			if !allMet(n) || len(n.Tickets) == 0 {
				if n, err = p.Evaluate(ctx, n); err != nil {
					return nil, err
				}
			}
			st, err := p.Status(ctx, n, now)
			if err != nil {
				return nil, err
			}
			if st.State == StateWithdrawn {
				continue
			}
			title := fmt.Sprintf("%s: policy update due (notified %s)", sup.Name, n.Date)
			items = append(items, Item{Kind: "update", Supplier: sup.Name, Date: st.Window.LastDay, Due: st.Window.Due,
				State: st.State, Title: title, Detail: st.Summary, Rule: st.Window.Rule, Zone: loc.String(),
				ID: "update-" + strconv.FormatUint(n.ID, 10), Notification: n.ID, Status: &st})
		}
		items = append(items, renewalItems(sup, loc, now)...)
		if it, ok := rubricItem(sup, loc, rubrics, p.rubricDays(), now); ok {
			items = append(items, it)
		}
	}
	for i := range items {
		items[i].Day = items[i].Date.String()
	}
	slices.SortStableFunc(items, func(a, b Item) int {
		return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(stateRank(a.State), stateRank(b.State)), strings.Compare(a.Supplier, b.Supplier))
	})
	return items, nil
}

// stateRank orders items due at the same instant: what needs action
// first. The list itself is in due-date order, as a calendar.
func stateRank(s string) int {
	return slices.Index([]string{StateOverdue, StateNoChange, StateDue, StateOpen, StateUpcoming, StateMissed, StateMet}, s)
}

// renewalItems are a supplier's renewals as of now: the next one, and the
// one before it while it has not been reviewed. A renewal counts as
// reviewed when the last review is on or after its notice date.
func renewalItems(sup store.Supplier, loc *time.Location, now time.Time) []Item {
	award, err := ParseDate(sup.Awarded)
	if err != nil {
		return nil
	}
	review, _ := ParseDate(sup.LastReview) // zero when none
	today := DateOf(now, loc)
	rule := fmt.Sprintf("reviewed every year on the award date (%s), notice %d days before; %s time", award, NoticeDays, loc)
	if award.Month == time.February && award.Day == 29 {
		rule += "; in years without 29 February, on 28 February"
	}
	item := func(r Date) Item {
		notice := NoticeDate(r)
		it := Item{Kind: "renewal", Supplier: sup.Name, Date: r, Due: r.AddDays(1).Start(loc), Notice: notice.String(),
			Rule: rule, Zone: loc.String(), ID: "renewal-" + r.String(),
			Title: fmt.Sprintf("%s: annual seal review (awarded %s)", sup.Name, award)}
		reviewed := !review.IsZero() && !review.Before(notice)
		switch {
		case reviewed && !r.Before(review):
			it.State, it.Detail = StateMet, fmt.Sprintf("reviewed %s", review)
		case reviewed:
			it.State, it.Detail = StateMissed, fmt.Sprintf("reviewed %s, after the renewal date", review)
		case r.Before(today):
			it.State, it.Detail = StateOverdue, fmt.Sprintf("not reviewed; the seal lapsed after %s", r)
		case today.Before(notice):
			it.State, it.Detail = StateUpcoming, fmt.Sprintf("notify the supplier on %s", notice)
		default:
			it.State, it.Detail = StateDue, fmt.Sprintf("notice period since %s; review on %s", notice, r)
		}
		return it
	}
	var out []Item
	if prev := PreviousRenewal(award, today); !prev.IsZero() {
		if it := item(prev); it.State == StateOverdue {
			out = append(out, it)
		}
	}
	return append(out, item(NextRenewal(award, today)))
}

// rubricItem is the re-vet a supplier needs when the latest rubric release
// is newer than the one it was vetted against: due days after the release
// (the end of that day in the supplier's zone), overdue from then on. A
// supplier with no rubric on record is not marked; one whose rubric is not
// a recorded release is, and the detail says so.
func rubricItem(sup store.Supplier, loc *time.Location, rubrics []store.Rubric, days int, now time.Time) (Item, bool) {
	if sup.Rubric == "" || len(rubrics) == 0 {
		return Item{}, false
	}
	latest := rubrics[len(rubrics)-1]
	if sup.Rubric == latest.Version {
		return Item{}, false
	}
	vetted := fmt.Sprintf("vetted against rubric %s", sup.Rubric)
	if !slices.ContainsFunc(rubrics, func(r store.Rubric) bool { return r.Version == sup.Rubric }) {
		vetted = fmt.Sprintf("vetted against rubric %q, which is not a recorded release", sup.Rubric)
	}
	if latest.RevetDays > 0 {
		days = latest.RevetDays
	}
	rel, _ := ParseDate(latest.Released)
	day := rel.AddDays(days)
	it := Item{Kind: "rubric", Supplier: sup.Name, Date: day, Due: day.AddDays(1).Start(loc), State: StateDue,
		Title: fmt.Sprintf("%s: re-vet against rubric %s", sup.Name, latest.Version),
		Rule:  fmt.Sprintf("every application is vetted again with each new release of the rubric; due %d days after the release; %s time", days, loc),
		Zone:  loc.String(), ID: "rubric-" + latest.Version}
	it.Detail = fmt.Sprintf("%s; rubric %s was released %s: re-vet by %s", vetted, latest.Version, latest.Released, day)
	if !now.Before(it.Due) {
		it.State = StateOverdue
		it.Detail = fmt.Sprintf("%s; rubric %s was released %s: not re-vetted by %s", vetted, latest.Version, latest.Released, day)
	}
	return it, true
}

// NeedsRevet returns the suppliers the latest rubric release sends back to
// vetting, by name.
func (p *Program) NeedsRevet(ctx context.Context) ([]string, error) {
	sups, err := p.DB.Suppliers(ctx)
	if err != nil {
		return nil, err
	}
	rubrics, err := p.DB.Rubrics(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range sups {
		if _, ok := rubricItem(s, time.UTC, rubrics, p.rubricDays(), time.Time{}); ok {
			out = append(out, s.Name)
		}
	}
	return out, nil
}

// UrgentSources returns the sources of every supplier with an update
// window open at now and not yet met: the daemon checks them on its
// faster schedule.
func (p *Program) UrgentSources(ctx context.Context, now time.Time) (map[uint64]bool, error) {
	ns, err := p.DB.Notifications(ctx, "")
	if err != nil {
		return nil, err
	}
	open := map[string]bool{}
	for _, n := range ns {
		if n.Withdrawn || open[n.Supplier] || (len(n.Tickets) > 0 && allMet(n)) {
			continue
		}
		st, err := p.Status(ctx, n, now)
		if err != nil {
			return nil, err
		}
		open[n.Supplier] = st.State == StateOpen
	}
	out := map[uint64]bool{}
	if len(open) == 0 {
		return out, nil
	}
	srcs, err := p.DB.Sources(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range srcs {
		if open[s.Supplier] && !s.Paused {
			out[s.ID] = true
		}
	}
	return out, nil
}
