package evidence

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
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

// MaxBundle caps what Verify reads: a bundle is two pages (each at most
// the fetcher's 10 MiB), their diff (bounded by extract's caps) and
// proofs.
const MaxBundle = 96 << 20

// maxMember caps one member: a page body, or the diff's HTML or JSON.
const maxMember = 32 << 20

// maxMembers caps the members of an archive Verify reads: a bundle has
// about twenty (eleven fixed files and a few per capture).
const maxMembers = 64

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
	if len(data) > MaxBundle {
		return nil, fmt.Errorf("%d bytes, more than a bundle can be (%d)", len(data), MaxBundle)
	}
	// zip.NewReader builds a File for every central directory entry, so
	// count them first, without building them.
	if n, err := countMembers(data); err != nil {
		return nil, err
	} else if n > maxMembers {
		return nil, fmt.Errorf("%d or more members; a bundle has at most %d", n, maxMembers)
	}
	r, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("not a zip archive: %w", err)
	}
	if len(r.File) > maxMembers {
		return nil, fmt.Errorf("%d members; a bundle has at most %d", len(r.File), maxMembers)
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
		if !memberName(name) {
			return nil, fmt.Errorf("member %q: not a member a bundle has", name)
		}
		seen[name] = true
		if zf.Method != zip.Store {
			return nil, fmt.Errorf("member %q: compressed (method %d); bundles store their members", name, zf.Method)
		}
		if zf.CompressedSize64 != zf.UncompressedSize64 {
			return nil, fmt.Errorf("member %q: stored, but its header says %d bytes compressed and %d uncompressed", name, zf.CompressedSize64, zf.UncompressedSize64)
		}
		if zf.UncompressedSize64 > maxMember {
			return nil, fmt.Errorf("member %q: %d bytes, more than a bundle's member can be (%d)", name, zf.UncompressedSize64, maxMember)
		}
		total += zf.UncompressedSize64
		if total > MaxBundle {
			return nil, fmt.Errorf("members add up to more than %d bytes", MaxBundle)
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
		if uint64(len(content)) != zf.UncompressedSize64 {
			return nil, fmt.Errorf("member %q: %d bytes, its header says %d", name, len(content), zf.UncompressedSize64)
		}
		out = append(out, file{Name: name, Data: content})
	}
	return out, nil
}

// Zip records (PKWARE APPNOTE.TXT 6.3.10, sections 4.3.12 to 4.3.16).
const (
	sigDirectoryHeader  = "PK\x01\x02"
	sigDirectoryEnd     = "PK\x05\x06"
	sigDirectory64Loc   = "PK\x06\x07"
	directoryHeaderLen  = 46 // a central directory header without its name, extra field and comment
	directoryEndLen     = 22 // the end of central directory record without its comment
	directory64LocLen   = 20 // the zip64 end of central directory locator
	directoryEndSearch  = 65 * 1024
	countMembersStopsAt = maxMembers + 1
)

// countMembers counts the central directory's entries as archive/zip
// reads them — from the directory's offset, entry after entry for as long
// as each starts with the header signature, whatever the end record's
// count says (archive/zip compares only its low 16 bits) — stopping once
// there are more than a bundle has. A zip64 archive is refused: a bundle
// never needs one. Archives it cannot make sense of count 0, for
// zip.NewReader to refuse with its own error.
func countMembers(data []byte) (int, error) {
	// The end record: the last signature in the last 65 KiB, as
	// archive/zip's findSignatureInBlock finds it.
	from := max(0, len(data)-directoryEndSearch)
	end := bytes.LastIndex(data[from:max(from, len(data)-directoryEndLen+4)], []byte(sigDirectoryEnd))
	if end < 0 {
		return 0, nil
	}
	end += from
	rec := data[end:]
	records := binary.LittleEndian.Uint16(rec[10:])
	size := binary.LittleEndian.Uint32(rec[12:])
	offset := binary.LittleEndian.Uint32(rec[16:])
	if (records == 0xffff || size == 0xffff || offset == 0xffffffff) && end >= directory64LocLen &&
		string(data[end-directory64LocLen:end-directory64LocLen+4]) == sigDirectory64Loc {
		return 0, fmt.Errorf("a zip64 archive (made for more than 65,535 members or 4 GiB); a bundle has at most %d members and %d bytes", maxMembers, MaxBundle)
	}
	// archive/zip takes the directory to start where the end record less
	// the directory's size says, or (when that leaves bytes before the
	// archive) at its offset from the start: count from both.
	base := int64(end) - int64(size) - int64(offset)
	n := entriesFrom(data, base+int64(offset))
	if base > 0 {
		n = max(n, entriesFrom(data, int64(offset)))
	}
	return n, nil
}

// entriesFrom counts consecutive central directory headers from off, up
// to countMembersStopsAt.
func entriesFrom(data []byte, off int64) int {
	n := 0
	for off >= 0 && off+directoryHeaderLen <= int64(len(data)) && n < countMembersStopsAt {
		h := data[off:]
		if string(h[:4]) != sigDirectoryHeader {
			break
		}
		n++
		off += directoryHeaderLen + int64(binary.LittleEndian.Uint16(h[28:])) + int64(binary.LittleEndian.Uint16(h[30:])) + int64(binary.LittleEndian.Uint16(h[32:]))
	}
	return n
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

// memberName reports whether name is one a bundle can hold: a fixed
// member, or a capture's record, request, response or body. Anything else
// is refused before a byte of it is read.
func memberName(name string) bool {
	switch name {
	case nameManifest, nameSignature, nameSummary, nameKey, nameDeadline, nameDiffJSON, nameDiffHTML, nameRules, nameLatest, nameEarlier, nameProofs:
		return true
	}
	dir, base, ok := strings.Cut(strings.TrimPrefix(name, "captures/"), "/")
	if !ok || !strings.HasPrefix(name, "captures/") || (dir != RoleBefore && dir != RoleAfter && dir != RoleLast) {
		return false
	}
	switch base {
	case "record.json", "request.txt", "response.txt", "render.json":
		return true
	}
	stem, ext, _ := strings.Cut(base, ".")
	switch ext {
	case "html", "txt", "pdf", "bin":
		// The body, and a rendered capture's document as served and
		// plain fetch's body.
		return stem == "body" || stem == "document" || stem == "plain"
	}
	return false
}
