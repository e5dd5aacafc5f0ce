package vetting

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

// The program's records as staff change them: the one place the CLI, the
// JSON API and the web forms go through, so that each refuses the same
// input with the same reason.

// NoSourcesError is a supplier record refused because no source belongs
// to the supplier yet. It is a store.ErrNotFound.
type NoSourcesError struct{ Supplier string }

func (e *NoSourcesError) Error() string {
	return fmt.Sprintf("no source belongs to supplier %q (add its policy first: 'clausewatch add URL --supplier %q', or the sources page)", e.Supplier, e.Supplier)
}

// Is makes the error a store.ErrNotFound.
func (e *NoSourcesError) Is(target error) bool { return target == store.ErrNotFound }

// SaveSupplier creates or replaces a supplier's record: the supplier must
// have a source already (its sources are what the program watches); the
// store checks the fields and the products' sources.
func (p *Program) SaveSupplier(ctx context.Context, sup store.Supplier) (store.Supplier, error) {
	name := strings.TrimSpace(sup.Name)
	srcs, err := p.SupplierSources(ctx, name)
	if err != nil {
		return store.Supplier{}, fmt.Errorf("supplier %q: %w", name, err)
	}
	if len(srcs) == 0 {
		return store.Supplier{}, &NoSourcesError{Supplier: name}
	}
	return p.DB.PutSupplier(ctx, sup)
}

// ParseProduct reads a product as "NAME=SOURCE,SOURCE" (the CLI's
// --product and a line of the web form).
func ParseProduct(s string) (store.Product, error) {
	name, list, ok := strings.Cut(s, "=")
	if !ok {
		return store.Product{}, fmt.Errorf("%w: product %q: want NAME=SOURCE,SOURCE", ErrInvalid, s)
	}
	var srcs []string
	for src := range strings.SplitSeq(list, ",") {
		if src = strings.TrimSpace(src); src != "" {
			srcs = append(srcs, src)
		}
	}
	return store.Product{Name: strings.TrimSpace(name), Sources: srcs}, nil
}

// Tickets turns expected-change texts, by kind, into ticket requests
// about source ("" for any of the supplier's), in the order appear,
// disappear, reword, remove.
func Tickets(source string, texts map[store.TicketKind][]string) []TicketRequest {
	var out []TicketRequest
	for _, k := range []store.TicketKind{store.TicketAppear, store.TicketDisappear, store.TicketReword, store.TicketRemove} {
		for _, t := range texts[k] {
			out = append(out, TicketRequest{Kind: k, Source: source, Text: t})
		}
	}
	return out
}

// AddRubric records a rubric release and returns the suppliers it sends
// back to vetting, by name (never nil).
func (p *Program) AddRubric(ctx context.Context, r store.Rubric) (store.Rubric, []string, error) {
	r, err := p.DB.AddRubric(ctx, store.Rubric{Version: r.Version, Released: r.Released, Note: r.Note, RevetDays: r.RevetDays})
	if err != nil {
		return store.Rubric{}, nil, err
	}
	needs, err := p.NeedsRevet(ctx)
	if err != nil {
		return r, nil, err
	}
	if needs == nil {
		needs = []string{}
	}
	return r, needs, nil
}

// PinRequest pins a baseline.
type PinRequest struct {
	// Source is the source's name, ID or URL.
	Source string
	Name   string
	// Version is the version to pin; 0 pins the version in force at At
	// (zero: now).
	Version uint64
	At      time.Time
	Note    string
	By      string
}

// PinBaseline pins a version of a source under a name. The built-in
// names (seal-awarded, last-review) are refused: they come from the
// supplier's record.
func (p *Program) PinBaseline(ctx context.Context, req PinRequest) (store.Baseline, store.Source, error) {
	name := strings.TrimSpace(req.Name)
	if name == BaselineAwarded || name == BaselineLastReview {
		return store.Baseline{}, store.Source{}, fmt.Errorf("%w: baseline %q is built in (it comes from the supplier's record)", ErrInvalid, name)
	}
	src, err := p.DB.Source(ctx, req.Source)
	if err != nil {
		return store.Baseline{}, store.Source{}, err
	}
	seq := req.Version
	if seq == 0 {
		at := req.At
		if at.IsZero() {
			at = p.now()
		}
		v, err := p.DB.VersionAt(ctx, src.ID, at)
		if err != nil {
			return store.Baseline{}, src, fmt.Errorf("%s in force at %s: %w", src.Name, at.UTC().Format(time.RFC3339), err)
		}
		seq = v.Seq
	}
	b, err := p.DB.PinBaseline(ctx, store.Baseline{Source: src.ID, Name: name, Version: seq, Note: req.Note, By: req.By})
	return b, src, err
}

// notYet refuses a notification that has not happened: a date after today
// in the supplier's zone, or an instant after now. A window counted from
// a day still to come would open deadlines nobody was told about.
func notYet(n store.Notification, loc *time.Location, now time.Time) error {
	today := DateOf(now, loc)
	if d, err := ParseDate(n.Date); err == nil && today.Before(d) {
		return fmt.Errorf("%w: notification date %s is after today (%s in %s, the supplier's zone): record a notification once it is sent", ErrInvalid, d, today, loc)
	}
	if n.At.After(now) {
		return fmt.Errorf("%w: notification time %s is in the future (now %s): record a notification once it is sent", ErrInvalid, n.At.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}
