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
	// MaxDelay (decision record 0051). 0: MaxBatch. It counts callers
	// that wait for their commit (Record); callers that hand records in
	// without waiting (RecordAsync) can fill a batch past it, and end
	// the wait with FlushRecords instead (decision record 0052).
	Writers int
	// OnBatch, when set, is called by the writer after each batch it has
	// written (one transaction), with how many records the batch held:
	// for tests and metrics. It runs on the writer's goroutine and must
	// not block.
	OnBatch func(records int)
}

// ErrClosed means the database was closed while a record waited to be
// written.
var ErrClosed = errors.New("store: database closed")

// GroupCommit is the one writer of group commit, for any backend: it
// takes prepared items from a queue, hands each batch to write (one
// transaction), and wakes each item's caller once write has returned.
// Its goroutine starts with the first item and ends in Close. The bbolt
// store's Record uses it with its records, pgstore's with its own.
//
// Records waiting in memory are bounded: the queue holds at most
// MaxBatch, and the writer one batch of at most MaxBatch besides, so a
// caller that hands in a record while 2×MaxBatch are waiting blocks
// until the writer has committed a batch (back-pressure from the disk).
type GroupCommit[T any] struct {
	opts  CommitOptions
	write func(batch []*T)
	queue chan queued[T]
	// sent counts items queued; Flush sets flushTo to it, and the writer
	// stops waiting for more once its batch holds an item numbered (in
	// the order taken) at most flushTo. taken is the writer's own count.
	// flush wakes a writer that is waiting.
	sent, flushTo atomic.Int64
	taken         int64
	flush         chan struct{}
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

// queued is an item and what to call once it is written.
type queued[T any] struct {
	v    *T
	done func()
}

// NewGroupCommit returns a writer that hands batches to write, bounded
// by opts (defaults filled in). write must set each item's outcome.
func NewGroupCommit[T any](opts CommitOptions, write func(batch []*T)) *GroupCommit[T] {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 64
	}
	opts.MaxDelay = max(opts.MaxDelay, 0)
	return &GroupCommit[T]{opts: opts, write: write, queue: make(chan queued[T], opts.MaxBatch), flush: make(chan struct{}, 1)}
}

// Commit writes v and returns once write has run on a batch holding it
// (nil: v's own outcome says how it went), or an error when v was not
// written: ErrClosed, or ctx's error while it waited for a place in the
// queue. With MaxBatch 1 it writes at once on this goroutine. Once
// queued, v is written, and the caller learns how.
func (c *GroupCommit[T]) Commit(ctx context.Context, v *T) error {
	written := make(chan struct{})
	if err := c.Submit(ctx, v, func() { close(written) }); err != nil {
		return err
	}
	<-written
	return nil
}

// Submit hands v to the writer and returns without waiting for it to be
// written: done is called once write has run on a batch holding v, on
// the writer's goroutine, so it must not block. Submit blocks only while
// the queue is full (2×MaxBatch records waiting, see GroupCommit). It
// returns an error, and never calls done, when v was not queued:
// ErrClosed, or ctx's error while it waited for a place. With MaxBatch 1
// it writes v on this goroutine and calls done before it returns.
func (c *GroupCommit[T]) Submit(ctx context.Context, v *T, done func()) error {
	if c.opts.MaxBatch == 1 {
		if err := ctx.Err(); err != nil {
			return err
		}
		c.write([]*T{v})
		if c.opts.OnBatch != nil {
			c.opts.OnBatch(1)
		}
		done()
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
	defer c.senders.Done()
	select {
	case c.queue <- queued[T]{v: v, done: done}:
		c.sent.Add(1)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Flush ends the wait for more items (MaxDelay) of every item queued so
// far: the batch that holds them is written as soon as the writer has
// them. For a caller that knows no more items are coming soon (the
// daemon's workers are idle, or it is shutting down). Items queued after
// Flush wait as usual.
func (c *GroupCommit[T]) Flush() {
	c.flushTo.Store(c.sent.Load())
	select {
	case c.flush <- struct{}{}:
	default:
	}
}

// commit writes a prepared record and returns once it is committed (or
// failed; p.err says).
func (d *DB) commit(ctx context.Context, p *pendingRecord) error {
	if err := d.commits.Commit(ctx, p); err != nil {
		return err
	}
	return p.err
}

// Pipeline is a backend whose records can be handed to its group writer
// without waiting for their commit (decision record 0052): the daemon's
// workers go on to the next check while the batch fills, so a batch is
// no longer bounded by the number of workers. *DB is one.
type Pipeline interface {
	// RecordAsync is Record without the wait. It prepares r on the
	// caller's goroutine, as Record does, queues it and returns. Once it
	// returns nil, done is called exactly once, with what Record would
	// have returned, after the transaction that holds r has committed
	// or failed; it runs on the writer's goroutine and must not block.
	// When it returns an error, r was not queued and done is not called.
	// It blocks while the writer's queue is full (back-pressure).
	RecordAsync(ctx context.Context, r Record, done func(Fetch, *Change, error)) error
	// FlushRecords makes the writer commit the records queued so far
	// without waiting out the commit delay for more.
	FlushRecords()
}

var _ Pipeline = (*DB)(nil)

// RecordAsync implements Pipeline.
func (d *DB) RecordAsync(ctx context.Context, r Record, done func(Fetch, *Change, error)) error {
	p, err := d.prepareRecord(ctx, r)
	if err != nil {
		return fmt.Errorf("record fetch of source %d: %w", r.Fetch.SourceID, err)
	}
	// Only the prepared blobs are written: a queued record does not keep
	// the body and the document it was prepared from.
	p.r.Body, p.r.Doc = nil, nil
	id := r.Fetch.SourceID
	err = d.commits.Submit(ctx, p, func() {
		if p.err != nil {
			done(Fetch{}, nil, fmt.Errorf("record fetch of source %d: %w", id, p.err))
			return
		}
		done(p.fetch, p.change, nil)
	})
	if err != nil {
		return fmt.Errorf("record fetch of source %d: %w", id, err)
	}
	return nil
}

// FlushRecords implements Pipeline.
func (d *DB) FlushRecords() { d.commits.Flush() }

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
		c.taken++
		batch = append(batch[:0], first)
		open := c.gather(&batch, timer)
		items = items[:0]
		for _, q := range batch {
			items = append(items, q.v)
		}
		c.write(items)
		if c.opts.OnBatch != nil {
			c.opts.OnBatch(len(items))
		}
		for _, q := range batch {
			q.done()
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
// Writers, unless Flush was called for an item it holds. It reports
// false when the queue was closed.
func (c *GroupCommit[T]) gather(batch *[]queued[T], timer *time.Timer) bool {
	first := c.taken // the number of the batch's first item
	if !c.drain(batch) {
		return false
	}
	enough := c.opts.MaxBatch
	if w := c.opts.Writers; w > 0 && w < enough {
		enough = w
	}
	flushed := func() bool { return c.flushTo.Load() >= first }
	if timer == nil || len(*batch) >= enough || flushed() {
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
			c.taken++
			*batch = append(*batch, q)
		case <-c.flush:
			if flushed() {
				return c.drain(batch) // what was queued before the flush too
			}
		case <-timer.C:
			return true
		}
	}
	return true
}

// drain adds what is queued to batch, without waiting, until it is full.
// It reports false when the queue was closed.
func (c *GroupCommit[T]) drain(batch *[]queued[T]) bool {
	for len(*batch) < c.opts.MaxBatch {
		select {
		case q, ok := <-c.queue:
			if !ok {
				return false
			}
			c.taken++
			*batch = append(*batch, q)
		default:
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
