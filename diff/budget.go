package diff

// The work bound of one comparison (docs/decisions/0037): Compare counts
// the work of its costly steps in units, never by the clock, so that a
// hostile pair (tens of kilobytes built to be a worst case) costs a
// bounded amount of work and gives the same result on every run and every
// machine.
//
// One unit is one elementary step: a word compared while scoring a pair of
// clauses, a diagonal visited or a token compared by the Myers search
// before a sequence diff. The sequence diffs (alignment backbone, the word
// diffs that judge, find renames and show a change inline) first count the
// work of their search with an edit-distance cap (myersWork); go-diff then
// runs only when the budget left pays for the search and go-diff's own
// run of it. When the budget is spent, every later sequence diff of the
// comparison is one whole replacement, the clause pairing stops where it
// is (the clauses left are added and removed), and Result.BudgetSpent and
// the summary say so.

// CompareBudget is the work, in units, one Compare may spend on pairing
// clauses and on sequence diffs. Every corpus pair needs under a third of
// it (TestCorpusSweep); a 64 KB hostile pair reaches it
// (TestHostileBudget).
const CompareBudget = 40_000_000

// BudgetSpentNote is the summary's note when a comparison spent its
// budget.
const BudgetSpentNote = "diff budget spent: shown as whole replacements"

// budget is the work left to one comparison.
type budget struct {
	left  int64
	used  int64
	spent bool
}

func newBudget(units int64) *budget { return &budget{left: units} }

// pay takes n units, or, when fewer are left, marks the budget spent and
// takes none.
func (b *budget) pay(n int64) bool {
	if b.spent || n > b.left {
		b.spent = true
		return false
	}
	b.left -= n
	b.used += n
	return true
}

// charge takes n units that were already spent (a search that found it
// could not finish); it may overdraw by that search's last step.
func (b *budget) charge(n int64) {
	b.used += n
	b.left -= n
	if b.left < 0 {
		b.left = 0
		b.spent = true
	}
}

// myersWork counts the work of the greedy Myers search for the shortest
// edit script of a and b (one unit for each diagonal it visits and each
// token it compares), giving up when the count would pass limit. It
// returns the units counted and whether the search finished within
// limit. go-diff's bisection searches from both ends and stops in the
// middle, so its own run costs at most about as much again.
func myersWork(a, b []rune, limit int64) (int64, bool) {
	n, m := len(a), len(b)
	// Equal ends cost one comparison a token, as go-diff's trimming.
	pre := 0
	for pre < n && pre < m && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < n-pre && suf < m-pre && a[n-1-suf] == b[m-1-suf] {
		suf++
	}
	units := int64(pre + suf + 1)
	a, b = a[pre:n-suf], b[pre:m-suf]
	n, m = len(a), len(b)
	if n == 0 || m == 0 || n == 1 || m == 1 {
		// go-diff's shortcuts: all inserted or deleted, or one token
		// (found in the other, or replaced), in one pass.
		units += int64(n + m)
		return units, units <= limit
	}
	// go-diff's next shortcut: the shorter inside the longer, found by a
	// plain search whose comparisons are counted the same way.
	long, short := a, b
	if n < m {
		long, short = b, a
	}
	found, work := indexWork(long, short, limit-units)
	units += work
	if found || units > limit {
		return units, units <= limit
	}
	// Each step d of the search visits d+1 diagonals, so no search within
	// limit goes past d = √(2·limit): the table never needs more.
	maxD := min(n+m, isqrt(2*max(limit, 0))+2)
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	for d := 0; d <= maxD; d++ {
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			units++
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
				units++
			}
			if units > limit {
				return units, false
			}
			v[off+k] = x
			if x >= n && y >= m {
				return units, true
			}
		}
	}
	return units, false
}

// indexWork looks for short in long as go-diff's runesIndex does, counting
// one unit a comparison, and gives up past limit.
func indexWork(long, short []rune, limit int64) (bool, int64) {
	var units int64
	for i := 0; i+len(short) <= len(long); i++ {
		k := 0
		for k < len(short) && long[i+k] == short[k] {
			k++
		}
		units += int64(k + 1)
		if k == len(short) {
			return true, units
		}
		if units > limit {
			return false, units
		}
	}
	return false, units
}

// isqrt is the integer square root of x ≥ 0.
func isqrt(x int64) int {
	r := int64(0)
	for bit := int64(1) << 62; bit > 0; bit >>= 2 {
		if r+bit <= x {
			x -= r + bit
			r = r>>1 + bit
		} else {
			r >>= 1
		}
	}
	return int(r)
}
