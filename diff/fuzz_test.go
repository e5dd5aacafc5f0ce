package diff_test

import (
	"bytes"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
)

// FuzzDiff compares any two inputs, as HTML or text. It must not panic,
// must give a document compared with itself no changes, must give a
// verdict that does not depend on the direction, must give inline spans
// that make up both texts, and must render in every format.
func FuzzDiff(f *testing.F) {
	f.Add([]byte("<p>We do not share your data.</p>"), []byte("<p>We may share your data.</p>"), false)
	f.Add([]byte("<h2>Cookies</h2><p>We use cookies for 30 days.</p>"), []byte("<h2>Cookies</h2><p>We use cookies for 90 days, and web beacons.</p>"), false)
	f.Add([]byte("Acme Corp will not sell data.\n\nAcme Corp keeps data.\n\nAcme Corp: privacy@acme.com"), []byte("Beta Inc will not sell data.\n\nBeta Inc keeps data.\n\nBeta Inc: privacy@beta.com"), true)
	f.Add([]byte("Acme Corp runs the site.\n\nWrite to Acme Corp.\n\nAcme Corp reviews it.\n\nAcme Corp does not sell your data to the chosen partners of Acme Corp."), []byte("Beta Inc runs the site.\n\nWrite to Beta Inc.\n\nBeta Inc reviews it.\n\nBeta Inc sells your data to advertisers and brokers near Beta Inc."), true)
	f.Add([]byte("Updated: May 6, 2019\n\nA. B. C."), []byte("Updated: June 1, 2020\n\nC. B. A. A. A."), true)
	f.Add([]byte("<ul><li>a, b</li><li>a, b</li><li>a, b</li></ul>"), []byte("<ul><li>a, b, c</li><li>a</li></ul>"), false)
	rules := diff.DefaultRules()
	f.Fuzz(func(t *testing.T, a, b []byte, text bool) {
		if len(a) > 1<<16 || len(b) > 1<<16 {
			return
		}
		opts := extract.Options{ContentType: "text/html"}
		if text {
			opts.ContentType = "text/plain"
		}
		da, errA := extract.Bytes(a, opts)
		db, errB := extract.Bytes(b, opts)
		if errA != nil || errB != nil {
			return
		}
		ab := diff.Compare(da, db, rules)
		ba := diff.Compare(db, da, rules)
		// Symmetry holds within the work budget; the two directions
		// spend a budget in different orders (docs/decisions/0037).
		symmetric := !ab.BudgetSpent && !ba.BudgetSpent
		if symmetric && ab.Revet != ba.Revet {
			t.Errorf("revet %v one way, %v the other", ab.Revet, ba.Revet)
		}
		if symmetric && len(ab.Changes) != len(ba.Changes) {
			t.Errorf("%d changes one way, %d the other", len(ab.Changes), len(ba.Changes))
		}
		if self := diff.Compare(da, da, rules); !self.Same() {
			t.Errorf("a document compared with itself has %d changes", len(self.Changes))
		}
		for _, c := range ab.Changes {
			if c.Old == nil && c.New == nil {
				t.Fatalf("change with no sides: %+v", c)
			}
			if c.Class == diff.Substantive && len(c.Reasons) == 0 {
				t.Errorf("substantive change without a reason: %+v", c)
			}
			if c.Old != nil && c.New != nil {
				checkSides(t, &c) // the spans, renames included, give both texts back
			}
		}
		var buf bytes.Buffer
		if err := diff.WriteText(&buf, ab, diff.TextOptions{All: true}); err != nil {
			t.Fatal(err)
		}
		if err := diff.WriteJSON(&buf, ab); err != nil {
			t.Fatal(err)
		}
		if err := diff.WriteHTML(&buf, ab, diff.HTMLOptions{}); err != nil {
			t.Fatal(err)
		}
	})
}
