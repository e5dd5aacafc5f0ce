package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
)

// CommitOptions bounds group commit: how DB.Record's records are gathered
// into transactions (decision record 0029).
type CommitOptions struct {
	// MaxBatch is the most records one transaction holds. Default 64.
	// 1 commits each record in its own transaction on the caller's
	// goroutine, as before group commit (the baseline it is measured
	// against).
	MaxBatch int
	// MaxDelay is how long the writer waits, after taking the first
	// record of a batch, for more to arrive while the batch is not full.
	// Default 0: a batch is what queued while the previous transaction
	// committed, and a lone record is committed at once.
	MaxDelay time.Duration
	// Writers, when set, is how many goroutines record at most (the
	// daemon's workers): the wait for more ends once the batch holds that
	// many, since no more can come until it commits. Without it a delay
	// holds every batch of fewer writers than MaxBatch for all of
	// MaxDelay (decision record 0051). 0: MaxBatch.
	Writers int
}

// ErrClosed means the database was closed while a record waited to be
// written.
var ErrClosed = errors.New("store: database closed")

// GroupCommit is the one writer of group commit, for any backend: it
// takes prepared items from a queue, hands each batch to write (one
// transaction), and wakes each item's caller once write has returned.
// Its goroutine starts with the first item and ends in Close. The bbolt
// store's Record uses it with its records, pgstore's with its own.
type GroupCommit[T any] struct {
	opts  CommitOptions
	write func(batch []*T)
	queue chan queued[T]
	// mu guards closed; senders counts callers between their closed check
	// and their send, so that Close closes the queue only after them.
	mu      sync.Mutex
	closed  bool
	senders sync.WaitGroup
	start   sync.Once
	running sync.WaitGroup
	// txs counts the transactions committed (BenchmarkRoundPages reports
	// checks per transaction).
	txs atomic.Int64
}

// queued is an item and the channel closed once it is written.
type queued[T any] struct {
	v    *T
	done chan struct{}
}

// NewGroupCommit returns a writer that hands batches to write, bounded
// by opts (defaults filled in). write must set each item's outcome.
func NewGroupCommit[T any](opts CommitOptions, write func(batch []*T)) *GroupCommit[T] {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 64
	}
	opts.MaxDelay = max(opts.MaxDelay, 0)
	return &GroupCommit[T]{opts: opts, write: write, queue: make(chan queued[T], opts.MaxBatch)}
}

// Commit writes v and returns once write has run on a batch holding it
// (nil: v's own outcome says how it went), or an error when v was not
// written: ErrClosed, or ctx's error while it waited for a place in the
// queue. With MaxBatch 1 it writes at once on this goroutine. Once
// queued, v is written, and the caller learns how.
func (c *GroupCommit[T]) Commit(ctx context.Context, v *T) error {
	if c.opts.MaxBatch == 1 {
		if err := ctx.Err(); err != nil {
			return err
		}
		c.write([]*T{v})
		return nil
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.senders.Add(1)
	c.mu.Unlock()
	c.start.Do(func() { c.running.Go(c.loop) })
	q := queued[T]{v: v, done: make(chan struct{})}
	select {
	case c.queue <- q:
		c.senders.Done()
	case <-ctx.Done():
		c.senders.Done()
		return ctx.Err()
	}
	<-q.done
	return nil
}

// commit writes a prepared record and returns once it is committed (or
// failed; p.err says).
func (d *DB) commit(ctx context.Context, p *pendingRecord) error {
	if err := d.commits.Commit(ctx, p); err != nil {
		return err
	}
	return p.err
}

// loop is the writer: it runs until Close closes the queue, and writes
// what is queued before it returns.
func (c *GroupCommit[T]) loop() {
	var timer *time.Timer
	if c.opts.MaxDelay > 0 {
		timer = time.NewTimer(c.opts.MaxDelay)
		timer.Stop()
		defer timer.Stop()
	}
	batch := make([]queued[T], 0, c.opts.MaxBatch)
	items := make([]*T, 0, c.opts.MaxBatch)
	for first := range c.queue {
		batch = append(batch[:0], first)
		open := c.gather(&batch, timer)
		items = items[:0]
		for _, q := range batch {
			items = append(items, q.v)
		}
		c.write(items)
		for _, q := range batch {
			close(q.done)
		}
		clear(batch)
		clear(items)
		if !open {
			return
		}
	}
}

// gather adds queued items to batch until it is full, then (when timer
// is set) waits up to MaxDelay for more while it holds fewer than
// Writers. It reports false when the queue
// was closed.
func (c *GroupCommit[T]) gather(batch *[]queued[T], timer *time.Timer) bool {
	for len(*batch) < c.opts.MaxBatch {
		select {
		case q, ok := <-c.queue:
			if !ok {
				return false
			}
			*batch = append(*batch, q)
			continue
		default:
		}
		break
	}
	enough := c.opts.MaxBatch
	if w := c.opts.Writers; w > 0 && w < enough {
		enough = w
	}
	if timer == nil || len(*batch) >= enough {
		return true
	}
	timer.Reset(c.opts.MaxDelay)
	defer timer.Stop()
	for len(*batch) < enough {
		select {
		case q, ok := <-c.queue:
			if !ok {
				return false
			}
			*batch = append(*batch, q)
		case <-timer.C:
			return true
		}
	}
	return true
}

// Close stops the writer once every item handed to it is written.
func (c *GroupCommit[T]) Close() {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	c.mu.Unlock()
	if already {
		return
	}
	c.senders.Wait()
	close(c.queue)
	c.running.Wait()
}

// commitBatch writes records in one transaction that appends their
// fetches to the log and signs one checkpoint, kept for good when any of
// them asks for it. Each record is all or nothing: when one fails (its
// state moved on, a value is invalid), the transaction is rolled back and
// the batch written again without it, so it cannot take the others with
// it. A failure of the transaction itself (the signature, the commit, a
// damaged page) fails every record in it. Each record's err says how it
// went.
func (d *DB) commitBatch(batch []*pendingRecord) {
	live := slices.Clone(batch)
	for len(live) > 0 {
		var bad *pendingRecord
		err := d.run(true, func(tx *bbolt.Tx) error {
			keep := false
			for _, p := range live {
				if err := d.writeRecord(tx, p); err != nil {
					bad, p.err = p, err
					return err
				}
				keep = keep || p.keep
			}
			if indexDue(tx, d.fetchIndex) {
				if _, err := flushIndex(tx); err != nil {
					return err
				}
			}
			if d.skipLog {
				return nil
			}
			if err := d.signTree(tx, keep); err != nil {
				return fmt.Errorf("transparency log: %w", err)
			}
			return nil
		})
		switch {
		case err == nil:
			d.commits.txs.Add(1)
			return
		case bad != nil:
			live = slices.DeleteFunc(live, func(p *pendingRecord) bool { return p == bad })
			bad.fetch, bad.change = Fetch{}, nil
		default:
			for _, p := range live {
				p.fetch, p.change, p.err = Fetch{}, nil, err
			}
			return
		}
	}
}
