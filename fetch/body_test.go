package fetch

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadBodyHint reads bodies with every kind of Content-Length hint:
// right, missing, too small, too large (a server that lies), and over the
// limit. The bytes come out the same, and a body over the limit is
// refused whatever the hint says.
func TestReadBodyHint(t *testing.T) {
	page := bytes.Repeat([]byte("policy text "), 3000) // 36,000 bytes
	n := int64(len(page))
	tests := []struct {
		name     string
		encoding string
		size     int64
		limit    int64
		wantErr  error
	}{
		{"length given", "", n, 1 << 20, nil},
		{"length unknown", "", -1, 1 << 20, nil},
		{"length too small", "", 100, 1 << 20, nil},
		{"length too large", "", 10 * n, 1 << 20, nil},
		{"identity", "Identity", n, 1 << 20, nil},
		{"exactly the limit", "", n, n, nil},
		{"over the limit", "", n, n - 1, ErrTooLarge},
		{"over the limit, length unknown", "", -1, n - 1, ErrTooLarge},
		{"over the limit, lying length", "", 10, n - 1, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// HalfReader: every read short, as a network's are.
			var bufs bodyBuffers
			for range 2 { // the second time with a buffer from the pool, when the length is unknown
				got, err := readBody(iotest.HalfReader(bytes.NewReader(page)), tt.encoding, tt.limit, tt.size, &bufs)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got error %v, want %v", err, tt.wantErr)
				}
				if err == nil && !bytes.Equal(got, page) {
					t.Fatalf("got %d bytes, not the page's %d", len(got), len(page))
				}
			}
		})
	}
	if _, err := readBody(iotest.ErrReader(io.ErrUnexpectedEOF), "", 1<<20, 10, &bodyBuffers{}); !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "read body") {
		t.Errorf("a failing read: got %v", err)
	}
}

// TestReadBodyOneAllocation: a body is read into one allocation of its
// size: directly when its length is known, else into a pooled buffer it
// is copied out of (io.ReadAll allocates about three times a 34 KB
// body). An empty body is empty, not nil, as io.ReadAll's.
func TestReadBodyOneAllocation(t *testing.T) {
	page := bytes.Repeat([]byte("policy text "), 3000)
	for _, size := range []int64{int64(len(page)), -1} {
		var bufs bodyBuffers
		r := bytes.NewReader(page)
		var pooled bytes.Buffer // testing.AllocsPerRun runs once before counting: the pool then holds one
		bufs.pool.Put(&pooled)
		allocs := testing.AllocsPerRun(20, func() {
			r.Reset(page)
			body, err := bufs.readAll(r, bodyHint("", 1<<20, size))
			if err != nil || len(body) != len(page) {
				t.Fatalf("%d bytes, %v", len(body), err)
			}
		})
		if allocs > 1 {
			t.Errorf("length %d: %v allocations to read a body, want 1", size, allocs)
		}
	}
	for _, size := range []int64{0, -1} {
		if body, err := (&bodyBuffers{}).readAll(bytes.NewReader(nil), bodyHint("", 1<<20, size)); err != nil || body == nil || len(body) != 0 {
			t.Errorf("length %d: an empty body came out as %#v, %v", size, body, err)
		}
	}
}
