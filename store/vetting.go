package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// The seal program's records (schema 4): suppliers, vetting notifications
// with their expected-change tickets, rubric releases, pinned baselines
// and per-supplier capture tokens. The rules that read them live in the
// vetting package; the store only keeps them consistent.

// Supplier is an organisation in the seal program. Its sources are the
// sources whose Supplier field is its Name; Products group them.
type Supplier struct {
	V        int       `json:"v"`
	Name     string    `json:"name"`
	Products []Product `json:"products,omitempty"`
	// Awarded is the seal's award date (YYYY-MM-DD, a calendar date in
	// Zone); "" when no seal has been awarded.
	Awarded string `json:"awarded,omitempty"`
	// Rubric is the rubric version the supplier was last vetted against.
	Rubric string `json:"rubric,omitempty"`
	// LastReview is the date of the last annual review (YYYY-MM-DD).
	LastReview string `json:"last_review,omitempty"`
	// Zone is the IANA time zone the program's dates are counted in for
	// this supplier; "" means UTC.
	Zone    string    `json:"zone,omitempty"`
	Note    string    `json:"note,omitempty"`
	Updated time.Time `json:"updated"`
	// TokenHash is the SHA-256 of the supplier's capture token ("" when
	// none was issued); TokenCreated when it was.
	TokenHash    string    `json:"token_hash,omitempty"`
	TokenCreated time.Time `json:"token_created,omitzero"`
}

// Product is one of a supplier's products and the sources (by name) that
// make up its policy: privacy policy, terms, cookie policy.
type Product struct {
	Name    string   `json:"name"`
	Sources []string `json:"sources"`
}

// Location returns the supplier's time zone.
func (s Supplier) Location() (*time.Location, error) { return zone(s.Zone) }

func zone(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%w: time zone %q: %v", ErrInvalid, name, err)
	}
	return loc, nil
}

func checkDate(what, s string) error {
	if s == "" {
		return nil
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return fmt.Errorf("%w: %s %q (want YYYY-MM-DD)", ErrInvalid, what, s)
	}
	return nil
}

// requireDate is checkDate for a date that must be given.
func requireDate(what, s string) error {
	if s == "" {
		return fmt.Errorf("%w: %s missing (want YYYY-MM-DD)", ErrInvalid, what)
	}
	return checkDate(what, s)
}

func (s *Supplier) validate() error {
	s.Name = strings.TrimSpace(s.Name)
	if err := ValidName(SupplierName, s.Name); err != nil {
		return err
	}
	if err := checkDate("award date", s.Awarded); err != nil {
		return err
	}
	if err := checkDate("last review date", s.LastReview); err != nil {
		return err
	}
	if _, err := zone(s.Zone); err != nil {
		return err
	}
	if s.Rubric != "" {
		if err := ValidName(RubricName, s.Rubric); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for i, p := range s.Products {
		p.Name = strings.TrimSpace(p.Name)
		if err := ValidName(ProductName, p.Name); err != nil {
			return fmt.Errorf("product %d: %w", i+1, err)
		}
		if seen[p.Name] {
			return fmt.Errorf("%w: product %d: repeated name %q", ErrInvalid, i+1, p.Name)
		}
		seen[p.Name] = true
		s.Products[i].Name = p.Name
	}
	return nil
}

// PutSupplier creates or replaces a supplier's record. The capture token
// is kept from the stored record (it is changed only by
// CreateSupplierToken). Every source a product names must exist and
// belong to the supplier.
func (d *DB) PutSupplier(ctx context.Context, s Supplier) (Supplier, error) {
	if err := s.validate(); err != nil {
		return Supplier{}, fmt.Errorf("save supplier: %w", err)
	}
	s.V, s.Updated = 1, d.now().UTC()
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketSuppliers)
		var old Supplier
		if err := getJSON(b, []byte(s.Name), &old); err == nil {
			s.TokenHash, s.TokenCreated = old.TokenHash, old.TokenCreated
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		for _, p := range s.Products {
			for _, ref := range p.Sources {
				id, err := resolve(tx, ref)
				if err != nil {
					return fmt.Errorf("product %q: source %q: %w", p.Name, ref, err)
				}
				var src Source
				if err := getJSON(tx.Bucket(bucketSources), u64(id), &src); err != nil {
					return err
				}
				if src.Supplier != s.Name {
					return fmt.Errorf("%w: product %q: source %q belongs to supplier %q", ErrInvalid, p.Name, ref, src.Supplier)
				}
			}
		}
		return putJSON(b, []byte(s.Name), s)
	})
	if err != nil {
		return Supplier{}, fmt.Errorf("save supplier %q: %w", s.Name, err)
	}
	return s, nil
}

// Supplier returns a supplier's record; ErrNotFound when it has none.
func (d *DB) Supplier(ctx context.Context, name string) (Supplier, error) {
	var s Supplier
	err := d.view(ctx, func(tx *bbolt.Tx) error { return getJSON(tx.Bucket(bucketSuppliers), []byte(name), &s) })
	if err != nil {
		return Supplier{}, fmt.Errorf("supplier %q: %w", name, err)
	}
	return s, nil
}

// Suppliers lists the supplier records by name.
func (d *DB) Suppliers(ctx context.Context) ([]Supplier, error) {
	var out []Supplier
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketSuppliers).ForEach(func(k, v []byte) error {
			var s Supplier
			if err := decode(v, &s); err != nil {
				return fmt.Errorf("supplier %q: %w", k, err)
			}
			out = append(out, s)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list suppliers: %w", err)
	}
	return out, nil
}

// supplierTokenPrefix marks capture tokens, so they can never be mistaken
// for (or accepted as) staff tokens.
const supplierTokenPrefix = "cws_"

// CreateSupplierToken issues a new capture token for a supplier, replacing
// any earlier one, and returns its secret (shown once; only its SHA-256 is
// kept).
func (d *DB) CreateSupplierToken(ctx context.Context, name string) (string, error) {
	secret, err := newSecret(supplierTokenPrefix)
	if err != nil {
		return "", err
	}
	err = d.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketSuppliers)
		var s Supplier
		if err := getJSON(b, []byte(name), &s); err != nil {
			return err
		}
		s.TokenHash, s.TokenCreated = secretHash(secret), d.now().UTC()
		return putJSON(b, []byte(name), s)
	})
	if err != nil {
		return "", fmt.Errorf("capture token for supplier %q: %w", name, err)
	}
	return secret, nil
}

// SupplierForToken returns the supplier whose capture token is secret;
// ErrNotFound when none is.
func (d *DB) SupplierForToken(ctx context.Context, secret string) (Supplier, error) {
	if !strings.HasPrefix(secret, supplierTokenPrefix) {
		return Supplier{}, ErrNotFound
	}
	want := secretHash(secret)
	var found Supplier
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketSuppliers).ForEach(func(_, v []byte) error {
			var s Supplier
			if decode(v, &s) == nil && s.TokenHash != "" && SameSecret(s.TokenHash, want) {
				found = s
			}
			return nil
		})
	})
	if err != nil {
		return Supplier{}, err
	}
	if found.Name == "" {
		return Supplier{}, ErrNotFound
	}
	return found, nil
}

// TicketKind is what an expected-change ticket asks for.
type TicketKind string

// The ticket kinds.
const (
	// TicketAppear: text must appear in the policy.
	TicketAppear TicketKind = "appear"
	// TicketDisappear: text must no longer appear anywhere.
	TicketDisappear TicketKind = "disappear"
	// TicketReword: the clause containing the text must be reworded (a
	// change that is more than cosmetic) or removed.
	TicketReword TicketKind = "reword"
	// TicketRemove: the clause containing the text must be removed.
	TicketRemove TicketKind = "remove"
)

// Ticket is one change a notification requires.
type Ticket struct {
	// N numbers the ticket within its notification, from 1.
	N    int        `json:"n"`
	Kind TicketKind `json:"kind"`
	// Source is the source the ticket is about (its ID); 0 means any of
	// the supplier's sources (appear/disappear only).
	Source uint64 `json:"source,omitempty"`
	Text   string `json:"text"`
	// Clause is, for reword and remove, the whole clause the text picked
	// out when the ticket was made, and Version the version it was read
	// from.
	Clause  string `json:"clause,omitempty"`
	Version uint64 `json:"version,omitempty"`
	// Met is the capture that first showed the condition holding; nil
	// while the ticket is open.
	Met *Proof `json:"met,omitempty"`
}

// Proof is the capture that satisfied a ticket: the version whose text
// meets the condition and the fetch that first saw that text.
type Proof struct {
	Source  uint64    `json:"source"`
	Version uint64    `json:"version"`
	Fetch   uint64    `json:"fetch"`
	Seen    time.Time `json:"seen"` // when that fetch started
	Why     string    `json:"why"`
	Checked time.Time `json:"checked"` // when the proof was recorded
}

// Notification is a vetting notification: the day the supplier was told
// what must change, and the tickets that say what.
type Notification struct {
	V        int    `json:"v"`
	ID       uint64 `json:"id"`
	Supplier string `json:"supplier"`
	// Date is the notification's calendar date in Zone (day 0 of the
	// update window); At the instant it was sent (the start of Date when
	// only the date is known).
	Date     string    `json:"date"`
	At       time.Time `json:"at"`
	Zone     string    `json:"zone"`
	Must     string    `json:"must,omitempty"`
	Concerns string    `json:"concerns,omitempty"`
	Tickets  []Ticket  `json:"tickets,omitempty"`
	Created  time.Time `json:"created"`
	By       string    `json:"by,omitempty"`
	// Withdrawn notifications no longer count (entered in error).
	Withdrawn bool `json:"withdrawn,omitempty"`
}

// Location returns the notification's time zone.
func (n Notification) Location() (*time.Location, error) { return zone(n.Zone) }

// AddNotification stores a new notification for a supplier that has a
// record, numbering it and its tickets.
// validateNotification checks a new notification and numbers its
// tickets.
func validateNotification(n *Notification) error {
	if err := requireDate("notification date", n.Date); err != nil {
		return fmt.Errorf("add notification: %w", err)
	}
	if _, err := zone(n.Zone); err != nil {
		return fmt.Errorf("add notification: %w", err)
	}
	for i := range n.Tickets {
		t := &n.Tickets[i]
		t.N = i + 1
		switch t.Kind {
		case TicketAppear, TicketDisappear:
		case TicketReword, TicketRemove:
			if t.Source == 0 || t.Clause == "" {
				return fmt.Errorf("add notification: %w: ticket %d (%s) needs the source and clause it names", ErrInvalid, t.N, t.Kind)
			}
		default:
			return fmt.Errorf("add notification: %w: ticket %d: kind %q (want appear, disappear, reword or remove)", ErrInvalid, t.N, t.Kind)
		}
		if strings.TrimSpace(t.Text) == "" {
			return fmt.Errorf("add notification: %w: ticket %d has no text", ErrInvalid, t.N)
		}
	}
	return nil
}

func (d *DB) AddNotification(ctx context.Context, n Notification) (Notification, error) {
	if err := validateNotification(&n); err != nil {
		return Notification{}, err
	}
	n.V, n.Created = 1, d.now().UTC()
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketSuppliers).Get([]byte(n.Supplier)) == nil {
			return fmt.Errorf("%w: supplier %q has no record (add it first)", ErrNotFound, n.Supplier)
		}
		b := tx.Bucket(bucketNotifications)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		n.ID = id
		return putJSON(b, u64(id), n)
	})
	if err != nil {
		return Notification{}, fmt.Errorf("add notification for %q: %w", n.Supplier, err)
	}
	return n, nil
}

// Notification returns one notification.
func (d *DB) Notification(ctx context.Context, id uint64) (Notification, error) {
	var n Notification
	err := d.view(ctx, func(tx *bbolt.Tx) error { return getJSON(tx.Bucket(bucketNotifications), u64(id), &n) })
	if err != nil {
		return Notification{}, fmt.Errorf("notification %d: %w", id, err)
	}
	return n, nil
}

// Notifications lists notifications in ID order: a supplier's, or all
// when supplier is "".
func (d *DB) Notifications(ctx context.Context, supplier string) ([]Notification, error) {
	var out []Notification
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketNotifications).ForEach(func(k, v []byte) error {
			var n Notification
			if err := decode(v, &n); err != nil {
				return fmt.Errorf("notification %d: %w", fromU64(k), err)
			}
			if supplier == "" || n.Supplier == supplier {
				out = append(out, n)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return out, nil
}

// UpdateNotification reads a notification, lets fn change it and writes
// it back in one transaction. Only tickets' proofs and the withdrawn flag
// may change: fn cannot rewrite what was notified.
func (d *DB) UpdateNotification(ctx context.Context, id uint64, fn func(*Notification) error) (Notification, error) {
	var n Notification
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketNotifications)
		if err := getJSON(b, u64(id), &n); err != nil {
			return err
		}
		before := n
		before.Tickets = slices.Clone(n.Tickets)
		if err := fn(&n); err != nil {
			return err
		}
		if err := checkNotificationEdit(before, n); err != nil {
			return err
		}
		return putJSON(b, u64(id), n)
	})
	if err != nil {
		return Notification{}, fmt.Errorf("update notification %d: %w", id, err)
	}
	return n, nil
}

// checkNotificationEdit refuses an edit of a notification's facts or of
// a ticket's condition (only outcomes may change).
func checkNotificationEdit(before, n Notification) error {
	if n.ID != before.ID || n.Supplier != before.Supplier || n.Date != before.Date || !n.At.Equal(before.At) ||
		n.Zone != before.Zone || n.Must != before.Must || len(n.Tickets) != len(before.Tickets) {
		return fmt.Errorf("%w: a notification's facts cannot be edited", ErrInvalid)
	}
	for i, t := range n.Tickets {
		o := before.Tickets[i]
		if t.N != o.N || t.Kind != o.Kind || t.Source != o.Source || t.Text != o.Text || t.Clause != o.Clause {
			return fmt.Errorf("%w: ticket %d's condition cannot be edited", ErrInvalid, t.N)
		}
	}
	return nil
}

// Rubric is a release of the vetting rubric.
type Rubric struct {
	V        int    `json:"v"`
	Version  string `json:"version"`
	Released string `json:"released"` // YYYY-MM-DD
	Note     string `json:"note,omitempty"`
	// RevetDays is how many days after the release a re-vet against it
	// is due, when the release names a period (0: the programme's
	// default, vetting.RubricDays).
	RevetDays int       `json:"revet_days,omitempty"`
	Recorded  time.Time `json:"recorded"`
}

// AddRubric records a rubric release. Versions are unique; releases are
// ordered by date, so no two may share one.
func (d *DB) AddRubric(ctx context.Context, r Rubric) (Rubric, error) {
	if err := validateRubric(&r); err != nil {
		return Rubric{}, err
	}
	r.V, r.Recorded = 1, d.now().UTC()
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketRubrics)
		err := b.ForEach(func(_, v []byte) error {
			var o Rubric
			if err := decode(v, &o); err != nil {
				return err
			}
			if o.Version == r.Version {
				return fmt.Errorf("%w: rubric %s (released %s)", ErrExists, o.Version, o.Released)
			}
			if o.Released == r.Released {
				return fmt.Errorf("%w: rubric %s was released the same day; releases are ordered by date", ErrExists, o.Version)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return putJSON(b, []byte(r.Released+"\x00"+r.Version), r)
	})
	if err != nil {
		return Rubric{}, fmt.Errorf("add rubric %s: %w", r.Version, err)
	}
	return r, nil
}

// Rubrics lists the rubric releases, oldest first.
func (d *DB) Rubrics(ctx context.Context) ([]Rubric, error) {
	var out []Rubric
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketRubrics).ForEach(func(k, v []byte) error {
			var r Rubric
			if err := decode(v, &r); err != nil {
				return fmt.Errorf("rubric %q: %w", k, err)
			}
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list rubrics: %w", err)
	}
	return out, nil
}

// Baseline is a version of a source pinned under a name ("seal awarded",
// "last review", or any a reviewer chooses) to compare later versions
// against.
type Baseline struct {
	V       int       `json:"v"`
	Source  uint64    `json:"source"`
	Name    string    `json:"name"`
	Version uint64    `json:"version"`
	Pinned  time.Time `json:"pinned"`
	By      string    `json:"by,omitempty"`
	Note    string    `json:"note,omitempty"`
}

func baselineKey(src uint64, name string) []byte { return append(u64(src), name...) }

// PinBaseline stores (or moves) a named baseline. The version must exist
// in the source's current generation.
func (d *DB) PinBaseline(ctx context.Context, b Baseline) (Baseline, error) {
	b.Name = strings.TrimSpace(b.Name)
	if err := ValidName(BaselineName, b.Name); err != nil {
		return Baseline{}, fmt.Errorf("pin baseline: %w", err)
	}
	b.V, b.Pinned = 1, d.now().UTC()
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		var st State
		if err := getJSON(tx.Bucket(bucketState), u64(b.Source), &st); err != nil {
			return fmt.Errorf("source %d: %w", b.Source, err)
		}
		vb := versionBucket(tx, b.Source, st.Generation)
		if vb == nil || vb.Get(u64(b.Version)) == nil {
			return fmt.Errorf("%w: source %d has no version %d", ErrNotFound, b.Source, b.Version)
		}
		return putJSON(tx.Bucket(bucketBaselines), baselineKey(b.Source, b.Name), b)
	})
	if err != nil {
		return Baseline{}, fmt.Errorf("pin baseline %q: %w", b.Name, err)
	}
	return b, nil
}

// Baselines lists a source's pinned baselines by name (all sources' when
// source is 0).
func (d *DB) Baselines(ctx context.Context, source uint64) ([]Baseline, error) {
	var out []Baseline
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketBaselines).Cursor()
		var prefix []byte
		if source != 0 {
			prefix = u64(source)
		}
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var b Baseline
			if err := decode(v, &b); err != nil {
				return fmt.Errorf("baseline %q: %w", k, err)
			}
			out = append(out, b)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list baselines: %w", err)
	}
	return out, nil
}

// DeleteBaseline removes a pinned baseline.
func (d *DB) DeleteBaseline(ctx context.Context, source uint64, name string) error {
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketBaselines)
		if b.Get(baselineKey(source, name)) == nil {
			return ErrNotFound
		}
		return b.Delete(baselineKey(source, name))
	})
	if err != nil {
		return fmt.Errorf("delete baseline %q of source %d: %w", name, source, err)
	}
	return nil
}

// validateRubric checks a new rubric release (trimming its version).
func validateRubric(r *Rubric) error {
	r.Version = strings.TrimSpace(r.Version)
	if r.Version == "" || len(r.Version) > 50 {
		return fmt.Errorf("add rubric: %w: version %q", ErrInvalid, r.Version)
	}
	if err := ValidName(RubricName, r.Version); err != nil {
		return fmt.Errorf("add rubric: %w", err)
	}
	if err := requireDate("release date", r.Released); err != nil {
		return fmt.Errorf("add rubric %s: %w", r.Version, err)
	}
	if r.RevetDays < 0 || r.RevetDays > 3660 {
		return fmt.Errorf("add rubric %s: %w: re-vet period %d days (want 1 to 3660, or 0 for the default)", r.Version, ErrInvalid, r.RevetDays)
	}
	return nil
}
