package jobs

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/pgstore"
)

// readCounter is a real PostgreSQL store that counts the state reads the
// scheduler makes through it.
type readCounter struct {
	*pgstore.DB
	mu      sync.Mutex
	single  int
	batches [][]uint64
}

func (r *readCounter) State(ctx context.Context, id uint64) (store.State, error) {
	r.mu.Lock()
	r.single++
	r.mu.Unlock()
	return r.DB.State(ctx, id)
}

func (r *readCounter) StatesByID(ctx context.Context, ids []uint64) (map[uint64]store.State, error) {
	r.mu.Lock()
	r.batches = append(r.batches, slices.Clone(ids))
	r.mu.Unlock()
	return r.DB.StatesByID(ctx, ids)
}

// TestEnqueueReadsStatesOnce: whatever the number of due sources,
// Enqueue reads the states of the auto ones in one query (none for a
// poll with no auto source due), and routes every source as before:
// render: always to the render queue, never and auto (no browser need
// known) to the plain one.
func TestEnqueueReadsStatesOnce(t *testing.T) {
	for _, tt := range []struct {
		name                string
		auto, always, never int
		wantBatches         int
	}{
		{"many auto sources", 40, 2, 3, 1},
		{"no auto source", 0, 2, 3, 0},
		{"one auto source", 1, 0, 0, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, tt.auto)
			db := &readCounter{DB: w.store(t)}
			add := func(name string, mode store.RenderMode) {
				_, err := db.AddSource(t.Context(), store.Source{Name: name, URL: w.srv.URL + "/" + name, Supplier: "S",
					Kind: store.Privacy, Origin: "cli", AllowPrivate: true, Render: mode})
				if err != nil {
					t.Fatal(err)
				}
			}
			for i := range tt.always {
				add(fmtName("always", i), store.RenderAlways)
			}
			for i := range tt.never {
				add(fmtName("never", i), store.RenderNever)
			}
			if _, err := w.sched(t, db.DB).Sync(t.Context()); err != nil {
				t.Fatal(err)
			}
			pool := w.pool(t)
			enq, err := NewClient(pool, Options{})
			if err != nil {
				t.Fatal(err)
			}
			total := tt.auto + tt.always + tt.never
			if n, err := Enqueue(t.Context(), enq, db, time.Now()); err != nil || n != total {
				t.Fatalf("enqueue: %d, %v; want %d", n, err, total)
			}
			if db.single != 0 || len(db.batches) != tt.wantBatches {
				t.Errorf("state reads: %d one by one, %d batches; want none one by one, %d batch", db.single, len(db.batches), tt.wantBatches)
			}
			if tt.wantBatches > 0 && len(db.batches[0]) != tt.auto {
				t.Errorf("batch of %d states, want the %d auto sources'", len(db.batches[0]), tt.auto)
			}
			want := map[string]int{}
			if n := tt.auto + tt.never; n > 0 {
				want["checks/available"] = n
			}
			if tt.always > 0 {
				want["render/available"] = tt.always
			}
			waitStates(t, pool, want)
		})
	}
}

func fmtName(kind string, i int) string { return kind + string(rune('a'+i)) }

// checkBefore is Check as it was before its fields were tagged
// river:"unique" (and before Plain): jobs enqueued by an older build.
type checkBefore struct {
	Source uint64 `json:"source"`
	Slot   int64  `json:"slot"`
	Render bool   `json:"render,omitempty"`
}

func (checkBefore) Kind() string { return Check{}.Kind() }

func (c checkBefore) InsertOpts() river.InsertOpts {
	return Check{Source: c.Source, Slot: c.Slot, Render: c.Render}.InsertOpts()
}

// TestUniqueAcrossBuilds: a check job enqueued by a build before Plain is
// the same job to this build (its unique key is unchanged), and a
// hand-over carrying a plain fetch is the same job as one without.
func TestUniqueAcrossBuilds(t *testing.T) {
	w := newWorld(t, 0)
	enq, err := NewClient(w.pool(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		before checkBefore
		now    Check
	}{
		{"plain", checkBefore{Source: 1, Slot: 100}, Check{Source: 1, Slot: 100}},
		{"render", checkBefore{Source: 2, Slot: 100, Render: true}, Check{Source: 2, Slot: 100, Render: true}},
		{"render with a plain fetch", checkBefore{Source: 3, Slot: 100, Render: true},
			Check{Source: 3, Slot: 100, Render: true, Plain: &Plain{BodySHA256: "ab", Err: "HTTP 403", Status: true}}},
	} {
		if res, err := enq.Insert(t.Context(), tt.before, nil); err != nil || res.UniqueSkippedAsDuplicate {
			t.Fatalf("%s: insert the older build's job: %+v, %v", tt.name, res, err)
		}
		res, err := enq.Insert(t.Context(), tt.now, nil)
		if err != nil || !res.UniqueSkippedAsDuplicate {
			t.Errorf("%s: this build's job: skipped as a duplicate %v, %v; want the same job", tt.name, res != nil && res.UniqueSkippedAsDuplicate, err)
		}
	}
	// Another slot, source or queue is another job.
	for _, c := range []Check{{Source: 1, Slot: 101}, {Source: 4, Slot: 100}, {Source: 1, Slot: 100, Render: true}} {
		if res, err := enq.Insert(t.Context(), c, nil); err != nil || res.UniqueSkippedAsDuplicate {
			t.Errorf("%+v: %+v, %v; want a new job", c, res, err)
		}
	}
}
