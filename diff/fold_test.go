package diff_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
)

// TestRankFolds: a change whose every finding stands higher in the
// ranking is folded under it (RankItem.Also) and found at its rank; a
// change with a finding of its own (a lost negation) is not folded.
func TestRankFolds(t *testing.T) {
	base := []string{
		"We collect your name and email address to run your account.",
		"We use your name and email address to answer support requests.",
		"We share your name and email address with our payment processor.",
		"We do not share your email address with other members.",
	}
	changed := []string{
		"We collect your name, email address and the inferences we draw from your messages to run your account.",
		"We use your name, email address and inferences to answer support requests.",
		"We share your name, email address and inferences with our payment processor.",
		"We share your email address and inferences with other members.",
	}
	r := diff.Compare(textDoc(t, base...), textDoc(t, changed...), nil)
	if r.Counts.Substantive != 4 {
		t.Fatalf("%d substantive changes, want 4; %v", r.Counts.Substantive, r.Changes)
	}
	var lines []string
	for _, it := range r.Ranking() {
		lines = append(lines, it.Line())
	}
	if len(r.Ranking()) != 2 {
		t.Fatalf("ranking has %d entries, want 2 (the negation lost, first to report the new data type, with two changes folded under it; the clause that also adds messages):\n%s", len(r.Ranking()), strings.Join(lines, "\n"))
	}
	for _, tc := range []struct {
		anchor string
		rank   int
	}{
		{"share your email address and inferences with other members", 1},
		{"inferences to answer support requests", 1},
		{"inferences with our payment processor", 1},
		{"the inferences we draw from your messages", 2},
	} {
		if got := r.RankOf(tc.anchor); got != tc.rank {
			t.Errorf("RankOf(%q) = %d, want %d\n%s", tc.anchor, got, tc.rank, strings.Join(lines, "\n"))
		}
	}
	if it := r.Ranking()[0]; len(it.Also) != 2 || !strings.Contains(it.Line(), "and 2 more changes saying the same") {
		t.Errorf("folded entry: also %v, line %q", it.Also, it.Line())
	}
	// Folded changes are in the ranking, not among the other changes
	// counted by section.
	folded := 0
	for _, s := range r.Sections {
		folded += s.Substantive
	}
	if folded != 0 {
		t.Errorf("sections count %d substantive changes outside the ranking, want 0: %+v", folded, r.Sections)
	}
}

// TestRankFirst: among widening changes, one that newly states a
// rank_first term (advertising, browsing history, children) comes first;
// a sentence that denies it ("we do not sell") states nothing.
func TestRankFirst(t *testing.T) {
	base := []string{"We collect your name to run your account."}
	added := []string{
		"We collect your device type and your time zone to run the service.",
		"We never use your browsing history for advertising.",
		"We record your browsing history while you use our browser.",
	}
	r := diff.Compare(textDoc(t, base...), textDoc(t, append(slices.Clone(base), added...)...), nil)
	if got := r.RankOf("We record your browsing history"); got != 1 {
		for _, it := range r.Ranking() {
			t.Logf("  %s", it.Line())
		}
		t.Errorf("RankOf(browsing history recorded) = %d, want 1", got)
	}
	for _, it := range r.Ranking() {
		c := r.Changes[it.Change]
		if c.New != nil && strings.Contains(c.New.Text, "never use") && strings.Contains(it.Why, "states") {
			t.Errorf("a denial states a rank_first term: %s", it.Line())
		}
	}
}

// TestNegationIdioms: "including but not limited to" and "without
// limitation" negate nothing; dropping one is not a lost negation.
func TestNegationIdioms(t *testing.T) {
	cases := []struct{ old, new string }{
		{"We share usage data with vendors, including but not limited to hosting providers.", "We share usage data with vendors, including hosting providers."},
		{"We may disclose data to comply with law, including without limitation court orders.", "We may disclose data to comply with law, including court orders."},
	}
	for _, tc := range cases {
		for _, dir := range [][2]string{{tc.old, tc.new}, {tc.new, tc.old}} {
			r := diff.Compare(textDoc(t, dir[0]), textDoc(t, dir[1]), nil)
			for _, c := range r.Changes {
				for _, why := range c.Reasons {
					if strings.HasPrefix(why, "negation") {
						t.Errorf("%q → %q: %s", dir[0], dir[1], why)
					}
				}
			}
		}
	}
}

// TestRetentionLimitDropped: a removed clause that stated a retention
// period, written in words and digits, widens; an age is not a period.
func TestRetentionLimitDropped(t *testing.T) {
	keep := "We keep your account data while your account is open."
	cases := []struct {
		name, removed string
		widens        bool
	}{
		{"digits in brackets", "We retain API inputs for a maximum of thirty (30) days and then delete them.", true},
		{"plain", "We keep server logs for 90 days and then delete them.", true},
		{"an age", "We delete data of children under 13 years of age when we learn of it.", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := diff.Compare(textDoc(t, keep, tc.removed), textDoc(t, keep), nil)
			items := r.Ranking()
			if len(items) != 1 {
				t.Fatalf("%d ranked, want 1", len(items))
			}
			got := strings.Contains(items[0].Why, "retention limit removed")
			if got != tc.widens {
				t.Errorf("ranked %s, want retention limit removed = %v", items[0].Line(), tc.widens)
			}
		})
	}
}

// TestNegationByPrefix: "not appropriate" → "inappropriate" keeps the
// negation; "not appropriate" → "appropriate" loses it.
func TestNegationByPrefix(t *testing.T) {
	cases := []struct {
		old, new string
		lost     bool
	}{
		{"We do not show content that is not appropriate for children.", "We do not show content that is inappropriate for children.", false},
		{"Your profile is not available to advertisers.", "Your profile is unavailable to advertisers.", false},
		{"Your profile is not available to advertisers.", "Your profile is available to advertisers.", true},
	}
	for _, tc := range cases {
		for _, dir := range [][2]string{{tc.old, tc.new}, {tc.new, tc.old}} {
			r := diff.Compare(textDoc(t, dir[0]), textDoc(t, dir[1]), nil)
			found := false
			for _, c := range r.Changes {
				for _, why := range c.Reasons {
					found = found || strings.HasPrefix(why, "negation")
				}
			}
			if found != tc.lost {
				t.Errorf("%q → %q: negation finding %v, want %v; %v", dir[0], dir[1], found, tc.lost, r.Changes)
			}
		}
	}
}

// TestRankNegationElsewhere: a negation lost from a clause while the
// other version still states it elsewhere ranks as a change without a
// direction; a negation lost outright still widens, though a shorter
// phrase with the same negation stands elsewhere.
func TestRankNegationElsewhere(t *testing.T) {
	cases := []struct {
		name     string
		old, new []string
		anchor   string
		want     diff.Direction
	}{
		{"moved to another clause",
			[]string{"We will not discriminate against you for exercising your rights, and we answer requests within 30 days.", "We keep your data safe."},
			[]string{"We will require you to verify your identity, and we answer requests within 30 days.", "We keep your data safe.", "We will not discriminate against individuals who exercise a privacy right."},
			"We will require you to verify", diff.Changes},
		{"lost outright",
			[]string{"We do not share your data with advertisers.", "We do not share your password with anyone."},
			[]string{"We share your data with advertisers.", "We do not share your password with anyone."},
			"We share your data with advertisers", diff.Widens},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := diff.Compare(textDoc(t, tc.old...), textDoc(t, tc.new...), nil)
			k := r.RankOf(tc.anchor)
			if k == 0 {
				t.Fatalf("%q not ranked; %v", tc.anchor, r.Changes)
			}
			if it := r.Ranking()[k-1]; it.Direction != tc.want {
				t.Errorf("ranked %s, want direction %s", it.Line(), tc.want)
			}
		})
	}
}
