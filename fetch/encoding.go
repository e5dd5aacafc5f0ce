package fetch

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/andybalholm/brotli"
)

// decoder undoes a Content-Encoding. The client asks for gzip and br;
// deflate is accepted because some servers send it anyway.
func decoder(r io.Reader, encoding string) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "", "identity":
		return r, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %v", ErrEncoding, err)
		}
		return errorsAs(zr, "gzip"), nil
	case "br":
		return errorsAs(brotli.NewReader(r), "br"), nil
	case "deflate":
		// RFC 9110 says zlib-wrapped; some servers send raw deflate.
		br := bufio.NewReader(r)
		if head, err := br.Peek(2); err == nil && (uint16(head[0])<<8|uint16(head[1]))%31 == 0 && head[0]&0x0f == 8 {
			zr, err := zlib.NewReader(br)
			if err != nil {
				return nil, fmt.Errorf("%w: deflate: %v", ErrEncoding, err)
			}
			return errorsAs(zr, "deflate"), nil
		}
		return errorsAs(flate.NewReader(br), "deflate"), nil
	default:
		return nil, fmt.Errorf("%w: %q", ErrEncoding, encoding)
	}
}

// codecReader marks decompression errors as ErrEncoding, except for
// errors of the connection underneath, which pass through unchanged (so
// a reset mid-body stays a retryable network error).
type codecReader struct {
	r    io.Reader
	name string
}

func errorsAs(r io.Reader, name string) io.Reader { return &codecReader{r, name} }

func (c *codecReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF && !isTransport(err) {
		err = fmt.Errorf("%w: %s: %v", ErrEncoding, c.name, err)
	}
	return n, err
}

// isTransport reports whether err came from the connection rather than the
// compressed stream: a truncated body, a reset, a timeout.
func isTransport(err error) bool {
	var netErr net.Error
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &netErr) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
