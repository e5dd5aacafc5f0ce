package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

// Plan is the schedule the schedulers run by (decision record 0047):
// stored when a scheduler starts, so that workers, which compute each
// source's next slot when they record its check, compute it the same
// way without being given the schedulers' flags.
type Plan struct {
	// Schedule is the default cron spec, Zone the IANA zone specs are
	// read in, Jitter the largest per-source offset (0: none), Urgent
	// the spec of sources whose supplier's update window is open.
	Schedule string `json:"schedule"`
	Zone     string `json:"zone"`
	Jitter   string `json:"jitter"`
	Urgent   string `json:"urgent"`
	// By and Set say which process stored it, and when.
	By  string    `json:"by,omitempty"`
	Set time.Time `json:"set"`
}

// Same reports whether p and o schedule alike (who set them aside).
func (p Plan) Same(o Plan) bool {
	return p.Schedule == o.Schedule && p.Zone == o.Zone && p.Jitter == o.Jitter && p.Urgent == o.Urgent
}

// JitterDuration is Jitter parsed.
func (p Plan) JitterDuration() (time.Duration, error) {
	d, err := time.ParseDuration(p.Jitter)
	if err != nil {
		return 0, fmt.Errorf("stored schedule: jitter %q: %w", p.Jitter, err)
	}
	return d, nil
}

// planKey is the plan's key in the meta table.
const planKey = "schedule_plan"

// Plan returns the stored plan; store.ErrNotFound when no scheduler has
// stored one.
func (d *DB) Plan(ctx context.Context) (Plan, error) {
	v, err := d.meta(ctx, planKey)
	if err != nil {
		return Plan{}, fmt.Errorf("stored schedule: %w", err)
	}
	if v == "" {
		return Plan{}, fmt.Errorf("stored schedule: %w", store.ErrNotFound)
	}
	var p Plan
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return Plan{}, fmt.Errorf("stored schedule: %w: %v", store.ErrCorrupt, err)
	}
	return p, nil
}

// SetPlan stores p and returns the plan it replaced (store.ErrNotFound
// with a zero Plan when there was none), in one statement: of two
// schedulers starting at once, one sees the other's.
func (d *DB) SetPlan(ctx context.Context, p Plan) (Plan, error) {
	if p.Set.IsZero() {
		p.Set = d.now().UTC()
	}
	data, err := json.Marshal(p)
	if err != nil {
		return Plan{}, fmt.Errorf("store the schedule: %w", err)
	}
	var old *string
	err = d.pool.QueryRow(ctx, `WITH old AS (SELECT value FROM meta WHERE key = $1 FOR UPDATE)
		INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
		RETURNING (SELECT value FROM old)`, planKey, string(data)).Scan(&old)
	if err != nil {
		return Plan{}, fmt.Errorf("store the schedule: %w", err)
	}
	if old == nil {
		return Plan{}, store.ErrNotFound
	}
	var prev Plan
	if err := json.Unmarshal([]byte(*old), &prev); err != nil {
		return Plan{}, nil // a damaged plan is replaced, not kept
	}
	return prev, nil
}
