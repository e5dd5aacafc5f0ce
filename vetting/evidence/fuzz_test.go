package evidence_test

import (
	"testing"

	"github.com/clausewatch/clausewatch/vetting/evidence"
)

// FuzzVerify: no input makes Verify panic, and nothing but a real bundle
// verifies (a fuzzer cannot forge the signatures).
func FuzzVerify(f *testing.F) {
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte{})
	f.Add(manyMembers(f, maxMembersSeed))
	f.Fuzz(func(t *testing.T, data []byte) {
		if rep := evidence.Verify(data, evidence.VerifyOptions{}); rep.OK() {
			t.Fatalf("%d random bytes verified", len(data))
		}
	})
}

// maxMembersSeed is just over what Verify reads of an archive's members.
const maxMembersSeed = 65
