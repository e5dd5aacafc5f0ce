package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// The primitives of the compact fetch records (fetchrec.go): varints,
// length-prefixed strings, header maps and header deltas. Decoding never
// trusts a length: every count is checked against the bytes left, so
// corrupt input ends in an error, never a panic or a huge allocation.

// errShort is the decoding error for input that ends early.
var errShort = errors.New("truncated")

// encoder appends to a byte slice.
type encoder struct{ b []byte }

func (e *encoder) byte(c byte)      { e.b = append(e.b, c) }
func (e *encoder) uvarint(x uint64) { e.b = binary.AppendUvarint(e.b, x) }
func (e *encoder) varint(x int64)   { e.b = binary.AppendVarint(e.b, x) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) time(t time.Time) { e.varint(t.Unix()); e.uvarint(uint64(t.Nanosecond())) }
func (e *encoder) raw(p []byte)     { e.b = append(e.b, p...) }

// decoder reads what encoder wrote. The first error sticks; later reads
// return zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, a ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, a...)
	}
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.fail("%w", errShort)
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("%w varint", errShort)
		return 0
	}
	d.b = d.b[n:]
	return x
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	x, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("%w varint", errShort)
		return 0
	}
	d.b = d.b[n:]
	return x
}

// int is a varint that must fit an int.
func (d *decoder) int() int {
	x := d.varint()
	if int64(int(x)) != x {
		d.fail("integer %d out of range", x)
		return 0
	}
	return int(x)
}

// count is a uvarint count of items of at least one byte each.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("count %d with %d bytes left", n, len(d.b))
		return 0
	}
	return int(n)
}

func (d *decoder) fixed(n int) []byte {
	if d.err != nil || len(d.b) < n {
		d.fail("%w: %d bytes wanted", errShort, n)
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) str() string { return string(d.fixed(d.count())) }

func (d *decoder) time() time.Time {
	sec, nsec := d.varint(), d.uvarint()
	if nsec >= 1e9 {
		d.fail("nanoseconds %d out of range", nsec)
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec)).UTC()
	d.checkTime(t)
	return t
}

// checkTime fails on a time JSON cannot write (a year outside 0–9999):
// the log leaf of a fetch holding one could not be encoded.
func (d *decoder) checkTime(t time.Time) {
	if y := t.Year(); y < 0 || y > 9999 {
		d.fail("time %d-… out of range", y)
	}
}

// done reports the first error, or trailing bytes.
func (d *decoder) done() error {
	if d.err == nil && len(d.b) > 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.b))
	}
	return d.err
}

// A header value is a uvarint v then, when v is even, a string of v/2
// bytes; when v is odd (only where a reference time is given), an HTTP
// date (http.TimeFormat) of the reference second plus zigzag(v>>1)
// seconds — a Date, Expires or Last-Modified in one or two bytes.

func (e *encoder) value(s string, ref *time.Time) {
	if ref != nil && len(s) == len(http.TimeFormat) {
		if t, err := time.Parse(http.TimeFormat, s); err == nil && t.Format(http.TimeFormat) == s {
			delta := t.Unix() - ref.Unix()
			e.uvarint(uint64(delta<<1^delta>>63)<<1 | 1)
			return
		}
	}
	e.uvarint(uint64(len(s)) << 1)
	e.b = append(e.b, s...)
}

func (d *decoder) value(ref *time.Time) string {
	v := d.uvarint()
	if v&1 == 0 {
		n := v >> 1
		if n > uint64(len(d.b)) {
			d.fail("value of %d bytes with %d left", n, len(d.b))
			return ""
		}
		return string(d.fixed(int(n)))
	}
	if ref == nil {
		d.fail("date value without a reference time")
		return ""
	}
	z := v >> 1
	delta := int64(z>>1) ^ -int64(z&1)
	if delta > 1<<40 || delta < -(1<<40) {
		d.fail("date offset %d out of range", delta)
		return ""
	}
	return time.Unix(ref.Unix()+delta, 0).UTC().Format(http.TimeFormat)
}

// values encodes a header's values: a count + 1 (0 for a nil slice, which
// JSON writes as null, not []) then each value.
func (e *encoder) values(vs []string, ref *time.Time) {
	if vs == nil {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(len(vs)) + 1)
	for _, v := range vs {
		e.value(v, ref)
	}
}

func (d *decoder) values(ref *time.Time) []string {
	n := d.uvarint()
	if n == 0 || d.err != nil {
		return nil
	}
	if n-1 > uint64(len(d.b)) {
		d.fail("%d values with %d bytes left", n-1, len(d.b))
		return nil
	}
	vs := make([]string, n-1)
	for i := range vs {
		vs[i] = d.value(ref)
	}
	return vs
}

// header encodes a whole header map, names sorted.
func (e *encoder) header(h map[string][]string) {
	e.uvarint(uint64(len(h)))
	for _, name := range sortedNames(h) {
		e.str(name)
		e.values(h[name], nil)
	}
}

func (d *decoder) header() map[string][]string {
	n := d.count()
	if n == 0 {
		return nil
	}
	h := make(map[string][]string, n)
	prev := ""
	for i := range n {
		name := d.str()
		if d.err == nil && i > 0 && name <= prev {
			d.fail("header names out of order (%q after %q)", name, prev)
		}
		prev = name
		h[name] = d.values(nil)
	}
	return h
}

// headerDelta encodes h as changes to base: the names whose values differ
// or are new, with their values, then the names of base h lacks. A name
// in base is written as its index in base's sorted names plus one, any
// other as 0 and the name.
func (e *encoder) headerDelta(h, base map[string][]string, ref *time.Time) {
	names := sortedNames(base)
	index := make(map[string]int, len(names))
	for i, n := range names {
		index[n] = i + 1
	}
	name := func(n string) {
		if i, ok := index[n]; ok {
			e.uvarint(uint64(i))
			return
		}
		e.uvarint(0)
		e.str(n)
	}
	var changed, removed []string
	for _, n := range sortedNames(h) {
		if old, ok := base[n]; !ok || !sameValues(old, h[n]) {
			changed = append(changed, n)
		}
	}
	for _, n := range names {
		if _, ok := h[n]; !ok {
			removed = append(removed, n)
		}
	}
	e.uvarint(uint64(len(changed)))
	for _, n := range changed {
		name(n)
		e.values(h[n], ref)
	}
	e.uvarint(uint64(len(removed)))
	for _, n := range removed {
		name(n)
	}
}

// headerDelta applies a delta to base (which it does not modify).
func (d *decoder) headerDelta(base map[string][]string, ref *time.Time) map[string][]string {
	names := sortedNames(base)
	name := func() string {
		i := d.uvarint()
		if i == 0 {
			return d.str()
		}
		if i > uint64(len(names)) {
			d.fail("header name %d of %d", i, len(names))
			return ""
		}
		return names[i-1]
	}
	h := cloneHeader(base)
	if h == nil {
		h = map[string][]string{}
	}
	for range d.count() {
		n := name()
		h[n] = d.values(ref)
	}
	for range d.count() {
		delete(h, name())
	}
	if len(h) == 0 {
		return nil
	}
	return h
}

func sortedNames(h map[string][]string) []string {
	names := make([]string, 0, len(h))
	for n := range h {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// sameValues compares two headers' values, nil and empty apart.
func sameValues(a, b []string) bool {
	return (a == nil) == (b == nil) && slices.Equal(a, b)
}

// sameHeader compares header maps as their JSON would: nil and empty maps
// alike, nil and empty value lists apart.
func sameHeader(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for n, va := range a {
		vb, ok := b[n]
		if !ok || !sameValues(va, vb) {
			return false
		}
	}
	return true
}

// cloneHeader copies a header map and its value lists.
func cloneHeader(h map[string][]string) map[string][]string {
	if h == nil {
		return nil
	}
	out := make(map[string][]string, len(h))
	for n, vs := range h {
		out[n] = slices.Clone(vs)
	}
	return out
}
