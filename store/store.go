package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/zstd"
	"go.etcd.io/bbolt"
)

// SchemaVersion is the schema this build writes. Open migrates older
// databases forward and refuses newer ones.
const SchemaVersion = 10

// Errors returned by the store. Test them with errors.Is.
var (
	// ErrNotFound means the source, version, change or blob does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrExists means a source with that name or URL is already watched.
	ErrExists = errors.New("store: already exists")
	// ErrAmbiguous means a reference to a source (ID, name or URL)
	// matches more than one source.
	ErrAmbiguous = errors.New("store: ambiguous reference")
	// ErrConflict means the source's state changed since it was read; the
	// caller should read it again and redo its decision.
	ErrConflict = errors.New("store: state changed concurrently")
	// ErrSchema means the database was written by a newer clausewatch, or
	// is not a clausewatch database.
	ErrSchema = errors.New("store: unsupported schema")
	// ErrCorrupt means a record or blob could not be decoded or is
	// missing where another record points at it, or the database file
	// itself is damaged (then the error is a *CorruptError).
	ErrCorrupt = errors.New("store: corrupt record")
	// ErrInvalid means a value to store is malformed (no URL, bad kind).
	ErrInvalid = errors.New("store: invalid value")
	// ErrLastAdmin means a role change would leave no admin token:
	// nobody could then manage tokens from the web pages or the API.
	ErrLastAdmin = errors.New("store: the last admin")
	// ErrLocked means another process holds the database open.
	ErrLocked = errors.New("store: database is in use by another process")
)

// Options configures Open.
type Options struct {
	// Timeout is how long Open waits for another process to release the
	// file lock. Default 1s.
	Timeout time.Duration
	// ReadOnly opens the database for reading only (no migration).
	ReadOnly bool
	// Now is the clock for recorded times. Default time.Now.
	Now func() time.Time
	// KeyFile is the transparency log's signing key. Default: the
	// database's path with ".key" appended. A read-write Open creates it
	// when the database has no log key yet, and refuses to go on when the
	// log was signed with a key that is missing or different.
	KeyFile string
	// Commit bounds group commit: how many checks' records one write
	// transaction holds. Zero values take the defaults.
	Commit CommitOptions
	// MaxBlobBytes bounds a blob's content, written or read (see the
	// constant of that name, the default). Tests set it small.
	MaxBlobBytes int
	// FetchIndex bounds the fetch log's unindexed tail (fetchlog.go).
	FetchIndex FetchIndexOptions
	// moveHook, when set, runs after each batch of the move to schema
	// 10 commits; an error stops the move there (tests interrupt it so).
	moveHook func(batch int) error
	// moveBatch, when set, replaces moveBatch (tests make it small).
	moveBatch int
}

// DB is an open clausewatch database.
type DB struct {
	bolt *bbolt.DB
	path string
	now  func() time.Time
	enc  *zstd.Encoder // for blobs without a dictionary; safe for concurrent EncodeAll
	dec  *zstd.Decoder
	// maxBlob is Options.MaxBlobBytes: the most a blob may hold.
	maxBlob int
	// key signs the log's checkpoints (nil when open read-only); origin
	// names the log in them.
	key     *logKey
	keyFile string
	origin  string
	// skipLog leaves fetches out of the log: only for the benchmark that
	// measures what the log costs (BenchmarkRecordLog).
	skipLog bool
	// fetchIndex bounds the fetch log's unindexed tail.
	fetchIndex FetchIndexOptions
	// tail is the fetch log's unindexed tail by source (fetchtail.go).
	tail *fetchTail
	// guard is what run keeps about transactions that panicked.
	guard guard
	// commits is the writer Record hands its records to.
	commits *GroupCommit[pendingRecord]
}

// Open opens (creating if needed) the database at path and migrates it to
// SchemaVersion. It refuses a damaged file with a *CorruptError: one that
// is empty while its key file exists, cut short, or whose pages bbolt
// would loop on or overwrite (decision record 0018).
func Open(path string, opts Options) (*DB, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.KeyFile == "" {
		opts.KeyFile = path + ".key"
	}
	if dir := filepath.Dir(path); !opts.ReadOnly {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	if err := checkFile(path, opts.KeyFile, opts.ReadOnly); err != nil {
		return nil, err
	}
	// PreLoadFreelist: a read-only Check would otherwise load the
	// freelist in bbolt's check goroutine, where a fault is not guarded.
	b, err := openBolt(path, &bbolt.Options{Timeout: opts.Timeout, ReadOnly: opts.ReadOnly, PreLoadFreelist: true})
	if err != nil {
		if errors.Is(err, bbolt.ErrTimeout) {
			return nil, fmt.Errorf("open %s: %w (waited %v)", path, ErrLocked, opts.Timeout)
		}
		if errors.As(err, new(*CorruptError)) { // names the file already
			return nil, err
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := checkTree(path); err != nil {
		b.Close()
		return nil, err
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBetterCompression))
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("open %s: zstd: %w", path, err)
	}
	if opts.MaxBlobBytes <= 0 {
		opts.MaxBlobBytes = MaxBlobBytes
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(uint64(opts.MaxBlobBytes)))
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("open %s: zstd: %w", path, err)
	}
	d := &DB{bolt: b, path: path, now: opts.Now, enc: enc, dec: dec, maxBlob: opts.MaxBlobBytes, keyFile: opts.KeyFile, fetchIndex: opts.FetchIndex.withDefaults()}
	d.commits = NewGroupCommit(opts.Commit, d.commitBatch)
	if opts.ReadOnly {
		err = d.run(false, func(tx *bbolt.Tx) error {
			v, err := schemaOf(tx)
			if err == nil && v != SchemaVersion {
				err = fmt.Errorf("%w: schema %d, this build reads %d (open it read-write once to migrate)", ErrSchema, v, SchemaVersion)
			}
			if err == nil && tx.Bucket(bucketMeta).Get(keyFetchMove) != nil {
				err = fmt.Errorf("%w: the move of fetch records to schema 10 is unfinished (open it read-write once to finish it)", ErrSchema)
			}
			if err == nil {
				d.origin = "clausewatch/" + string(tx.Bucket(bucketMeta).Get(keyInstance))
			}
			return err
		})
	} else {
		err = d.run(true, func(tx *bbolt.Tx) error {
			if err := migrate(tx, migrations); err != nil {
				return err
			}
			return d.setUpLog(tx)
		})
		if err == nil {
			err = d.moveFetches(cmp.Or(opts.moveBatch, moveBatch), opts.moveHook)
		}
	}
	if err == nil {
		err = d.run(false, func(tx *bbolt.Tx) error { d.tail = newFetchTail(tx); return nil })
	}
	if err != nil {
		d.Close()
		if errors.As(err, new(*CorruptError)) {
			return nil, err
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return d, nil
}

// Close closes the database. After a transaction panicked while bbolt
// held its locks, it leaves the file to the process's exit rather than
// wait for them forever.
func (d *DB) Close() error {
	d.commits.Close()
	d.enc.Close()
	d.dec.Close()
	if e := d.guard.stuck.Load(); e != nil {
		return fmt.Errorf("close %s: %w", d.path, e)
	}
	return d.bolt.Close()
}

// Path returns the database file's path.
func (d *DB) Path() string { return d.path }

// migration brings the schema from version n-1 to n (n is its index + 1).
type migration func(tx *bbolt.Tx) error

// migrations are applied in order; they only ever move forward. Add new
// ones at the end and bump SchemaVersion.
var migrations = []migration{
	// 1: the initial layout.
	func(tx *bbolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	},
	// 2: the daemon's schedule (next-due time per source, and a queue
	// ordered by it).
	func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketDue, bucketQueue} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	},
	// 3: the web server's API tokens and sessions (both kept as SHA-256
	// hashes), webhooks and their deliveries.
	func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketTokens, bucketSessions, bucketHooks, bucketDeliveries} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		// The instance ID makes feed entry IDs unique to this database and
		// stable across restarts and changes of address.
		if tx.Bucket(bucketMeta).Get(keyInstance) != nil {
			return nil
		}
		id := make([]byte, 16)
		if _, err := rand.Read(id); err != nil {
			return fmt.Errorf("instance id: %w", err)
		}
		return tx.Bucket(bucketMeta).Put(keyInstance, []byte(hex.EncodeToString(id)))
	},
	// 4: the seal program's records: suppliers, vetting notifications and
	// their tickets, rubric releases, pinned baselines.
	func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketSuppliers, bucketNotifications, bucketRubrics, bucketBaselines} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	},
	// 5: the transparency log of fetches and its signed checkpoints. The
	// fetches already stored are appended after the migration, once the
	// signing key is loaded (setUpLog).
	func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketLog, bucketLogLeaves, bucketLogIndex, bucketCheckpoints} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return tx.Bucket(bucketMeta).Put(keyBackfill, []byte{1})
	},
	// 6: compact fetch records and the sets they refer to; the JSON
	// records are rewritten, each only when it decodes to the same log
	// leaf (migrate.go).
	compactFetches,
	// 7: the log's tree as tiles, without the leaf maps (tiles.go).
	tileLog,
	// 8: the feed's indexes of changes by source, triage state and
	// re-vetting, and of sources by supplier, built from the records
	// (decision record 0026).
	buildIndexes,
	// 9: the current version's latest sighting beside the version record,
	// so an unchanged fetch does not rewrite the source's versions page
	// (seen.go, decision record 0041).
	createSeen,
	// 10: fetch records in one bucket in the order they are recorded,
	// with a per-source index written in bulk (fetchlog.go, migrate10.go,
	// decision record 0049). The records are moved after this
	// transaction, in batches (moveFetches).
	createFetchLog,
}

// setUpLog loads the log's signing key (creating it for a database that has
// none) and appends the fetches stored before the log existed.
func (d *DB) setUpLog(tx *bbolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	instance := string(meta.Get(keyInstance))
	d.origin = "clausewatch/" + instance
	want := string(meta.Get(keyLogVKey))
	key, err := loadKey(d.keyFile, keyName(instance), want == "")
	if err != nil {
		if want != "" {
			return fmt.Errorf("%w (the log is signed by %s; restore its key file, kept with the database's backups)", err, want)
		}
		return err
	}
	if want != "" && key.vkey != want {
		return fmt.Errorf("%w: %s holds the key %s, but the log is signed by %s", ErrKey, d.keyFile, key.vkey, want)
	}
	d.key = key
	if want == "" {
		if err := meta.Put(keyLogVKey, []byte(key.vkey)); err != nil {
			return err
		}
	}
	if meta.Get(keyBackfill) == nil {
		return nil
	}
	if err := d.backfillLog(tx); err != nil {
		return fmt.Errorf("append the stored fetches to the log: %w", err)
	}
	return meta.Delete(keyBackfill)
}

// schemaOf reads the schema version; 0 for an empty file.
func schemaOf(tx *bbolt.Tx) (int, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		empty := true
		tx.ForEach(func([]byte, *bbolt.Bucket) error { empty = false; return nil })
		if !empty {
			return 0, fmt.Errorf("%w: no meta bucket (not a clausewatch database?)", ErrSchema)
		}
		return 0, nil
	}
	v := meta.Get(keySchema)
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: no schema version", ErrSchema)
	}
	return int(fromU64(v)), nil
}

// migrate runs the migrations the database has not had, in one
// transaction: a failure leaves the database as it was.
func migrate(tx *bbolt.Tx, ms []migration) error {
	from, err := schemaOf(tx)
	if err != nil {
		return err
	}
	if from > len(ms) {
		return fmt.Errorf("%w: schema %d is newer than this build's %d; upgrade clausewatch", ErrSchema, from, len(ms))
	}
	for v := from + 1; v <= len(ms); v++ {
		if err := ms[v-1](tx); err != nil {
			return fmt.Errorf("migrate to schema %d: %w", v, err)
		}
	}
	if from == len(ms) {
		return nil
	}
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return fmt.Errorf("%w: migrations did not create the meta bucket", ErrSchema)
	}
	return meta.Put(keySchema, u64(uint64(len(ms))))
}

// Instance returns the database's instance ID: random, made when the
// database got schema 3, and never changed (32 hex digits).
func (d *DB) Instance(ctx context.Context) (string, error) {
	var id string
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(keyInstance)
		if len(v) != 32 {
			return fmt.Errorf("%w: no instance id", ErrCorrupt)
		}
		id = string(v)
		return nil
	})
	return id, err
}

// Schema returns the database's schema version.
func (d *DB) Schema(ctx context.Context) (int, error) {
	var v int
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		v, err = schemaOf(tx)
		return err
	})
	return v, err
}

// view runs fn in a read transaction unless ctx is already done. A panic
// in it (a damaged page) comes back as a *CorruptError (see run).
func (d *DB) view(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return d.run(false, fn)
}

// update runs fn in a write transaction unless ctx is already done. A
// panic in it comes back as a *CorruptError, the transaction rolled back.
func (d *DB) update(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return d.run(true, fn)
}

// getJSON decodes the value at key into v; ErrNotFound when absent.
func getJSON(b *bbolt.Bucket, key []byte, v any) error {
	if b == nil {
		return ErrNotFound
	}
	data := b.Get(key)
	if data == nil {
		return ErrNotFound
	}
	return decode(data, v)
}

// jsonUnmarshal is json.Unmarshal (one place to change the codec).
func jsonUnmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// jsonMarshal is json.Marshal.
func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// putJSON encodes v at key.
func putJSON(b *bbolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// Backup writes a consistent copy of the whole database to w while other
// goroutines go on reading and writing (a read transaction sees one
// snapshot). It returns the bytes written.
func (d *DB) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}

// BackupFile writes a backup to path atomically: into a temporary file in
// the same directory, synced, then renamed over path. The log's signing
// key goes beside it as path + ".key" (mode 0600), the default place Open
// looks: a database without its key cannot go on signing its log.
func (d *DB) BackupFile(ctx context.Context, path string) (int64, error) {
	n, err := writeAtomic(path, 0o600, func(w io.Writer) (int64, error) { return d.Backup(ctx, w) })
	if err != nil {
		return n, fmt.Errorf("backup to %s: %w", path, err)
	}
	key, err := os.ReadFile(d.keyFile)
	if errors.Is(err, os.ErrNotExist) && d.key == nil {
		return n, nil // read-only, keyless: nothing to copy
	}
	if err == nil {
		_, err = writeAtomic(path+".key", 0o600, func(w io.Writer) (int64, error) {
			m, err := w.Write(key)
			return int64(m), err
		})
	}
	if err != nil {
		return n, fmt.Errorf("backup the log key to %s.key: %w", path, err)
	}
	return n, nil
}

// writeAtomic writes a file through a synced temporary file in the same
// directory, renamed over path once complete.
func writeAtomic(path string, perm os.FileMode, write func(io.Writer) (int64, error)) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	n, err := write(tmp)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	return n, err
}

// Size returns the database file's size in bytes as bbolt sees it.
func (d *DB) Size(ctx context.Context) (int64, error) {
	var n int64
	err := d.view(ctx, func(tx *bbolt.Tx) error { n = tx.Size(); return nil })
	return n, err
}
