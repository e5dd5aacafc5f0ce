package web_test

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/web"
)

// rfc4287 is the part of an Atom document RFC 4287 requires (§4.1.1,
// §4.1.2): the feed's id, title and updated, an author on the feed or on
// every entry, and for each entry its id, title and updated, plus content
// or a link rel="alternate".
type rfc4287 struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Author  []struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Links []struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Entries []struct {
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Updated string `xml:"updated"`
		Links   []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Content struct {
			Type string `xml:"type,attr"`
			Body string `xml:",chardata"`
		} `xml:"content"`
	} `xml:"entry"`
}

func checkRFC4287(t *testing.T, body string) rfc4287 {
	t.Helper()
	var f rfc4287
	if err := xml.Unmarshal([]byte(body), &f); err != nil {
		t.Fatalf("atom: %v", err)
	}
	isTime := func(s string) bool { _, err := time.Parse(time.RFC3339, s); return err == nil }
	if f.ID == "" || !strings.HasPrefix(f.ID, "urn:uuid:") || f.Title == "" || !isTime(f.Updated) || len(f.Author) == 0 || f.Author[0].Name == "" {
		t.Errorf("feed misses a required element: id %q title %q updated %q author %v", f.ID, f.Title, f.Updated, f.Author)
	}
	self := false
	for _, l := range f.Links {
		self = self || l.Rel == "self" && strings.HasPrefix(l.Href, "http")
	}
	if !self {
		t.Errorf("no rel=self link")
	}
	ids := map[string]bool{}
	for _, e := range f.Entries {
		if e.ID == "" || e.Title == "" || !isTime(e.Updated) || (e.Content.Body == "" && len(e.Links) == 0) {
			t.Errorf("entry misses a required element: %+v", e)
		}
		if ids[e.ID] {
			t.Errorf("entry id %s twice", e.ID)
		}
		ids[e.ID] = true
	}
	return f
}

func TestAtomFeed(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})

	resp, body := do(t, "GET", srv.URL+"/feed.atom", "", "", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/atom+xml; charset=utf-8" {
		t.Fatalf("atom: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	f := checkRFC4287(t, body)
	feed, err := gofeed.NewParser().ParseString(body)
	if err != nil {
		t.Fatalf("gofeed: %v", err)
	}
	if feed.FeedType != "atom" || len(feed.Items) != 3 || len(f.Entries) != 3 {
		t.Fatalf("feed: type %s, %d items", feed.FeedType, len(feed.Items))
	}
	rename := h.changeOf(t, h.IMS, 3)
	var found *gofeed.Item
	for _, it := range feed.Items {
		if strings.HasSuffix(it.Link, "/changes/"+itoa(rename.ID)) {
			found = it
		}
	}
	if found == nil {
		t.Fatalf("no entry links to change %d", rename.ID)
	}
	if !strings.Contains(found.Title, "re-vet") || !strings.Contains(found.Content, "vetting reports") || found.UpdatedParsed == nil ||
		!strings.Contains(strings.Join(found.Categories, ","), "sharing") {
		t.Errorf("rename entry: %+v", found)
	}

	// Per supplier and re-vet only.
	_, body = do(t, "GET", srv.URL+"/feed.atom?supplier=COR", "", "", nil)
	cor := checkRFC4287(t, body)
	if len(cor.Entries) != 1 || cor.ID == f.ID || !strings.Contains(cor.Title, "COR") {
		t.Errorf("COR feed: %d entries, id %s", len(cor.Entries), cor.ID)
	}
	_, body = do(t, "GET", srv.URL+"/feed.atom?revet=1", "", "", nil)
	revet := checkRFC4287(t, body)
	for _, e := range revet.Entries {
		if !strings.Contains(e.Title, "(re-vet)") {
			t.Errorf("re-vet feed has %q", e.Title)
		}
	}

	// The JSON feed has the same entries, with the same IDs.
	_, body = do(t, "GET", srv.URL+"/feed.json", "", "", nil)
	jf, err := gofeed.NewParser().ParseString(body)
	if err != nil || jf.FeedType != "json" || len(jf.Items) != len(f.Entries) {
		t.Fatalf("json feed: %v %+v", err, jf)
	}
	for i, it := range jf.Items {
		if it.GUID != f.Entries[i].ID {
			t.Errorf("json item %d id %s, atom %s", i, it.GUID, f.Entries[i].ID)
		}
	}

	// Triage moves the entry's updated time, not its id.
	tok := token(t, h.DB, "alice")
	h.Clock.Set(day("2022-06-05"))
	do(t, "POST", srv.URL+"/api/changes/"+itoa(rename.ID)+"/triage", tok, `{"state":"reviewed"}`, nil)
	_, body = do(t, "GET", srv.URL+"/feed.atom", "", "", nil)
	after := checkRFC4287(t, body)
	for i := range after.Entries {
		if after.Entries[i].ID != f.Entries[i].ID {
			t.Errorf("entry %d id changed: %s → %s", i, f.Entries[i].ID, after.Entries[i].ID)
		}
	}
	if after.Updated != "2022-06-05T06:00:00Z" {
		t.Errorf("feed updated after triage: %s", after.Updated)
	}

	// IDs are stable across a restart: close the database, open it again,
	// new server on another port.
	srv.Close()
	if err := h.DB.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(h.Path, store.Options{Now: h.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	h.DB = db
	srv2 := serve(t, web.Options{DB: db, OpenRead: true, Now: h.Clock.Now})
	_, body = do(t, "GET", srv2.URL+"/feed.atom", "", "", nil)
	again := checkRFC4287(t, body)
	if again.ID != f.ID || len(again.Entries) != len(f.Entries) {
		t.Fatalf("after restart: feed id %s (was %s), %d entries", again.ID, f.ID, len(again.Entries))
	}
	for i := range again.Entries {
		if again.Entries[i].ID != f.Entries[i].ID {
			t.Errorf("entry %d id after restart: %s, was %s", i, again.Entries[i].ID, f.Entries[i].ID)
		}
	}
}

// TestFeedSupplierFollowsStore: a supplier reassigned outside this
// server (the command line, another process) moves the source's changes
// between the suppliers' feeds at once: the filter is read from the
// store's supplier index in the page's own transaction, not from a cache.
func TestFeedSupplierFollowsStore(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	count := func(supplier string) int {
		t.Helper()
		_, body := do(t, "GET", srv.URL+"/feed.atom?supplier="+supplier, "", "", nil)
		return len(checkRFC4287(t, body).Entries)
	}
	if cor, ims := count("COR"), count("1EdTech+Consortium"); cor != 1 || ims != 2 {
		t.Fatalf("before: COR %d entries, 1EdTech %d; want 1 and 2", cor, ims)
	}
	cor := h.COR
	cor.Supplier = "1EdTech Consortium"
	if err := h.DB.UpdateSource(t.Context(), cor); err != nil {
		t.Fatal(err)
	}
	if cor, ims := count("COR"), count("1EdTech+Consortium"); cor != 0 || ims != 3 {
		t.Errorf("after reassigning cor-privacy: COR %d entries, 1EdTech %d; want 0 and 3", cor, ims)
	}
}
