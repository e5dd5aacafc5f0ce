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
			got, err := readBody(iotest.HalfReader(bytes.NewReader(page)), tt.encoding, tt.limit, tt.size)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if err == nil && !bytes.Equal(got, page) {
				t.Fatalf("got %d bytes, not the page's %d", len(got), len(page))
			}
		})
	}
	if _, err := readBody(iotest.ErrReader(io.ErrUnexpectedEOF), "", 1<<20, 10); !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "read body") {
		t.Errorf("a failing read: got %v", err)
	}
}

// TestReadBodyOneAllocation: a body whose length is known is read into
// one buffer, not grown from 512 bytes (as io.ReadAll does).
func TestReadBodyOneAllocation(t *testing.T) {
	page := bytes.Repeat([]byte("policy text "), 3000)
	r := bytes.NewReader(page)
	allocs := testing.AllocsPerRun(20, func() {
		r.Reset(page)
		if _, err := readAll(r, bodyHint("", 1<<20, int64(len(page)))); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 1 {
		t.Errorf("%v allocations to read a body of known length, want 1", allocs)
	}
}
