package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

func dueIDs(ds []store.Due) []uint64 {
	out := make([]uint64, len(ds))
	for i, d := range ds {
		out[i] = d.SourceID
	}
	return out
}

var scheduleCases = []Case{
	{"Schedule/Queue", func(t *testing.T, db store.Store, _ *Clock) {
		ctx := t.Context()
		var ids []uint64
		for _, n := range []string{"a", "b", "c", "d"} {
			ids = append(ids, addSource(t, db, n, "").ID)
		}
		wantErr(t, "unknown source", db.SetDue(ctx, store.Due{SourceID: 99, At: t0}), store.ErrNotFound)
		wantErr(t, "no time", db.SetDue(ctx, store.Due{SourceID: ids[0]}), store.ErrInvalid)
		at := []time.Duration{3, 1, 2, 10}
		var dues []store.Due
		for i, id := range ids {
			dues = append(dues, store.Due{SourceID: id, Schedule: "@daily", At: t0.Add(at[i] * time.Hour), Slot: t0})
		}
		must(t, "set dues", db.SetDues(ctx, dues))
		by, err := db.DueBy(ctx, t0.Add(3*time.Hour), 0)
		if err != nil || !slices.Equal(dueIDs(by), []uint64{ids[1], ids[2], ids[0]}) {
			t.Errorf("due by 3h (inclusive), soonest first: %v, %v", dueIDs(by), err)
		}
		by, _ = db.DueBy(ctx, t0.Add(3*time.Hour), 2)
		if !slices.Equal(dueIDs(by), []uint64{ids[1], ids[2]}) {
			t.Errorf("limit 2: %v", dueIDs(by))
		}
		by, _ = db.DueByExcept(ctx, t0.Add(3*time.Hour), 2, func(id uint64) bool { return id == ids[1] })
		if !slices.Equal(dueIDs(by), []uint64{ids[2], ids[0]}) {
			t.Errorf("skipping one: %v", dueIDs(by))
		}
		// Moving a due time moves it in the queue.
		must(t, "move", db.SetDue(ctx, store.Due{SourceID: ids[3], Schedule: "@hourly", At: t0}))
		by, _ = db.DueBy(ctx, t0.Add(3*time.Hour), 0)
		if !slices.Equal(dueIDs(by), []uint64{ids[3], ids[1], ids[2], ids[0]}) {
			t.Errorf("after moving d first: %v", dueIDs(by))
		}
		d, err := db.DueOf(ctx, ids[3])
		if err != nil || d.Schedule != "@hourly" || !d.At.Equal(t0) || d.V != 1 {
			t.Errorf("DueOf = %+v, %v", d, err)
		}
		must(t, "delete", db.DeleteDue(ctx, ids[3]))
		must(t, "delete again", db.DeleteDue(ctx, ids[3]))
		_, err = db.DueOf(ctx, ids[3])
		wantErr(t, "deleted due", err, store.ErrNotFound)
		all, _ := db.Dues(ctx)
		if !slices.Equal(dueIDs(all), ids[:3]) {
			t.Errorf("Dues in source order: %v", dueIDs(all))
		}
	}},
	{"Schedule/WithRecord", func(t *testing.T, db store.Store, _ *Clock) {
		ctx := t.Context()
		src := addSource(t, db, "a", "").ID
		next := t0.Add(24 * time.Hour)
		f, _ := record(t, db, src, fetch{at: t0, due: &store.Due{Schedule: "@daily", At: next, LastStart: t0}})
		d, err := db.DueOf(ctx, src)
		if err != nil || !d.At.Equal(next) || !d.LastEnd.Equal(f.End) || d.SourceID != src || !d.LastStart.Equal(t0) {
			t.Errorf("due written with the record: %+v, %v", d, err)
		}
		by, _ := db.DueBy(ctx, next, 0)
		if len(by) != 1 {
			t.Errorf("queue after the record: %v", dueIDs(by))
		}
	}},
}
