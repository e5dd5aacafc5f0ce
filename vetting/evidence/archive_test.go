package evidence_test

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/vetting/evidence"
)

// manyMembers is a zip archive of n empty stored members.
func manyMembers(t testing.TB, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for i := range n {
		if _, err := w.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("m/%07d", i), Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// shortCount rewrites a zip64 archive of more than 65,535 members (as
// zip.Writer makes it) with a plain end record whose member count is
// the true one modulo 65,536: archive/zip reads every member all the
// same, as it only compares the low 16 bits.
func shortCount(t testing.TB, data []byte) []byte {
	t.Helper()
	end := len(data) - 22
	locator := end - 20
	if string(data[locator:locator+4]) != "PK\x06\x07" {
		t.Fatal("no zip64 locator")
	}
	z64 := int(binary.LittleEndian.Uint64(data[locator+8:]))
	records := binary.LittleEndian.Uint64(data[z64+32:])
	size := binary.LittleEndian.Uint64(data[z64+40:])
	offset := binary.LittleEndian.Uint64(data[z64+48:])
	out := bytes.Clone(data[:z64])
	out = append(out, "PK\x05\x06"...)
	out = binary.LittleEndian.AppendUint16(out, 0)
	out = binary.LittleEndian.AppendUint16(out, 0)
	out = binary.LittleEndian.AppendUint16(out, uint16(records))
	out = binary.LittleEndian.AppendUint16(out, uint16(records))
	out = binary.LittleEndian.AppendUint32(out, uint32(size))
	out = binary.LittleEndian.AppendUint32(out, uint32(offset))
	out = binary.LittleEndian.AppendUint16(out, 0)
	if r, err := zip.NewReader(bytes.NewReader(out), int64(len(out))); err != nil || uint64(len(r.File)) != records {
		t.Fatalf("archive/zip reads the rewritten archive as %v, %v; want %d members", r, err, records)
	}
	return out
}

// TestVerifyCapsMembers: an archive of far more members than a bundle
// has — by its own count, or by one that archive/zip does not hold it to
// — is refused from its central directory, before a member is read, with
// an error that says so; and refusing it costs little memory.
func TestVerifyCapsMembers(t *testing.T) {
	many := manyMembers(t, 100_000)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"100,000 members (zip64)", many, "zip64 archive (made for more than 65,535 members or 4 GiB); a bundle has at most 64 members"},
		{"1,000 members", manyMembers(t, 1000), "65 or more members; a bundle has at most 64"},
		{"65,546 members counted as 10", shortCount(t, manyMembers(t, 65_546)), "65 or more members; a bundle has at most 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			rep := evidence.Verify(tt.data, evidence.VerifyOptions{})
			runtime.ReadMemStats(&after)
			if rep.OK() || len(rep.Checks) != 1 || rep.Checks[0].Name != "archive" || !strings.Contains(rep.Checks[0].Detail, tt.want) {
				t.Errorf("verify of %d bytes: %+v; want one failed archive check saying %q", len(tt.data), rep.Checks, tt.want)
			}
			// Generous: the archive itself is about 10 MB; reading every
			// member of it took hundreds.
			const bound = 32 << 20
			if got := after.TotalAlloc - before.TotalAlloc; got > bound {
				t.Errorf("verify allocated %d MB refusing %d bytes, want at most %d MB", got>>20, len(tt.data), bound>>20)
			}
			t.Logf("%s: %d bytes refused, %d KB allocated", tt.name, len(tt.data), (after.TotalAlloc-before.TotalAlloc)>>10)
		})
	}
}

// TestVerifyRefusesSizeMismatch: a member whose header says it holds
// more (or fewer) bytes than it does is refused, not read past.
func TestVerifyRefusesSizeMismatch(t *testing.T) {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	fw, err := w.CreateRaw(&zip.FileHeader{Name: "manifest.json", Method: zip.Store, CompressedSize64: 4, UncompressedSize64: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte("{}\n\n"))
	w.Close()
	rep := evidence.Verify(buf.Bytes(), evidence.VerifyOptions{})
	if rep.OK() || len(rep.Checks) != 1 || !strings.Contains(rep.Checks[0].Detail, `member "manifest.json"`) {
		t.Errorf("verify: %+v; want the archive check to name the member", rep.Checks)
	}
}

// bigMember is a zip archive holding one stored member of size bytes.
func bigMember(t testing.TB, name string, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	fw, err := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestVerifyRefusesBigOrUnknownMembers: a member a bundle never has, or
// one larger than any member can be, is refused from the central
// directory, before its bytes are read (a hostile re-test added a 250 MiB
// member and verify read it all: 920 MB peak).
func TestVerifyRefusesBigOrUnknownMembers(t *testing.T) {
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"unknown member", bigMember(t, "extra.bin", 20<<20), `member "extra.bin": not a member a bundle has`},
		{"unknown capture file", bigMember(t, "captures/after/notes.txt", 1), `not a member a bundle has`},
		{"body over the member cap", bigMember(t, "captures/after/body.bin", 40<<20), `more than a bundle's member can be`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			rep := evidence.Verify(tt.data, evidence.VerifyOptions{})
			runtime.ReadMemStats(&after)
			if rep.OK() || len(rep.Checks) != 1 || rep.Checks[0].Name != "archive" || !strings.Contains(rep.Checks[0].Detail, tt.want) {
				t.Errorf("verify: %+v; want one failed archive check saying %q", rep.Checks, tt.want)
			}
			// Generous, and well below the member's own size: it is not read.
			const bound = 8 << 20
			if got := after.TotalAlloc - before.TotalAlloc; got > bound {
				t.Errorf("verify allocated %d MB refusing it, want at most %d MB", got>>20, bound>>20)
			}
		})
	}
}
