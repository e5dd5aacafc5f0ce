package pgstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// Checkpoints signed where the key is (decision record 0048). Workers
// opened without the key file record fetches, leaves and tiles, and
// notify logNotify when a batch commits; the process that holds the key
// runs RunSigner, which signs a checkpoint of the whole log whenever it
// is notified (or every interval, should a notification be missed), so
// the latest checkpoint trails the log by one signing.

// SignCheckpoint signs a checkpoint of the log as it is, unless the
// latest already covers all of it, and reports whether it signed. It is
// kept for good when a writer asked for that (keep_next) or it is the
// first of its UTC day.
func (d *DB) SignCheckpoint(ctx context.Context) (bool, error) {
	if err := d.needKey("sign a checkpoint"); err != nil {
		return false, err
	}
	var current bool
	if err := d.pool.QueryRow(ctx, "SELECT size = 0 OR coalesce(checkpoint_size, -1) = size FROM log_head").Scan(&current); err != nil {
		return false, fmt.Errorf("sign a checkpoint: %w", err)
	}
	if current {
		return false, nil
	}
	signed := false
	err := d.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(logLock)); err != nil {
			return fmt.Errorf("log lock: %w", err)
		}
		var size int64
		var have *int64
		if err := tx.QueryRow(ctx, "SELECT size, checkpoint_size FROM log_head").Scan(&size, &have); err != nil {
			return err
		}
		if size == 0 || (have != nil && *have == size) {
			return nil // another signer was first
		}
		signed = true
		return d.batchCheckpoint(ctx, tx, false)
	})
	if err != nil {
		return false, fmt.Errorf("sign a checkpoint: %w", err)
	}
	return signed, nil
}

// RunSigner signs checkpoints until ctx ends: on every batch another
// process commits (LISTEN logNotify), and every interval in case a
// notification was lost with a connection. Errors are logged and the
// loop goes on, on a new connection when its own failed.
func (d *DB) RunSigner(ctx context.Context, interval time.Duration, log *slog.Logger) error {
	if err := d.needKey("run the checkpoint signer"); err != nil {
		return err
	}
	for ctx.Err() == nil {
		if err := d.listenAndSign(ctx, interval); err != nil && ctx.Err() == nil {
			log.Error("checkpoint signer", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(interval):
			}
		}
	}
	return nil
}

// listenAndSign signs on notifications on one connection until ctx ends
// or the connection fails.
func (d *DB) listenAndSign(ctx context.Context, interval time.Duration) error {
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+logNotify); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "UNLISTEN "+logNotify)
	for {
		if _, err := d.SignCheckpoint(ctx); err != nil {
			return err
		}
		wait, cancel := context.WithTimeout(ctx, interval)
		_, err := conn.Conn().WaitForNotification(wait)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && !errors.Is(err, context.DeadlineExceeded):
			return err
		}
	}
}
