package diff

import (
	"math/rand"
	"testing"
)

// TestMyersWork checks the counting search on sequences whose cost is
// known: go-diff's shortcuts cost one pass, an unlike pair costs about
// (N+M)²/2, and a cap below the cost stops the search without finishing.
func TestMyersWork(t *testing.T) {
	seq := func(n int, base rune) []rune {
		out := make([]rune, n)
		for i := range out {
			out[i] = base + rune(i)
		}
		return out
	}
	r := rand.New(rand.NewSource(21))
	salad := func(n int) []rune {
		out := make([]rune, n)
		for i := range out {
			out[i] = 'a' + rune(r.Intn(4))
		}
		return out
	}
	saladA, saladB := salad(300), salad(300)
	tests := []struct {
		name       string
		a, b       []rune
		limit      int64
		ok         bool
		minU, maxU int64
	}{
		{"equal", seq(100, 'a'), seq(100, 'a'), 1000, true, 100, 101},
		{"one empty", seq(100, 'a'), nil, 1000, true, 100, 101},
		{"one token against many", seq(1, 0x5000), seq(500, 'a'), 1000, true, 500, 502},
		{"inside", seq(50, 'a'), append(append(seq(200, 0x4000), seq(50, 'a')...), seq(200, 0x6000)...), 100000, true, 250, 500},
		{"unlike, room", seq(200, 'a'), seq(200, 0x4000), 1 << 20, true, 400 * 400 / 2, 401 * 402},
		{"unlike, capped", seq(200, 'a'), seq(200, 0x4000), 10000, false, 10000, 10000 + 400},
		{"salad, room", saladA, saladB, 1 << 22, true, 600, 1 << 22},
		{"salad, capped", saladA, saladB, 500, false, 500, 500 + 600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, ok := myersWork(tt.a, tt.b, tt.limit)
			if ok != tt.ok || u < tt.minU || u > tt.maxU {
				t.Errorf("myersWork = %d, %v; want %v and %d…%d units", u, ok, tt.ok, tt.minU, tt.maxU)
			}
			// A search that finished counts the same under any larger cap.
			if ok {
				if u2, ok2 := myersWork(tt.a, tt.b, 2*tt.limit); u2 != u || !ok2 {
					t.Errorf("with twice the cap: %d, %v; want %d, true", u2, ok2, u)
				}
			}
		})
	}
}

// TestBudgetSpentIsFinal: once a search is refused, every later sequence
// diff of the comparison is one whole replacement, however small.
func TestBudgetSpentIsFinal(t *testing.T) {
	b := newBudget(1000)
	big := make([]string, 400)
	for i := range big {
		big[i] = string(rune('a' + i%7))
	}
	other := make([]string, 400)
	for i := range other {
		other[i] = string(rune('h' + i%5))
	}
	if es := diffSeq(big, other, false, maxSeqCells, b); len(es) != 1 || es[0].equal || !b.spent {
		t.Fatalf("an unlike pair over the budget: %+v, spent %v", es, b.spent)
	}
	small := []string{"we", "share", "data"}
	if es := diffSeq(small, []string{"we", "sell", "data"}, false, maxSeqCells, b); len(es) != 1 || es[0].aHi != 3 || es[0].bHi != 3 {
		t.Errorf("a small pair after the budget is spent: %+v, want one whole replacement", es)
	}
	fresh := newBudget(1000)
	if es := diffSeq(small, []string{"we", "sell", "data"}, false, maxSeqCells, fresh); len(es) != 3 || fresh.spent {
		t.Errorf("the same pair with budget left: %+v, spent %v", es, fresh.spent)
	}
}
