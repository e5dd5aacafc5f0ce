package diff

import (
	"strconv"
	"strings"
)

// Folding: on a large edit the same finding recurs — a new data type
// named in five clauses, ten rows added to one cookie table, the new DPO
// address in every contact paragraph. Each would take a place in the
// ranking and push the next distinct finding down. A change whose every
// finding stands higher up is folded under the first change that
// reported one of them (RankItem.Also), the way a rename is folded into
// one line (docs/decisions/0022-report-for-large-changes.md).

// scored is one ranked change with what orders and folds it.
type scored struct {
	item RankItem
	// tier is the direction's rank; top the strongest signal of that
	// direction and weight the sum of its signals.
	tier, top, weight int
	// keys are the facts the change reports that others may report too;
	// own is true when it also reports something only it does (a lost
	// negation, a changed number): such a change is never folded.
	keys []string
	own  bool
}

// foldKeys collects the fold keys of a change's signals in the direction
// it ranks in: what it shows in the ranking. Its findings of a lower
// direction stay in the clause list.
func foldKeys(sigs []signal, dir Direction) (keys []string, own bool) {
	for _, s := range sigs {
		if s.dir != dir {
			continue
		}
		if len(s.keys) == 0 {
			own = own || s.weight >= medium
			continue
		}
		keys = append(keys, s.keys...)
	}
	return keys, own
}

// termKeys are the fold keys of a term signal: one per term, with what
// happened to it ("new data type: " + "inferences").
func termKeys(what, terms string) []string {
	var keys []string
	for _, t := range strings.Split(terms, ", ") {
		if u, err := strconv.Unquote(t); err == nil {
			t = u
		}
		keys = append(keys, what+t)
	}
	return keys
}

// rowSignal reads a row added to or removed from a table or list of a
// category: a new recipient or tracker widens, one gone narrows. Rows of
// one table fold together.
func rowSignal(c Change, added bool, list string) signal {
	key := "row of a list of " + list + " in " + sectionOf(c)
	if added {
		return signal{Widens, "new row in a list of " + list, medium, []string{"+" + key}}
	}
	return signal{Narrows, "row gone from a list of " + list, medium, []string{"-" + key}}
}

// fold folds each ranked change whose keys all stand higher up under the
// change that first reported its first key. The order of the rest is
// kept.
func fold(all []scored) []scored {
	owner := map[string]int{}
	out := make([]scored, 0, len(all))
	for _, s := range all {
		if lead, ok := foldInto(s, owner); ok {
			out[lead].item.Also = append(out[lead].item.Also, s.item.Change)
			continue
		}
		for _, k := range s.keys {
			if _, ok := owner[k]; !ok {
				owner[k] = len(out)
			}
		}
		out = append(out, s)
	}
	return out
}

func foldInto(s scored, owner map[string]int) (int, bool) {
	if s.own || len(s.keys) == 0 {
		return 0, false
	}
	for _, k := range s.keys {
		if _, ok := owner[k]; !ok {
			return 0, false
		}
	}
	return owner[s.keys[0]], true
}

// Changes returns the index of the item's change and of those folded
// under it.
func (it RankItem) Changes() []int {
	return append([]int{it.Change}, it.Also...)
}
