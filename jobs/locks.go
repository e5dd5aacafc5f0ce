package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// sourceLockClass is the first key of every source's advisory lock
// ("claw"); the second is the source's ID. PostgreSQL keeps two-key
// advisory locks apart from one-key ones (the migration, webhook and
// e-mail locks).
const sourceLockClass = 0x636c6177

// SourceLocks are the per-source locks every check on PostgreSQL takes
// (decision record 0047): a worker's job and the CLI's check of the same
// source never run at once, in any processes. Each is a session advisory
// lock held on a connection of its own for the length of the check, so a
// process that dies (SIGKILL, a lost machine) releases its locks with its
// sessions, and nothing has to expire.
type SourceLocks struct {
	pool *pgxpool.Pool
}

// NewSourceLocks opens a pool of connections for holding
// locks: conns, one per check this process runs at once.
func NewSourceLocks(ctx context.Context, dsn string, conns int) (*SourceLocks, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("jobs: source locks: %w", err)
	}
	cfg.MaxConns = int32(max(conns, 1))
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: source locks: %w", err)
	}
	return &SourceLocks{pool: pool}, nil
}

// Close closes the pool, waiting up to 10 seconds for locks still held
// to be released: a check that ignores its cancellation must not hold a
// stopping process up (its session, and its lock, end with the process).
func (l *SourceLocks) Close() {
	done := make(chan struct{})
	go func() { l.pool.Close(); close(done) }()
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

// TryLock takes source's lock if no one holds it: ok is false (and
// release nil) when another process does.
func (l *SourceLocks) TryLock(ctx context.Context, source uint64) (release func(), ok bool, err error) {
	release, err = l.lock(ctx, source, false, nil)
	if err == errHeld {
		return nil, false, nil
	}
	return release, err == nil, err
}

// errHeld is lock's answer when it may not wait.
var errHeld = errors.New("held by another process")

// Lock waits until it holds source's lock, or ctx is done. busy, when not
// nil, is called first if another process holds it. The lock is held
// until release is called.
func (l *SourceLocks) Lock(ctx context.Context, source uint64, busy func()) (release func(), err error) {
	return l.lock(ctx, source, true, busy)
}

// lock takes source's lock, waiting for it when wait is set (else
// errHeld when it is held).
func (l *SourceLocks) lock(ctx context.Context, source uint64, wait bool, busy func()) (release func(), err error) {
	conn, err := l.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock source %d: %w", source, err)
	}
	key := int32(uint32(source)) // IDs past 2³² share a lock: a wait, never a race
	var got bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, $2)", int32(sourceLockClass), key).Scan(&got); err != nil {
		conn.Release()
		return nil, fmt.Errorf("lock source %d: %w", source, err)
	}
	if !got && !wait {
		conn.Release()
		return nil, errHeld
	}
	if !got {
		if busy != nil {
			busy()
		}
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1, $2)", int32(sourceLockClass), key); err != nil {
			// A cancelled wait may leave the session in doubt: end it.
			conn.Conn().Close(context.WithoutCancel(ctx))
			conn.Release()
			return nil, fmt.Errorf("lock source %d: %w", source, err)
		}
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1, $2)", int32(sourceLockClass), key); err != nil {
			conn.Conn().Close(ctx) // the session ends, and its lock with it
		}
		conn.Release()
	}, nil
}
