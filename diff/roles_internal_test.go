package diff

import (
	"slices"
	"testing"
)

var domainSeeds = []string{
	"Write to privacy@example.com or visit example.com/privacy.",
	"See x.ai, uptimerobot.com/blog and e.g. U.S. law. Ends. Next",
	"(docs.github.com/en) and Node.JS or data.We stay",
	"a.b\vc.d\u00a0e.fr\tf.io",
	"..a..b.. 1.2.3 v2.0-beta.x",
	"0-.AA and x-.io",
	"",
}

// TestDomainSpans: searching only the runs with an inner dot finds what
// searching the whole text finds.
func TestDomainSpans(t *testing.T) {
	for _, s := range domainSeeds {
		if got, want := domainSpans(s), bareDomain.FindAllStringIndex(s, -1); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%q: %v, want %v", s, got, want)
		}
	}
}

func FuzzDomainSpans(f *testing.F) {
	for _, s := range domainSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := domainSpans(s), bareDomain.FindAllStringIndex(s, -1); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%q: %v, want %v", s, got, want)
		}
	})
}

// FuzzPhonePrefilter: text with fewer than seven ASCII digits holds no
// phone number markPhones would mark.
func FuzzPhonePrefilter(f *testing.F) {
	for _, s := range []string{"+1 (510) 555-0100", "call 555 0100", "١٢٣٤٥٦٧٨ 12", "2024-01-01 12"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if asciiDigits(s) >= 7 {
			return
		}
		toks := tokenize(s, nil)
		before := slices.Clone(toks)
		markPhones(s, toks)
		if !slices.Equal(toks, before) {
			t.Errorf("%q: markPhones marked a number with %d digits", s, asciiDigits(s))
		}
	})
}
