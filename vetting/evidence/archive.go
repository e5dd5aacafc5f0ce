package evidence

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
)

// file is one member of a bundle.
type file struct {
	Name string
	Data []byte
}

// maxBundle caps what Verify reads: a bundle is two pages and proofs.
const maxBundle = 256 << 20

// writeArchive writes files, in order, as the canonical zip archive of a
// bundle: every member stored (not compressed) with the same modification
// time and no other metadata. The same files and time always give the
// same bytes, which is how Verify knows the container was not altered.
func writeArchive(files []file, modified time.Time) ([]byte, error) {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range files {
		fw, err := w.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store, Modified: modified.UTC()})
		if err != nil {
			return nil, fmt.Errorf("archive %s: %w", f.Name, err)
		}
		if _, err := fw.Write(f.Data); err != nil {
			return nil, fmt.Errorf("archive %s: %w", f.Name, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	return buf.Bytes(), nil
}

// readArchive reads a bundle's members, refusing names that are not plain
// relative paths, duplicates, compressed members and oversized content.
func readArchive(data []byte) ([]file, error) {
	if len(data) > maxBundle {
		return nil, fmt.Errorf("%d bytes, more than a bundle can be (%d)", len(data), maxBundle)
	}
	r, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("not a zip archive: %w", err)
	}
	var out []file
	seen := map[string]bool{}
	var total uint64
	for _, zf := range r.File {
		name := zf.Name
		if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || path.Clean(name) != name || strings.HasPrefix(name, "../") {
			return nil, fmt.Errorf("member %q: not a plain relative path", name)
		}
		if seen[name] {
			return nil, fmt.Errorf("member %q appears twice", name)
		}
		seen[name] = true
		if zf.Method != zip.Store {
			return nil, fmt.Errorf("member %q: compressed (method %d); bundles store their members", name, zf.Method)
		}
		total += zf.UncompressedSize64
		if total > maxBundle {
			return nil, fmt.Errorf("members add up to more than %d bytes", maxBundle)
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, fmt.Errorf("member %q: %w", name, err)
		}
		content, err := io.ReadAll(io.LimitReader(rc, int64(zf.UncompressedSize64)+1))
		if cerr := rc.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			if errors.Is(err, zip.ErrChecksum) {
				return nil, fmt.Errorf("member %q: its bytes do not match the archive's checksum", name)
			}
			return nil, fmt.Errorf("member %q: %w", name, err)
		}
		out = append(out, file{Name: name, Data: content})
	}
	return out, nil
}

// firstDifference is the offset of the first byte where a and b differ.
func firstDifference(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
