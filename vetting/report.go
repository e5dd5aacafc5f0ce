package vetting

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/store"
)

// The built-in baselines: every supplier has them without pinning.
const (
	// BaselineAwarded is the version in force at the end of the seal's
	// award day.
	BaselineAwarded = "seal-awarded"
	// BaselineLastReview is the version in force at the end of the day of
	// the last annual review.
	BaselineLastReview = "last-review"
)

// ReportOptions choose the period of a renewal report.
type ReportOptions struct {
	// Baseline names the starting point: a pinned baseline, or one of the
	// built-in ones. Default BaselineAwarded.
	Baseline string
	// To is the end of the period. Default now.
	To time.Time
}

// Report is a renewal report: for each of a supplier's sources, the
// version at the baseline, the version at the end, the cumulative clause
// diff between them and every individual change in between.
type Report struct {
	Supplier  store.Supplier `json:"supplier"`
	Generated time.Time      `json:"generated"`
	Baseline  string         `json:"baseline"`
	// BaselineNote says what the baseline is ("the version in force at the
	// end of 2019-06-15, the award day").
	BaselineNote string         `json:"baseline_note"`
	To           time.Time      `json:"to"`
	Zone         string         `json:"zone"`
	Revet        bool           `json:"revet"`
	Verdict      string         `json:"verdict"`
	Sources      []SourceReport `json:"sources"`
	Deadlines    []Item         `json:"deadlines,omitempty"`
}

// VersionInfo describes one version in a report.
type VersionInfo struct {
	Seq        uint64    `json:"seq"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	Title      string    `json:"title,omitempty"`
	Stated     string    `json:"stated_updated,omitempty"` // the policy's own "last updated" date
	TextSHA256 string    `json:"text_sha256"`
}

func versionInfo(v store.Version) *VersionInfo {
	return &VersionInfo{Seq: v.Seq, FirstSeen: v.FirstSeen, LastSeen: v.LastSeen, Title: v.Title, Stated: v.Updated, TextSHA256: v.TextSHA256}
}

// SourceReport is one source's part of a renewal report.
type SourceReport struct {
	Source string       `json:"source"`
	URL    string       `json:"url"`
	Kind   store.Kind   `json:"kind"`
	From   *VersionInfo `json:"from,omitempty"`
	To     *VersionInfo `json:"to,omitempty"`
	// Diff is the cumulative clause diff From → To (nil when the text is
	// the same or a side is missing).
	Diff *diff.Result `json:"diff,omitempty"`
	// Same is true when From and To have the same clause text (a change
	// and its reversal cancel out).
	Same    bool        `json:"same"`
	Changes []ChangeRow `json:"changes"`
	// Notes say what the report could not establish (no capture at the
	// baseline; a baseline pinned on another source).
	Notes []string `json:"notes,omitempty"`
	// DateFlag compares the policy's stated dates with the text over the
	// whole period.
	DateFlag string `json:"date_flag,omitempty"`
}

// ChangeRow is one detected change inside the period.
type ChangeRow struct {
	ID       uint64       `json:"id"`
	After    time.Time    `json:"after"`
	Detected time.Time    `json:"detected"`
	From     uint64       `json:"from"`
	To       uint64       `json:"to"`
	Revet    bool         `json:"revet"`
	Summary  string       `json:"summary"`
	Triage   store.Triage `json:"triage"`
	// TriageHistory is every triage decision on the change, oldest first.
	TriageHistory []store.TriageEntry `json:"triage_history,omitempty"`
	// StatedBefore and StatedAfter are the policy's own "last updated"
	// dates on either side.
	StatedBefore string `json:"stated_before,omitempty"`
	StatedAfter  string `json:"stated_after,omitempty"`
	// DateFlag, when set, says the stated date and the text disagree.
	DateFlag string `json:"date_flag,omitempty"`
	// Reverts names the earlier version whose text this change restored.
	Reverts uint64 `json:"reverts,omitempty"`
}

// Renewal builds the renewal report of a supplier.
func (p *Program) Renewal(ctx context.Context, supplier string, opt ReportOptions) (*Report, error) {
	sup, err := p.DB.Supplier(ctx, supplier)
	if err != nil {
		return nil, err
	}
	loc, err := sup.Location()
	if err != nil {
		return nil, err
	}
	if opt.Baseline == "" {
		opt.Baseline = BaselineAwarded
	}
	now := p.now()
	if opt.To.IsZero() {
		opt.To = now
	}
	rep := &Report{Supplier: sup, Generated: now.UTC(), Baseline: opt.Baseline, To: opt.To, Zone: loc.String()}
	rep.Supplier.TokenHash = ""
	var start time.Time // the baseline as an instant, for built-in baselines
	switch opt.Baseline {
	case BaselineAwarded, BaselineLastReview:
		if start, err = baselineStart(sup, opt.Baseline); err != nil {
			return nil, err
		}
		day, what := sup.Awarded, "the award day"
		if opt.Baseline == BaselineLastReview {
			day, what = sup.LastReview, "the last review"
		}
		rep.BaselineNote = fmt.Sprintf("the version in force at the end of %s (%s, %s time)", day, what, loc)
	default:
		rep.BaselineNote = fmt.Sprintf("the version pinned as %q", opt.Baseline)
	}
	if !opt.To.After(start) {
		return nil, fmt.Errorf("%w: the report ends (%s) before its baseline (%s)", ErrInvalid, opt.To.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	srcs, err := p.SupplierSources(ctx, sup.Name)
	if err != nil {
		return nil, err
	}
	docs := newDocCache(p.DB)
	var revetSources, changedSources []string
	for _, src := range srcs {
		sr, err := p.sourceReport(ctx, src, opt, start, docs)
		if err != nil {
			return nil, fmt.Errorf("renewal report of %s: %w", src.Name, err)
		}
		if sr.Diff != nil && sr.Diff.Revet {
			revetSources = append(revetSources, src.Name)
		}
		if !sr.Same && sr.Diff != nil {
			changedSources = append(changedSources, src.Name)
		}
		rep.Sources = append(rep.Sources, sr)
	}
	rep.Revet = len(revetSources) > 0
	switch {
	case rep.Revet:
		rep.Verdict = fmt.Sprintf("Re-vet: material changes since the baseline in %s", strings.Join(revetSources, ", "))
	case len(changedSources) > 0:
		rep.Verdict = fmt.Sprintf("No re-vet needed: %s changed, but not materially", strings.Join(changedSources, ", "))
	default:
		rep.Verdict = "No re-vet needed: no clause changed since the baseline"
	}
	items, err := p.SupplierDeadlines(ctx, sup.Name, now)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		it.Status = nil
		rep.Deadlines = append(rep.Deadlines, it)
	}
	return rep, nil
}

func (p *Program) sourceReport(ctx context.Context, src store.Source, opt ReportOptions, start time.Time, docs *docCache) (SourceReport, error) {
	sr := SourceReport{Source: src.Name, URL: src.URL, Kind: src.Kind}
	vs, err := p.DB.Versions(ctx, src.ID)
	if err != nil {
		return sr, err
	}
	if len(vs) == 0 {
		sr.Notes = append(sr.Notes, "no version captured yet")
		return sr, nil
	}
	from, note, err := p.baselineVersion(ctx, src, vs, opt.Baseline, start)
	if errors.Is(err, store.ErrNotFound) {
		sr.Notes = append(sr.Notes, err.Error())
		return sr, nil
	}
	if err != nil {
		return sr, err
	}
	if note != "" {
		sr.Notes = append(sr.Notes, note)
	}
	to, ok := versionAt(vs, opt.To)
	if !ok || to.Seq < from.Seq {
		sr.Notes = append(sr.Notes, "no version at the end of the period after the baseline")
		return sr, nil
	}
	sr.From, sr.To = versionInfo(from), versionInfo(to)
	sr.Same = from.TextSHA256 == to.TextSHA256
	if !sr.Same {
		oldDoc, err := docs.get(ctx, from)
		if err != nil {
			return sr, err
		}
		newDoc, err := docs.get(ctx, to)
		if err != nil {
			return sr, err
		}
		sr.Diff = diff.Compare(oldDoc, newDoc, p.rules())
	}
	sr.DateFlag = dateFlag(from.Updated, to.Updated, sr.Same, sr.Diff != nil && onlyDateLine(sr.Diff))
	bySeq := map[uint64]store.Version{}
	for _, v := range vs {
		bySeq[v.Seq] = v
	}
	st, err := p.DB.State(ctx, src.ID)
	if err != nil {
		return sr, err
	}
	changes, err := p.DB.Changes(ctx, store.ChangeFilter{SourceID: src.ID})
	if err != nil {
		return sr, err
	}
	for _, c := range changes {
		if c.Generation != st.Generation || c.From < from.Seq || c.To > to.Seq {
			continue
		}
		before, after := bySeq[c.From], bySeq[c.To]
		row := ChangeRow{ID: c.ID, After: c.After, Detected: c.Detected, From: c.From, To: c.To, Revet: c.Revet,
			Summary: c.Summary, Triage: c.Triage, TriageHistory: c.TriageHistory, StatedBefore: before.Updated, StatedAfter: after.Updated}
		dateOnly := c.Counts["substantive"]+c.Counts["editorial"]+c.Counts["rename"] == 0 && c.Counts["cosmetic"] == 1
		row.DateFlag = dateFlag(before.Updated, after.Updated, false, dateOnly)
		if row.DateFlag == "" && after.Updated != "" && after.Updated != before.Updated && !before.LastSeen.IsZero() {
			// The stated date is earlier than a capture that still saw the
			// old text: the page claims an update before it happened.
			if d, err := time.Parse(time.DateOnly, after.Updated); err == nil && d.AddDate(0, 0, 1).Before(before.LastSeen) {
				row.DateFlag = fmt.Sprintf("backdated: states %s, but the old text was still served on %s", after.Updated, before.LastSeen.UTC().Format(time.DateOnly))
			}
		}
		for _, v := range vs {
			if v.Seq < c.To && v.Seq != c.From && v.Seq >= from.Seq && v.TextSHA256 == after.TextSHA256 {
				row.Reverts = v.Seq
			}
		}
		sr.Changes = append(sr.Changes, row)
	}
	return sr, nil
}

// baselineVersion resolves a named baseline on one source: a pinned
// baseline, or for the built-in ones the version in force at start (the
// first version, with a note saying so, when the source was first
// captured later).
func (p *Program) baselineVersion(ctx context.Context, src store.Source, vs []store.Version, name string, start time.Time) (store.Version, string, error) {
	switch name {
	case BaselineAwarded, BaselineLastReview:
		if len(vs) == 0 {
			return store.Version{}, "", fmt.Errorf("%w: %s has no version yet", store.ErrNotFound, src.Name)
		}
		if v, ok := versionAt(vs, start); ok {
			return v, "", nil
		}
		return vs[0], fmt.Sprintf("no capture at the baseline: the first capture (%s) stands in for it", vs[0].FirstSeen.UTC().Format(time.DateOnly)), nil
	}
	bs, err := p.DB.Baselines(ctx, src.ID)
	if err != nil {
		return store.Version{}, "", err
	}
	i := slices.IndexFunc(bs, func(b store.Baseline) bool { return b.Name == name })
	if i < 0 {
		return store.Version{}, "", fmt.Errorf("%w: no baseline %q pinned on %s", store.ErrNotFound, name, src.Name)
	}
	j := slices.IndexFunc(vs, func(v store.Version) bool { return v.Seq == bs[i].Version })
	if j < 0 {
		return store.Version{}, "", fmt.Errorf("baseline %q: version %d of %s is gone", name, bs[i].Version, src.Name)
	}
	return vs[j], "", nil
}

// BaselineVersion returns the version of src a named baseline stands for:
// a pinned baseline, or seal-awarded / last-review from the supplier's
// record. The note says when the first capture stands in for a baseline
// that predates it.
func (p *Program) BaselineVersion(ctx context.Context, src store.Source, name string) (store.Version, string, error) {
	vs, err := p.DB.Versions(ctx, src.ID)
	if err != nil {
		return store.Version{}, "", err
	}
	var start time.Time
	if name == BaselineAwarded || name == BaselineLastReview {
		sup, err := p.DB.Supplier(ctx, src.Supplier)
		if err != nil {
			return store.Version{}, "", err
		}
		if start, err = baselineStart(sup, name); err != nil {
			return store.Version{}, "", err
		}
	}
	return p.baselineVersion(ctx, src, vs, name, start)
}

// baselineStart is the instant a built-in baseline stands for: the end of
// the award day or of the last review's day, in the supplier's zone.
func baselineStart(sup store.Supplier, name string) (time.Time, error) {
	loc, err := sup.Location()
	if err != nil {
		return time.Time{}, err
	}
	day, what := sup.Awarded, "award"
	if name == BaselineLastReview {
		day, what = sup.LastReview, "last review"
	}
	d, err := ParseDate(day)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s has no %s date on record", ErrInvalid, sup.Name, what)
	}
	return d.AddDays(1).Start(loc).Add(-time.Nanosecond), nil
}

// dateFlag compares a policy's stated dates with its text: text changed
// but the stated date did not, or the stated date changed and nothing
// else did.
func dateFlag(before, after string, same, dateOnly bool) string {
	switch {
	case same:
		return ""
	case before == after && before != "":
		return fmt.Sprintf("the text changed but the stated date did not (still %s)", before)
	case before != after && dateOnly:
		return fmt.Sprintf("the stated date changed (%s → %s) but the text did not", orNone(before), orNone(after))
	}
	return ""
}

// onlyDateLine reports whether a diff's only change is the policy's date
// line.
func onlyDateLine(r *diff.Result) bool {
	return len(r.Changes) == 1 && r.Changes[0].Class == diff.Cosmetic && r.Old.Updated != r.New.Updated
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
