package watch

import (
	"context"
	"sync"

	"github.com/clausewatch/clausewatch/store"
)

// The scheduler's workers and their pipeline (decision record 0052). A
// worker hands a check's last record to the store's group writer
// (store.Pipeline) and takes the next due source without waiting for the
// commit, so a batch can hold more checks than there are workers. The
// check ends — logged as checked, its claim on the source released,
// OnResult called, a CheckSoon made meanwhile honoured — only once its
// transaction has committed, on the goroutine that runs the pool (Run's
// loop, RunDue), never on the writer's. How many records wait for the
// writer is bounded by the store (2×MaxBatch): a worker that hands one in
// past that blocks until a batch is committed.

// finished is a check a worker is done with: ended (res and done as run
// returns them) or, when handed, waiting for its commit.
type finished struct {
	id     uint64
	res    Result
	done   bool
	handed bool
}

// ack is a handed-in check whose record's transaction has ended: end
// ends the check.
type ack struct {
	id  uint64
	end func() (Result, bool)
}

// acks are the committed checks waiting to be ended. The store's writer
// adds to them and must never wait for the scheduler, so the list is not
// bounded here: it holds at most the records the store lets wait.
type acks struct {
	mu    sync.Mutex
	list  []ack
	ready chan struct{}
}

func (q *acks) push(a ack) {
	q.mu.Lock()
	q.list = append(q.list, a)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

func (q *acks) take() []ack {
	q.mu.Lock()
	defer q.mu.Unlock()
	list := q.list
	q.list = nil
	return list
}

// pool is the scheduler's workers. Its counters belong to the goroutine
// that runs it: busy are the jobs sent to workers and not yet reported,
// unacked the checks handed in and not yet ended.
type pool struct {
	s       *Scheduler
	jobs    chan store.Due
	results chan finished
	acks    acks
	workers sync.WaitGroup
	// flusher is the store when it pipelines.
	flusher store.Pipeline
	busy    int
	unacked int
}

// startPool starts n workers that run the jobs sent to them on ctx.
// The caller claims each source before it sends it; the pool releases
// it when the check ends.
func (s *Scheduler) startPool(ctx context.Context, n int) *pool {
	p := &pool{s: s, jobs: make(chan store.Due), results: make(chan finished, n), acks: acks{ready: make(chan struct{}, 1)}}
	p.flusher, _ = s.db.(store.Pipeline)
	for range n {
		p.workers.Go(func() {
			for due := range p.jobs {
				id := due.SourceID
				res, done, handed := s.start(ctx, due, func(end func() (Result, bool)) { p.acks.push(ack{id, end}) })
				if !handed {
					s.release(id)
				}
				p.results <- finished{id: id, res: res, done: done, handed: handed}
			}
		})
	}
	return p
}

// send gives a claimed due check to a worker; the caller sends only
// while busy is below the number of workers, so one is waiting.
func (p *pool) send(d store.Due) {
	p.jobs <- d
	p.busy++
}

// got counts a worker's report in; it returns the check when it ended.
func (p *pool) got(f finished) (finished, bool) {
	p.busy--
	if f.handed {
		p.unacked++
		return f, false
	}
	return f, true
}

// acked ends the committed checks (after acks.ready) and returns them.
func (p *pool) acked() []finished {
	var out []finished
	for _, a := range p.acks.take() {
		res, done := a.end()
		p.s.release(a.id)
		p.unacked--
		out = append(out, finished{id: a.id, res: res, done: done})
	}
	return out
}

// idle reports that no check is under way or waiting for its commit.
func (p *pool) idle() bool { return p.busy == 0 && p.unacked == 0 }

// flush asks the store to commit the handed-in records now when no
// worker is busy: no more records are coming to fill the batch.
func (p *pool) flush() {
	if p.busy == 0 && p.unacked > 0 && p.flusher != nil {
		p.flusher.FlushRecords()
	}
}

// drain sends no more jobs and returns once every worker has stopped
// and every handed-in check has ended, passing each check that ends to
// report.
func (p *pool) drain(report func(finished)) {
	close(p.jobs)
	go func() {
		p.workers.Wait()
		close(p.results)
	}()
	results := p.results
	for results != nil || p.unacked > 0 {
		if results == nil {
			p.flush() // the batch need not wait for more
		}
		select {
		case f, ok := <-results:
			if !ok {
				results = nil
				continue
			}
			if f, ok := p.got(f); ok {
				report(f)
			}
		case <-p.acks.ready:
			for _, f := range p.acked() {
				report(f)
			}
		}
	}
}
