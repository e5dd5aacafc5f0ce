package fetch

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

// readBody reads a response body, undoing its Content-Encoding, and fails
// with ErrTooLarge once more than limit bytes come out — so a small gzip
// bomb costs at most limit bytes of memory. size is the Content-Length
// (-1: unknown); bufs holds the read buffers of bodies of unknown length.
func readBody(r io.Reader, encoding string, limit, size int64, bufs *bodyBuffers) ([]byte, error) {
	dec, err := decoder(r, encoding)
	if err != nil {
		return nil, err
	}
	body, err := bufs.readAll(io.LimitReader(dec, limit+1), bodyHint(encoding, limit, size))
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w (over %d bytes)", ErrTooLarge, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return body, nil
}

// bodyHint is the length of a body the response says it sends as is
// (within limit), else -1.
func bodyHint(encoding string, limit, size int64) int {
	if e := strings.ToLower(strings.TrimSpace(encoding)); size < 0 || (e != "" && e != "identity") {
		return -1
	}
	return int(min(size, limit))
}

// bodyBuffers are the buffers bodies of unknown length (chunked, or
// compressed) are read into and copied out of at their size: io.ReadAll
// allocates about three times a 34 KB body in the pieces it reads into.
// Buffers over maxPooledBuffer are not kept, so what the pool holds is
// bounded by the workers times that.
type bodyBuffers struct{ pool sync.Pool }

// maxPooledBuffer is the largest read buffer kept for the next body.
const maxPooledBuffer = 1 << 20

// readAll is io.ReadAll, into one buffer of hint+1 bytes when the length
// is known (hint ≥ 0: the +1 is room for the read that sees the end),
// else through a pooled buffer. The body is never nil.
func (p *bodyBuffers) readAll(r io.Reader, hint int) ([]byte, error) {
	if hint >= 0 {
		return readInto(r, make([]byte, 0, hint+1))
	}
	buf, _ := p.pool.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	_, err := buf.ReadFrom(r)
	body := append([]byte{}, buf.Bytes()...)
	if buf.Cap() <= maxPooledBuffer {
		p.pool.Put(buf)
	}
	return body, err
}

// readInto reads r to its end into b, growing it when it fills.
func readInto(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, max(cap(b), 512)) // doubling
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}
