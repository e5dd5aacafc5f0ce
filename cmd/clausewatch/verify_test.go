package main

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/vetting/evidence"
)

// TestVerifyWithoutKey: a bundle made by another database (so signed by
// a key nobody published) is not "verified" without --key: verify exits
// 3, says only its integrity was checked, and --json says the key check
// was not done. With the right --key it exits 0; with another key, 1.
func TestVerifyWithoutKey(t *testing.T) {
	mine, theirs := evidenceHistory(t), evidenceHistory(t)
	bundle := filepath.Join(t.TempDir(), "theirs.zip")
	if _, errOut, code := runCLI(t, "", "evidence", "ims", "--notified", "2022-05-13", "-o", bundle, "--db", theirs); code != 0 {
		t.Fatalf("evidence: exit %d: %s", code, errOut)
	}
	keyOf := func(db string) string {
		out, errOut, code := runCLI(t, "", "key", "--db", db)
		if code != 0 {
			t.Fatalf("key: exit %d: %s", code, errOut)
		}
		return strings.TrimSpace(out)
	}
	myKey, theirKey := keyOf(mine), keyOf(theirs)

	out, errOut, code := runCLI(t, "", "verify", bundle)
	if code != 3 {
		t.Errorf("verify without --key: exit %d, want 3\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"integrity ok; origin NOT checked: pass --key"} {
		if !strings.Contains(out, want) || !strings.Contains(errOut, want) {
			t.Errorf("verify without --key: stdout %q / error %q do not both say %q", out, errOut, want)
		}
	}
	if strings.Contains(out, ": verified") {
		t.Errorf("verify without --key says verified:\n%s", out)
	}

	out, _, code = runCLI(t, "", "verify", "--json", bundle)
	var rep struct {
		KeyChecked *bool `json:"key_checked"`
		Integrity  *bool `json:"integrity"`
		Verified   *bool `json:"verified"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("verify --json: %v\n%s", err, out)
	}
	if code != 3 || rep.KeyChecked == nil || *rep.KeyChecked || rep.Integrity == nil || !*rep.Integrity || rep.Verified == nil || *rep.Verified {
		t.Errorf("verify --json without --key: exit %d, key_checked %v integrity %v verified %v; want 3, false, true, false",
			code, deref(rep.KeyChecked), deref(rep.Integrity), deref(rep.Verified))
	}

	if out, errOut, code := runCLI(t, "", "verify", bundle, "--key", theirKey); code != 0 || !strings.HasSuffix(out, bundle+": verified\n") {
		t.Errorf("verify with the signer's key: exit %d, want 0\n%s%s", code, out, errOut)
	}
	out, _, code = runCLI(t, "", "verify", "--json", bundle, "--key", theirKey)
	rep.KeyChecked, rep.Integrity, rep.Verified = nil, nil, nil
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || !isTrue(rep.KeyChecked) || !isTrue(rep.Integrity) || !isTrue(rep.Verified) {
		t.Errorf("verify --json with the key: exit %d, %v, key_checked %v integrity %v verified %v; want 0 and all true",
			code, err, deref(rep.KeyChecked), deref(rep.Integrity), deref(rep.Verified))
	}
	if out, errOut, code := runCLI(t, "", "verify", bundle, "--key", myKey); code != 1 {
		t.Errorf("verify with another key: exit %d, want 1\n%s%s", code, out, errOut)
	}
	// A file that cannot be read was never checked: 2, not 1 (a failed
	// check).
	missing := filepath.Join(t.TempDir(), "nosuch.zip")
	if _, errOut, code := runCLI(t, "", "verify", missing, "--key", theirKey); code != 2 || !strings.Contains(errOut, "nosuch.zip") {
		t.Errorf("verify of a missing file: exit %d, error %q; want 2 naming the file", code, errOut)
	}
}

func deref(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

func isTrue(b *bool) bool { return b != nil && *b }

// TestVerifyRefusesHugeArchives: an archive of 100,000 empty members, and
// a file larger than any bundle, are refused with an error naming the
// file, before their members (or bytes) are read: verify's allocations
// stay a small multiple of the file, not of its member count.
func TestVerifyRefusesHugeArchives(t *testing.T) {
	dir := t.TempDir()
	many := filepath.Join(dir, "many.zip")
	f, err := os.Create(many)
	if err != nil {
		t.Fatal(err)
	}
	w := zip.NewWriter(f)
	for i := range 100_000 {
		if _, err := w.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("m/%07d", i), Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	huge := filepath.Join(dir, "huge.zip")
	if err := os.WriteFile(huge, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, evidence.MaxBundle+1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	for _, tt := range []struct{ file, want string }{
		{many, "a bundle has at most 64 members"},
		{huge, fmt.Sprintf("larger than %d bytes", evidence.MaxBundle)},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		out, errOut, code := runCLI(t, "", "verify", tt.file)
		runtime.ReadMemStats(&after)
		if code != 1 || !strings.Contains(errOut, tt.file) || !strings.Contains(errOut, tt.want) {
			t.Errorf("verify %s: exit %d, %q; want 1 and an error naming the file that says %q\n%s", tt.file, code, errOut, tt.want, out)
		}
		st, _ := os.Stat(tt.file)
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("verify %s (%d bytes): %d KB allocated", filepath.Base(tt.file), st.Size(), alloc>>10)
		// Generous: reading the 11 MB archive is most of it.
		if bound := uint64(64 << 20); alloc > bound {
			t.Errorf("verify %s allocated %d MB, want at most %d MB", tt.file, alloc>>20, bound>>20)
		}
	}
}
