package store

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// bbolt's file format (go.etcd.io/bbolt v1.5.0, internal/common, in the
// machine's byte order). Every page starts with a 16-byte header: page
// id (8), flags (2), element count (2), overflow page count (4). Pages 0
// and 1 are meta pages: magic, version, page size, flags (4 bytes each),
// the root bucket (page id, sequence), the freelist's page id, the
// high-water mark (pages in use), the transaction id, and an FNV-64a
// checksum of the meta fields before it. Branch elements are (key
// position, key size, child page id), leaf elements (flags, position,
// key size, value size), positions counted from the element itself. A
// bucket is a leaf value with flag 1: its root page id and sequence,
// then, when the root page id is 0, the bucket's own leaf page inline.
const (
	pageHeaderSize = 16
	elementSize    = 16
	metaSize       = 64 // meta fields from the magic to the checksum's end

	boltMagic   uint32 = 0xED0CDAED
	boltVersion uint32 = 2

	branchPageFlag   = 0x01
	leafPageFlag     = 0x02
	freelistPageFlag = 0x10
	bucketLeafFlag   = 0x01

	noFreelist = ^uint64(0)
	// maxProblems bounds the damage a walk lists.
	maxProblems = 20
)

var ne = binary.NativeEndian

// boltMeta is the part of a bbolt meta page the checks use.
type boltMeta struct {
	page                      int // 0 or 1
	pageSize                  int64
	root, freelist, hwm, txid uint64
}

// parseMeta reads the meta page at the start of b.
func parseMeta(b []byte) (boltMeta, error) {
	if len(b) < pageHeaderSize+metaSize {
		return boltMeta{}, errors.New("cut short")
	}
	m := b[pageHeaderSize:]
	if ne.Uint32(m) != boltMagic {
		return boltMeta{}, errors.New("no bbolt magic number")
	}
	if v := ne.Uint32(m[4:]); v != boltVersion {
		return boltMeta{}, fmt.Errorf("format version %d, not %d", v, boltVersion)
	}
	h := fnv.New64a()
	h.Write(m[:metaSize-8])
	if h.Sum64() != ne.Uint64(m[metaSize-8:]) {
		return boltMeta{}, errors.New("checksum mismatch")
	}
	return boltMeta{pageSize: int64(ne.Uint32(m[8:])), root: ne.Uint64(m[16:]), freelist: ne.Uint64(m[32:]),
		hwm: ne.Uint64(m[40:]), txid: ne.Uint64(m[48:])}, nil
}

// readMeta picks the meta page bbolt would use (the valid one with the
// higher transaction id) from a file of size bytes, and checks that it
// is consistent with itself. Like bbolt it looks for the second meta
// page at each page size from 1 KiB when the first is damaged.
func readMeta(r io.ReaderAt, size int64) (boltMeta, error) {
	buf := make([]byte, pageHeaderSize+metaSize)
	read := func(off int64) (boltMeta, error) {
		if _, err := r.ReadAt(buf, off); err != nil {
			return boltMeta{}, fmt.Errorf("read: %w", err)
		}
		return parseMeta(buf)
	}
	m0, err0 := read(0)
	m1, err1 := boltMeta{}, errors.New("not found at any page size")
	if err0 == nil {
		m1, err1 = read(m0.pageSize)
	} else {
		for ps := int64(1024); ps <= 1<<24 && ps+int64(len(buf)) <= size; ps <<= 1 {
			if m, err := read(ps); err == nil && m.pageSize == ps {
				m1, err1 = m, nil
				break
			}
		}
	}
	m1.page = 1
	var m boltMeta
	switch {
	case err0 != nil && err1 != nil:
		return m, fmt.Errorf("no valid meta page (page 0: %v; page 1: %v)", err0, err1)
	case err1 != nil || err0 == nil && m0.txid > m1.txid:
		m = m0
	default:
		m = m1
	}
	switch ps := m.pageSize; {
	case ps < 1024 || ps > 1<<24 || ps&(ps-1) != 0:
		return m, fmt.Errorf("meta page %d: page size %d", m.page, ps)
	case err0 == nil && err1 == nil && m0.pageSize != m1.pageSize:
		return m, fmt.Errorf("the meta pages disagree on the page size (%d, %d)", m0.pageSize, m1.pageSize)
	case m.root < 2 || m.root >= m.hwm:
		return m, fmt.Errorf("meta page %d: root page %d outside pages 2..%d", m.page, m.root, m.hwm-1)
	case m.freelist != noFreelist && (m.freelist < 2 || m.freelist >= m.hwm):
		return m, fmt.Errorf("meta page %d: freelist page %d outside pages 2..%d", m.page, m.freelist, m.hwm-1)
	}
	return m, nil
}

// pageFile is a database file opened for a page walk: mapped into memory
// where the platform allows (a walk over many pages then makes no system
// call per page), else read with ReadAt. A walk of a mapped file that
// shrinks under it faults: walk it under debug.SetPanicOnFault.
type pageFile struct {
	io.ReaderAt
	size   int64
	f      *os.File
	mapped []byte
	// pages counts the pages read from the mapping since it was last
	// dropped from the resident set, last the latest one's offset: a
	// walk drops it every dropEvery pages (walkDropPages), so that
	// opening a file does not leave the process holding all of it
	// (mapped.go).
	pages, dropEvery int
	last             int64
}

// walkDropPages is how many pages a walk reads from its mapping between
// two drops. The kernel maps up to 16 neighbours of each page faulted in
// that are in the page cache (fault-around), and a walk of a file grown
// over months jumps all over it: 64 pages leave at most about 4 MiB
// resident.
const walkDropPages = 64

// touch notes a read of the page at base from the mapping.
func (p *pageFile) touch(base int64) {
	if base == p.last {
		return
	}
	p.last = base
	if p.pages++; p.pages >= p.dropEvery {
		p.pages = 0
		_ = dropWalked(p.mapped) // only memory is at stake
	}
}

func openPages(path string) (*pageFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	p := &pageFile{ReaderAt: f, size: info.Size(), f: f, dropEvery: walkDropPages}
	if m, err := mapFile(f, p.size); err == nil {
		p.mapped, p.ReaderAt = m, bytes.NewReader(m)
	}
	return p, nil
}

func (p *pageFile) Close() error {
	if p.mapped != nil {
		unmapFile(p.mapped)
	}
	return p.f.Close()
}

// damage is one problem a page walk found.
type damage struct {
	// bucket is the path of the bucket whose tree holds the page: names
	// joined by "/", keys that are not printable in hex; "" for the
	// file's root, which holds the top-level buckets.
	bucket string
	page   uint64
	what   string
	// shared marks a page reached twice, or in use and on the freelist:
	// bbolt would loop on such a tree, or overwrite live data when it
	// reuses the page.
	shared bool
}

// String says what is wrong with which page; the bucket is left to the
// CorruptError that carries it, except for the file's root tree.
func (dm damage) String() string {
	if dm.bucket == "" {
		return fmt.Sprintf("page %d (the tree of top-level buckets): %s", dm.page, dm.what)
	}
	return fmt.Sprintf("page %d: %s", dm.page, dm.what)
}

// walker checks the page tree of a bbolt file by reading the file, not
// the memory map: every page id against the high-water mark, each page's
// header, and each element against its page's bounds. It never follows a
// page twice, so a cycle ends the walk instead of looping. These are the
// checks that keep bbolt from reading outside the file, which faults,
// and from looping; the order of keys and the freelist's accounting are
// left to bbolt's own Tx.Check, which is safe to run once this walk
// found nothing.
type walker struct {
	r     io.ReaderAt
	ps    int64
	hwm   uint64
	seen  []uint64 // bitset of the pages reached
	found []damage // the first maxProblems problems
	// shared is the first page reached twice or in use and free, kept
	// even past maxProblems: Open refuses the file for it.
	shared *damage
	// visited, when set, is told each page reached and its bucket (the
	// locality benchmark counts the pages a round rewrites by bucket).
	visited func(bucket string, page uint64)
}

// job is a page to visit and the bucket it belongs to.
type job struct {
	bucket string
	page   uint64
}

func newWalker(r io.ReaderAt, pageSize int64, hwm uint64) *walker {
	return &walker{r: r, ps: pageSize, hwm: hwm, seen: make([]uint64, hwm/64+1)}
}

// walk visits the tree under the root page and every bucket below it,
// each page once, however many problems it finds.
func (w *walker) walk(root uint64) []damage {
	jobs := []job{{"", root}}
	for len(jobs) > 0 {
		j := jobs[len(jobs)-1]
		jobs = w.visit(j, jobs[:len(jobs)-1])
	}
	return w.found
}

func (w *walker) add(j job, shared bool, format string, args ...any) {
	if len(w.found) >= maxProblems && (!shared || w.shared != nil) {
		return
	}
	dm := damage{bucket: j.bucket, page: j.page, what: fmt.Sprintf(format, args...), shared: shared}
	if shared && w.shared == nil {
		w.shared = &dm
	}
	if len(w.found) < maxProblems {
		w.found = append(w.found, dm)
	}
}

// mark records page id as reached and says whether it was already.
func (w *walker) mark(id uint64) bool {
	bit := uint64(1) << (id % 64)
	was := w.seen[id/64]&bit != 0
	w.seen[id/64] |= bit
	return was
}

// visit checks one page and returns jobs with its children added.
func (w *walker) visit(j job, jobs []job) []job {
	if j.page < 2 || j.page >= w.hwm {
		w.add(j, false, "outside the file's pages 2..%d", w.hwm-1)
		return jobs
	}
	p := &pageBytes{r: w.r, base: int64(j.page) * w.ps, span: w.ps}
	hdr, err := p.at(0, pageHeaderSize)
	if err != nil {
		w.add(j, false, "unreadable: %v", err)
		return jobs
	}
	id, flags, count, overflow := ne.Uint64(hdr), ne.Uint16(hdr[8:]), int64(ne.Uint16(hdr[10:])), uint64(ne.Uint32(hdr[12:]))
	switch {
	case id != j.page:
		w.add(j, false, "its header says page %d", id)
		return jobs
	case j.page+overflow >= w.hwm:
		w.add(j, false, "its %d overflow pages run past page %d", overflow, w.hwm-1)
		return jobs
	}
	for o := range overflow + 1 {
		if w.mark(j.page + o) {
			w.add(j, true, "page %d is reached twice (a cycle, or two parents)", j.page+o)
			return jobs
		}
		if w.visited != nil {
			w.visited(j.bucket, j.page+o)
		}
	}
	p.span = int64(overflow+1) * w.ps
	switch flags {
	case branchPageFlag:
		return w.branch(j, p, count, jobs)
	case leafPageFlag:
		return w.leaf(j, p, count, jobs)
	}
	w.add(j, false, "not a branch or leaf page (flags %#x)", flags)
	return jobs
}

// branch checks a branch page's elements and queues its children.
func (w *walker) branch(j job, p *pageBytes, count int64, jobs []job) []job {
	if count == 0 {
		w.add(j, false, "an empty branch page")
		return jobs
	}
	elems, err := p.at(pageHeaderSize, count*elementSize)
	if err != nil {
		w.add(j, false, "%d elements: %v", count, err)
		return jobs
	}
	var bad badElements
	for i := range count {
		e := elems[i*elementSize:]
		off := pageHeaderSize + i*elementSize + int64(ne.Uint32(e))
		if ksize := int64(ne.Uint32(e[4:])); ksize == 0 || !p.holds(off, ksize) {
			bad.add(i, "a key of %d bytes at %d, outside the page's %d bytes", ksize, off, p.span)
			continue
		}
		jobs = append(jobs, job{j.bucket, ne.Uint64(e[8:])})
	}
	bad.report(w, j)
	return jobs
}

// badElements keeps the first damaged element of a page and counts the
// rest, so a damaged element count makes one problem, not hundreds.
type badElements struct {
	first string
	n     int
}

func (b *badElements) add(i int64, format string, args ...any) {
	if b.n == 0 {
		b.first = fmt.Sprintf("element %d: ", i) + fmt.Sprintf(format, args...)
	}
	b.n++
}

func (b *badElements) report(w *walker, j job) {
	switch {
	case b.n == 1:
		w.add(j, false, "%s", b.first)
	case b.n > 1:
		w.add(j, false, "%s (and %d more damaged elements)", b.first, b.n-1)
	}
}

// leaf checks a leaf page's elements (an inline bucket's page too) and
// queues the buckets it holds.
func (w *walker) leaf(j job, p *pageBytes, count int64, jobs []job) []job {
	elems, err := p.at(pageHeaderSize, count*elementSize)
	if err != nil {
		w.add(j, false, "%d elements: %v", count, err)
		return jobs
	}
	var bad badElements
	for i := range count {
		e := elems[i*elementSize:]
		off := pageHeaderSize + i*elementSize + int64(ne.Uint32(e[4:]))
		ksize, vsize := int64(ne.Uint32(e[8:])), int64(ne.Uint32(e[12:]))
		if ksize == 0 || !p.holds(off, ksize+vsize) {
			bad.add(i, "%d+%d bytes at %d, outside the page's %d bytes", ksize, vsize, off, p.span)
			continue
		}
		if ne.Uint32(e)&bucketLeafFlag == 0 {
			continue
		}
		if vsize < 16 || vsize > 16+w.ps {
			bad.add(i, "a bucket of %d bytes", vsize)
			continue
		}
		key, err := p.at(off, ksize)
		var val []byte
		if err == nil {
			val, err = p.at(off+ksize, vsize)
		}
		if err != nil {
			bad.add(i, "%v", err)
			continue
		}
		sub := job{bucket: joinBucket(j.bucket, key), page: ne.Uint64(val)}
		if sub.page != 0 {
			jobs = append(jobs, sub)
			continue
		}
		inline := &pageBytes{buf: val[16:], span: vsize - 16}
		if len(inline.buf) < pageHeaderSize || ne.Uint16(inline.buf[8:]) != leafPageFlag {
			w.add(sub, false, "an inline bucket without a leaf page")
			continue
		}
		jobs = w.leaf(sub, inline, int64(ne.Uint16(inline.buf[10:])), jobs)
	}
	bad.report(w, j)
	return jobs
}

// joinBucket names a nested bucket: its key as text when printable,
// else in hex.
func joinBucket(parent string, key []byte) string {
	name := string(key)
	for _, c := range key {
		if c < 0x20 || c > 0x7e || c == '/' {
			name = hex.EncodeToString(key)
			break
		}
	}
	if parent == "" {
		return name
	}
	return parent + "/" + name
}

// pageBytes reads a page (with its overflow pages) of span bytes at
// base in the file, or holds an inline page in buf.
type pageBytes struct {
	r    io.ReaderAt
	base int64
	span int64
	buf  []byte // the bytes read so far, from base
}

// holds says whether n bytes at off lie within the page.
func (p *pageBytes) holds(off, n int64) bool {
	return off >= 0 && n >= 0 && off+n <= p.span
}

// at returns n bytes at off within the page. Bytes that start within
// or just after what was read so far extend it (a page's header and
// elements come in one read); others are read on their own.
func (p *pageBytes) at(off, n int64) ([]byte, error) {
	if !p.holds(off, n) {
		return nil, fmt.Errorf("%d bytes at %d lie outside the page's %d", n, off, p.span)
	}
	if off+n <= int64(len(p.buf)) {
		return p.buf[off : off+n], nil
	}
	if p.r == nil {
		return nil, io.ErrUnexpectedEOF
	}
	if f, ok := p.r.(*pageFile); ok && f.mapped != nil { // no copy
		f.touch(p.base)
		if end := p.base + off + n; end <= int64(len(f.mapped)) {
			return f.mapped[p.base+off : end], nil
		}
		return nil, fmt.Errorf("read: %w", io.EOF)
	}
	if off <= int64(len(p.buf)) && off+n <= 1<<20 {
		buf := make([]byte, min(p.span, max(off+n, 4096)))
		if _, err := p.r.ReadAt(buf, p.base); err != nil {
			return nil, fmt.Errorf("read: %w", err)
		}
		p.buf = buf
		return buf[off : off+n], nil
	}
	b := make([]byte, n)
	if _, err := p.r.ReadAt(b, p.base+off); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	return b, nil
}

// checkFreelist reads the freelist page and checks that the pages it
// lists lie within the file and are not in use by the tree the walk
// reached (bbolt would hand them out again and overwrite live data). Its
// problems all count as shared.
func (w *walker) checkFreelist(id uint64) {
	if id == noFreelist {
		return
	}
	j := job{bucket: "", page: id}
	p := &pageBytes{r: w.r, base: int64(id) * w.ps, span: w.ps}
	hdr, err := p.at(0, pageHeaderSize+8)
	if err != nil {
		w.add(j, true, "the freelist is unreadable: %v", err)
		return
	}
	hid, flags, overflow := ne.Uint64(hdr), ne.Uint16(hdr[8:]), uint64(ne.Uint32(hdr[12:]))
	start, count := int64(0), int64(ne.Uint16(hdr[10:]))
	if count == 0xFFFF { // the count did not fit: it is the first entry
		start, count = 1, int64(ne.Uint64(hdr[16:]))
	}
	switch {
	case hid != id || flags != freelistPageFlag:
		w.add(j, true, "not the freelist page (id %d, flags %#x)", hid, flags)
		return
	case id+overflow >= w.hwm:
		w.add(j, true, "the freelist's %d overflow pages run past page %d", overflow, w.hwm-1)
		return
	}
	p.span = int64(overflow+1) * w.ps
	if count < 0 || count > p.span/8 {
		w.add(j, true, "the freelist claims %d entries", count)
		return
	}
	ids, err := p.at(pageHeaderSize+start*8, count*8)
	if err != nil {
		w.add(j, true, "the freelist's %d entries: %v", count, err)
		return
	}
	for o := range overflow + 1 {
		if w.mark(id + o) {
			w.add(j, true, "the freelist's page %d is also in the tree", id+o)
		}
	}
	for i := range count {
		free := ne.Uint64(ids[i*8:])
		switch {
		case free < 2 || free >= w.hwm:
			w.add(j, true, "the freelist lists page %d, outside pages 2..%d", free, w.hwm-1)
		case w.seen[free/64]&(1<<(free%64)) != 0:
			w.add(j, true, "the freelist lists page %d, which is in use", free)
		}
	}
}
