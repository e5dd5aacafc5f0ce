package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
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
}

func deref(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

func isTrue(b *bool) bool { return b != nil && *b }
