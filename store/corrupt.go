package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"

	"go.etcd.io/bbolt"
)

// How the store treats a damaged file (decision record 0018):
//
//   - Open refuses what bbolt would fault on or make worse: an empty file
//     beside its key, a file shorter than its meta page says, not whole
//     pages, with no valid meta page, or whose page tree reaches a page
//     twice or reuses a free one.
//   - Every transaction runs with recover and debug.SetPanicOnFault, so a
//     damaged page that bbolt trips over (an assertion, a slice out of
//     range, a fault reading past the file's end) becomes a CorruptError
//     for that call, and the daemon goes on serving what it can.
//   - Check walks the page tree from the file before it lets bbolt's own
//     check (which runs in a goroutine of its own, unguarded) read it.

// CorruptError says the database file is damaged: which file, which
// bucket where known, and what is wrong. It matches ErrCorrupt.
type CorruptError struct {
	Path string
	// Bucket is the damaged bucket ("sources"; a nested bucket's path
	// joined by "/", keys that are not text in hex), or "" when the
	// damage is not in one bucket or was not found.
	Bucket string
	// Problem says what is wrong with the file.
	Problem string
	// Panic is what the transaction panicked with, if it did.
	Panic string
}

func (e *CorruptError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "store: database %s is corrupt", e.Path)
	if e.Bucket != "" {
		fmt.Fprintf(&b, " (bucket %q)", e.Bucket)
	}
	b.WriteString(": " + e.Problem)
	if e.Panic != "" {
		b.WriteString("; bbolt panicked: " + e.Panic)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrCorrupt) hold.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// restore is the advice every refusal to open ends with.
const restore = "restore it and its key from a backup"

// checkFile refuses a file bbolt would fault on or silently replace:
// empty beside its key, cut short, or with no valid meta page. It runs
// before bbolt opens the file, without its lock: it reads the meta page
// before the size, so a writer growing the file cannot make it look cut.
func checkFile(path, keyFile string, readOnly bool) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, kerr := os.Stat(keyFile); kerr == nil {
			// A new database would sign a new log with the old key.
			return &CorruptError{Path: path, Problem: fmt.Sprintf("it does not exist but its key %s does: the database was moved or deleted; %s, or move the key away to start a new database", keyFile, restore)}
		}
	}
	if err != nil {
		return nil // a new database, or an error bbolt reports
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		return nil
	}
	bad := func(format string, args ...any) error {
		return &CorruptError{Path: path, Problem: fmt.Sprintf(format, args...)}
	}
	if info.Size() == 0 {
		if _, err := os.Stat(keyFile); err == nil {
			return bad("it is empty but its key %s exists: the database was lost or truncated; %s", keyFile, restore)
		}
		if readOnly {
			return bad("it is empty")
		}
		return nil // new: bbolt writes its first pages
	}
	m, err := readMeta(f, info.Size())
	if err != nil {
		return bad("it holds %d bytes and is not a bbolt database, or is damaged: %v; %s", info.Size(), err, restore)
	}
	if info, err = f.Stat(); err != nil {
		return nil
	}
	if size, want := info.Size(), int64(m.hwm)*m.pageSize; size < want {
		return bad("it holds %d bytes, but its meta page %d says its data runs to %d (%d pages of %d): the file was truncated; %s",
			size, m.page, want, m.hwm, m.pageSize, restore)
	} else if size%m.pageSize != 0 {
		return bad("it holds %d bytes, not a whole number of %d-byte pages: it was cut or appended to; %s", size, m.pageSize, restore)
	}
	return nil
}

// checkTree walks the page tree of the open file (bbolt holds its lock,
// so no writer changes it) and refuses a tree that reaches a page twice
// or reuses a free one. Damage within a page is left to the reads that
// meet it.
func checkTree(path string) (err error) {
	f, err := openPages(path)
	if err != nil {
		return fmt.Errorf("check pages: %w", err)
	}
	defer f.Close()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = &CorruptError{Path: path, Problem: "the page walk failed (was the file cut while open?)", Panic: fmt.Sprint(r)}
		}
	}()
	m, err := readMeta(f, f.size)
	if err == nil && f.size < int64(m.hwm)*m.pageSize {
		err = fmt.Errorf("it holds %d bytes, but its meta page says its data runs to %d: it was truncated", f.size, int64(m.hwm)*m.pageSize)
	}
	if err != nil {
		return &CorruptError{Path: path, Problem: err.Error() + "; " + restore}
	}
	w := newWalker(f, m.pageSize, m.hwm)
	if f.mapped != nil {
		w.release = func() { releaseMap(f.mapped) }
	}
	w.walk(m.root)
	w.checkFreelist(m.freelist)
	if dm := w.shared; dm != nil {
		return &CorruptError{Path: path, Bucket: dm.bucket, Problem: fmt.Sprintf("%s: bbolt would loop or overwrite data in use; %s", dm, restore)}
	}
	return nil
}

// openBolt is bbolt.Open with a panic or fault (bbolt reads the freelist
// while opening) turned into an error.
func openBolt(path string, o *bbolt.Options) (b *bbolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, &CorruptError{Path: path, Problem: "bbolt could not open it; " + restore, Panic: fmt.Sprint(r)}
		}
	}()
	return bbolt.Open(path, 0o600, o)
}

// guard is the state DB.run keeps about panics.
type guard struct {
	// stuck is set when bbolt panicked while holding its locks (starting
	// or rolling back a transaction): waiting for them would hang, so
	// writes, or all transactions when stuckAll, fail at once instead.
	stuck    atomic.Pointer[CorruptError]
	stuckAll atomic.Bool
	// mu guards the last diagnosis, so a damaged page that every request
	// meets is walked to once per file state.
	mu      sync.Mutex
	lastKey [2]int64
	last    *CorruptError
}

// run runs fn in a bbolt transaction and turns a panic in it — one of
// bbolt's assertions on a damaged page, or a memory fault on a page past
// the file's end, which SetPanicOnFault turns into a panic for this
// goroutine — into a CorruptError naming the damaged bucket. bbolt's
// View and Update roll the transaction back on a panic, releasing its
// locks, so the next call goes on.
func (d *DB) run(write bool, fn func(tx *bbolt.Tx) error) (err error) {
	if e := d.guard.stuck.Load(); e != nil && (write || d.guard.stuckAll.Load()) {
		return e
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	var tx *bbolt.Tx
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		e := d.diagnose()
		e.Panic = fmt.Sprint(r)
		if f, ok := r.(interface{ Addr() uintptr }); ok {
			e.Panic = fmt.Sprintf("a memory fault at %#x", f.Addr())
		}
		if tx == nil || tx.DB() != nil {
			stuck := *e
			stuck.Problem += "; bbolt may still hold its locks: restart once the file is restored"
			d.guard.stuckAll.Store(d.guard.stuckAll.Load() || tx == nil)
			d.guard.stuck.Store(&stuck)
		}
		err = e
	}()
	txn := d.bolt.View
	if write {
		txn = d.bolt.Update
	}
	return txn(func(t *bbolt.Tx) error {
		tx = t
		return fn(t)
	})
}

// diagnose finds what made a transaction panic: it walks the page tree
// from the file and names the buckets with damaged pages. The walk reads
// the latest committed tree without a transaction, so a concurrent write
// can mislead it; it only words an error that already happened.
func (d *DB) diagnose() (e *CorruptError) {
	e = &CorruptError{Path: d.path, Problem: "no damaged page found"}
	defer func() {
		if r := recover(); r != nil {
			e.Problem = fmt.Sprintf("the page walk failed too: %v", r)
		}
	}()
	f, err := openPages(d.path)
	if err != nil {
		e.Problem = err.Error()
		return e
	}
	defer f.Close()
	m, err := readMeta(f, f.size)
	if err != nil {
		e.Problem = err.Error()
		return e
	}
	key := [2]int64{int64(m.txid), f.size}
	d.guard.mu.Lock()
	defer d.guard.mu.Unlock()
	if d.guard.last != nil && d.guard.lastKey == key {
		c := *d.guard.last
		return &c
	}
	if want := int64(m.hwm) * m.pageSize; f.size < want {
		e.Problem = fmt.Sprintf("the file holds %d bytes, but its meta page says its data runs to %d: it was truncated", f.size, want)
	} else if found := newWalker(f, m.pageSize, m.hwm).walk(m.root); len(found) > 0 {
		e.Bucket, e.Problem = found[0].bucket, found[0].String()
		if len(found) > 1 {
			e.Problem += fmt.Sprintf(" (and %d more problems)", len(found)-1)
		}
	}
	c := *e
	d.guard.lastKey, d.guard.last = key, &c
	return e
}

// walkTx walks the page tree tx reads, from the file, and returns the
// damage found as errors (Check's first step).
func (d *DB) walkTx(tx *bbolt.Tx) []error {
	f, err := openPages(d.path)
	if err != nil {
		return []error{fmt.Errorf("check pages: %w", err)}
	}
	defer f.Close()
	if f.size < tx.Size() {
		return []error{&CorruptError{Path: d.path, Problem: fmt.Sprintf("the file holds %d bytes, but its meta page says its data runs to %d: it was truncated", f.size, tx.Size())}}
	}
	ps := int64(tx.DB().Info().PageSize)
	w := newWalker(f, ps, uint64(tx.Size()/ps))
	var errs []error
	for _, dm := range w.walk(uint64(tx.Cursor().Bucket().Root())) {
		errs = append(errs, &CorruptError{Path: d.path, Bucket: dm.bucket, Problem: dm.String()})
	}
	return errs
}
