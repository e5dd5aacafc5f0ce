package vetting

import (
	"strings"
	"testing"
)

// FuzzParseProduct: ParseProduct never panics; a product it reads has its
// name and sources trimmed, no empty source, and prints back (as the
// manage page writes it) to a line that reads the same.
func FuzzParseProduct(f *testing.F) {
	for _, s := range []string{"Website=ims", " Site = a, ,b ", "=", "x", "a=b=c", "", "Web\nsite=a", "p=,,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseProduct(s)
		if err != nil {
			if strings.Contains(s, "=") {
				t.Fatalf("ParseProduct(%q): %v, but it has an =", s, err)
			}
			return
		}
		if p.Name != strings.TrimSpace(p.Name) {
			t.Fatalf("name %q not trimmed", p.Name)
		}
		for _, src := range p.Sources {
			if src == "" || src != strings.TrimSpace(src) || strings.Contains(src, ",") {
				t.Fatalf("source %q of %q", src, s)
			}
		}
		line := p.Name + "=" + strings.Join(p.Sources, ",")
		q, err := ParseProduct(line)
		if err != nil || q.Name != p.Name || strings.Join(q.Sources, ",") != strings.Join(p.Sources, ",") {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, p, line, q, err)
		}
	})
}
