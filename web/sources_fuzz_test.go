package web

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzBulkLines: whatever is pasted, the parser never panics, every
// line it returns names a real line of the input, in order, with the
// line's text, and a line without a reason has a name and a URL.
func FuzzBulkLines(f *testing.F) {
	for _, seed := range []string{"", "a, https://a.example/p", "a\thttps://a.example/p\tAcme\tterms",
		"# comment\n\n\"a, b\", https://x.example, \"Acme, Inc\"", "\"unclosed, https://x", "a", "a,b,c,d,e", "\r\n\r\n x , y \r\n"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		lines, err := parseBulkLines(text, bulkDefaults{Supplier: "S"})
		if err != nil {
			if len(lines) != 0 {
				t.Fatalf("error %v with %d lines", err, len(lines))
			}
			return
		}
		all := strings.SplitAfter(text, "\n")
		prev := 0
		for _, l := range lines {
			if l.Line <= prev || l.Line > len(all) {
				t.Fatalf("line %d after %d, input has %d", l.Line, prev, len(all))
			}
			prev = l.Line
			if got := strings.TrimRight(all[l.Line-1], "\r\n"); got != l.Text {
				t.Fatalf("line %d: text %q, input has %q", l.Line, l.Text, got)
			}
			if l.Err == "" && (l.In.Name == nil || l.In.URL == nil || *l.In.Supplier == "") {
				t.Fatalf("line %d: no reason and no name, URL or supplier: %+v", l.Line, l.In)
			}
		}
	})
}

// FuzzDashQuery: whatever the query string, parsing never panics, and a
// query that parses survives the round trip through values().
func FuzzDashQuery(f *testing.F) {
	for _, seed := range []string{"", "sort=-due", "health=unchecked&status=all", "kind=terms&q=acme", "sort=bogus", "tag=k12&supplier=COR", "sort=-"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := parseDashQuery(v)
		if err != nil {
			return
		}
		again, err := parseDashQuery(q.values())
		if err != nil {
			t.Fatalf("%q parsed, its values %q do not: %v", raw, q.values().Encode(), err)
		}
		if again != q {
			t.Fatalf("round trip: %+v, then %+v", q, again)
		}
	})
}

// FuzzCSVSafe: no cell csvSafe returns begins with a character a
// spreadsheet reads as a formula.
func FuzzCSVSafe(f *testing.F) {
	for _, seed := range []string{"", "=1+1", "+", "-2", "@SUM(A1)", "\t=x", "\r=x", "plain", "'=already"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, cell string) {
		out := csvSafe(cell)
		if out != "" && strings.ContainsRune("=+-@\t\r", rune(out[0])) {
			t.Fatalf("csvSafe(%q) = %q", cell, out)
		}
		if strings.TrimPrefix(out, "'") != cell && out != cell {
			t.Fatalf("csvSafe(%q) = %q: more than a prefix", cell, out)
		}
	})
}
