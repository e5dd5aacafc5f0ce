package diff_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
)

// TestHTMLEscapesPolicyText: policy text is untrusted; the report must
// never carry it as markup.
func TestHTMLEscapesPolicyText(t *testing.T) {
	hostile := func(extra string) *extract.Document {
		d, err := extract.Text([]byte("Sharing <script>alert(1)</script>\n\nWe share data with <img src=x onerror=alert(2)> partners" + extra + ".\n"))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	r := diff.Compare(hostile(""), hostile(", advertisers and data brokers"), nil)
	var b bytes.Buffer
	if err := diff.WriteHTML(&b, r, diff.HTMLOptions{OldName: "<b>old</b>", NewName: "new"}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, bad := range []string{"<script>", "<img", "<b>old</b>"} {
		if strings.Contains(out, bad) {
			t.Errorf("report contains unescaped %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;", "Content-Security-Policy", "<ins>", "Re-vet: yes."} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestHTMLSeedReport(t *testing.T) {
	r := diff.Compare(fixtureDoc(t, "pages/ims/2019-05-06.html"), fixtureDoc(t, "pages/ims/2022-05-17.html"), nil)
	var b bytes.Buffer
	if err := diff.WriteHTML(&b, r, diff.HTMLOptions{OldName: "2019", NewName: "2022"}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	sub := strings.Index(out, "<h2>Substantive (3)</h2>")
	ed := strings.Index(out, "<h2>Editorial")
	cos := strings.Index(out, "cosmetic changes</summary>")
	if sub < 0 || ed < sub || cos < ed {
		t.Errorf("want substantive, then editorial, then folded cosmetic sections (at %d, %d, %d)", sub, ed, cos)
	}
	if !strings.Contains(out, "<strong>IMS Global → 1EdTech</strong>") {
		t.Error("rename line missing")
	}
	if !strings.Contains(out, "<ins>, vetting reports, certification details, and other information-sharing capabilities</ins>") {
		t.Error("the inserted sharing text is not highlighted")
	}
}

func TestTextColor(t *testing.T) {
	r := diff.Compare(fixtureDoc(t, "pages/cor/2016-03-17.html"), fixtureDoc(t, "pages/cor/2016-09-01.html"), nil)
	var plain, color bytes.Buffer
	diff.WriteText(&plain, r, diff.TextOptions{})
	diff.WriteText(&color, r, diff.TextOptions{Color: true})
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("plain report has escape codes")
	}
	if !strings.Contains(plain.String(), "[-do not-]") && !strings.Contains(plain.String(), "[-do not ") {
		t.Errorf("plain report does not mark the deletion wdiff-style:\n%s", plain.String())
	}
	if !strings.Contains(color.String(), "\x1b[31m") || !strings.Contains(color.String(), "\x1b[32m") {
		t.Error("colour report lacks red/green")
	}
}
