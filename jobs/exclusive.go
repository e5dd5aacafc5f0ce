package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Exclusive runs fn in one process at a time across every process that
// calls it with the same key: the one holding a PostgreSQL session
// advisory lock on a connection of its own. Others wait, trying again
// every retry, and take over when the holder stops or its connection
// dies (the server drops the lock with the session; fn's context is then
// cancelled here, as the connection no longer answers). It returns when
// ctx is done.
//
// Webhook delivery runs so: any number of schedulers, one deliverer.
func Exclusive(ctx context.Context, pool *pgxpool.Pool, key int64, retry time.Duration, log *slog.Logger, fn func(context.Context)) {
	for ctx.Err() == nil {
		if err := holdAndRun(ctx, pool, key, retry, fn); err != nil && ctx.Err() == nil && log != nil {
			log.WarnContext(ctx, "exclusive work: trying again", "err", err)
		}
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
}

// holdAndRun takes the lock if it is free and runs fn until ctx is done
// or the connection holding the lock stops answering.
func holdAndRun(ctx context.Context, pool *pgxpool.Pool, key int64, check time.Duration, fn func(context.Context)) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("jobs: exclusive %d: %w", key, err)
	}
	defer conn.Release()
	var got bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&got); err != nil {
		return fmt.Errorf("jobs: exclusive %d: %w", key, err)
	}
	if !got {
		return nil
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); fn(runCtx) }()
	tick := time.NewTicker(check)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return nil
		case <-tick.C:
			if err := conn.Ping(ctx); err != nil {
				cancel()
				<-done
				conn.Conn().Close(context.WithoutCancel(ctx)) // not back into the pool
				return fmt.Errorf("jobs: exclusive %d: lost the connection holding the lock: %w", key, err)
			}
		}
	}
}
