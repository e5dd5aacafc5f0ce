package watch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/store"
	"go.yaml.in/yaml/v3"
)

// ErrWatchlist means a watchlist file is malformed; the message names the
// file and line.
var ErrWatchlist = errors.New("watch: bad watchlist")

// A watchlist declares sources in bulk:
//
//	sources:
//	  - name: ims-privacy
//	    url: https://www.imsglobal.org/privacy
//	    supplier: 1EdTech Consortium
//	    kind: privacy            # or terms; default privacy
//	    schedule: "0 6 * * *"    # cron spec or @daily, @every 6h; optional
//	    select: ["main article"] # CSS; optional
//	    remove: [".newsletter"]  # CSS; optional
//	    section: Privacy Policy  # heading of the document to keep; optional
//	    paused: false
//	    tags: [k12, lti]         # the staff's labels; optional
type watchlist struct {
	Sources []watchlistEntry `yaml:"sources"`
}

type watchlistEntry struct {
	Name     string   `yaml:"name"`
	URL      string   `yaml:"url"`
	Supplier string   `yaml:"supplier"`
	Kind     string   `yaml:"kind"`
	Schedule string   `yaml:"schedule"`
	Select   []string `yaml:"select"`
	Remove   []string `yaml:"remove"`
	Section  string   `yaml:"section"`
	Render   string   `yaml:"render"`
	Paused   bool     `yaml:"paused"`
	Tags     []string `yaml:"tags"`
}

// ParseWatchlist reads a watchlist (name is the file, for messages) and
// returns its sources, validated: every entry has a name, an http(s) URL
// and a supplier; kinds, cron schedules and CSS selectors parse; names,
// suppliers, sections and tags are storable (store.ValidName,
// store.ValidTags); names and URLs are not repeated. Errors name the file
// and line; the first bad entry's is returned.
func ParseWatchlist(data []byte, name string) ([]store.Source, error) {
	entries, err := ParseWatchlistEntries(data, name)
	if err != nil {
		return nil, err
	}
	out := make([]store.Source, 0, len(entries))
	for _, e := range entries {
		if e.Err != nil {
			return nil, e.Err
		}
		out = append(out, e.Source)
	}
	return out, nil
}

// WatchlistEntry is one entry of a watchlist, checked on its own: the
// source it declares, or Err saying why it cannot be stored (naming the
// file and line).
type WatchlistEntry struct {
	Line   int
	Source store.Source
	Err    error
}

// ParseWatchlistEntries reads a watchlist as ParseWatchlist does, but
// checks every entry and reports each bad one (for a form that lists
// them all). The error is the file's own: not YAML, unknown fields, no
// sources.
func ParseWatchlistEntries(data []byte, name string) ([]WatchlistEntry, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrWatchlist, name, err)
	}
	var wl watchlist
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&wl); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrWatchlist, name, err)
	}
	// The entry nodes, for line numbers.
	var lines []int
	if len(root.Content) == 1 && root.Content[0].Kind == yaml.MappingNode {
		m := root.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "sources" {
				for _, n := range m.Content[i+1].Content {
					lines = append(lines, n.Line)
				}
			}
		}
	}
	if len(wl.Sources) == 0 {
		return nil, fmt.Errorf("%w: %s: no sources (want a top-level \"sources:\" list)", ErrWatchlist, name)
	}
	seenName, seenURL := map[string]int{}, map[string]int{}
	out := make([]WatchlistEntry, len(wl.Sources))
	for i, e := range wl.Sources {
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		src, why := e.check(seenName, seenURL, line)
		out[i] = WatchlistEntry{Line: line, Source: src}
		if why != "" {
			out[i].Err = fmt.Errorf("%w: %s:%d: source %d: %s", ErrWatchlist, name, line, i+1, why)
		}
	}
	return out, nil
}

// check validates one entry (seen names and URLs are the entries before
// it, by line) and says why it cannot be stored, or "".
func (e watchlistEntry) check(seenName, seenURL map[string]int, line int) (store.Source, string) {
	switch {
	case e.Name == "":
		return store.Source{}, "no name"
	case e.URL == "":
		return store.Source{}, fmt.Sprintf("%q has no url", e.Name)
	case e.Supplier == "":
		return store.Source{}, fmt.Sprintf("%q has no supplier", e.Name)
	}
	if err := store.ValidName(store.SourceName, e.Name); err != nil {
		return store.Source{}, err.Error()
	}
	if err := store.ValidName(store.SupplierName, e.Supplier); err != nil {
		return store.Source{}, err.Error()
	}
	if err := store.ValidURL("URL", e.URL); err != nil {
		return store.Source{}, fmt.Sprintf("%q: %v", e.Name, err)
	}
	kind := store.Kind(e.Kind)
	switch kind {
	case "":
		kind = store.Privacy
	case store.Privacy, store.Terms:
	default:
		return store.Source{}, fmt.Sprintf("%q: kind %q (want privacy or terms)", e.Name, e.Kind)
	}
	if e.Schedule != "" {
		if err := ParseSchedule(e.Schedule); err != nil {
			return store.Source{}, fmt.Sprintf("%q: %v", e.Name, err)
		}
	}
	if err := extract.CheckSelectors(e.Select, e.Remove); err != nil {
		return store.Source{}, fmt.Sprintf("%q: %v", e.Name, err)
	}
	if e.Section != "" {
		if err := store.ValidName(store.SectionName, e.Section); err != nil {
			return store.Source{}, fmt.Sprintf("%q: %v", e.Name, err)
		}
	}
	if e.Render != "" {
		if _, err := store.ParseRenderMode(e.Render); err != nil {
			return store.Source{}, fmt.Sprintf("%q: %v", e.Name, err)
		}
	}
	tags, err := store.ValidTags(e.Tags)
	if err != nil {
		return store.Source{}, fmt.Sprintf("%q: %v", e.Name, err)
	}
	if prev, ok := seenName[e.Name]; ok {
		return store.Source{}, fmt.Sprintf("name %q is already used at line %d", e.Name, prev)
	}
	if prev, ok := seenURL[e.URL]; ok {
		return store.Source{}, fmt.Sprintf("url %s is already listed at line %d", e.URL, prev)
	}
	seenName[e.Name], seenURL[e.URL] = line, line
	return store.Source{Name: e.Name, URL: e.URL, Supplier: e.Supplier, Kind: kind, Schedule: e.Schedule,
		Select: e.Select, Remove: e.Remove, Section: e.Section, Render: store.RenderMode(e.Render), Paused: e.Paused, Tags: tags,
		Origin: "watchlist"}, ""
}

// WatchlistReport says what applying a watchlist changed, by source name.
type WatchlistReport struct {
	Added, Updated, Paused []string
	// Unchanged counts listed sources already as the list says.
	Unchanged int
}

// ApplyWatchlist makes the store's sources match a parsed watchlist: new
// names are added, listed sources take the list's settings (matched by
// name, or by URL for a renamed entry), and sources that came from a
// watchlist but are no longer listed are paused — never deleted, so their
// history stays. Sources added by other means are left alone. One
// source's error does not stop the others; they are returned joined.
func ApplyWatchlist(ctx context.Context, db store.Store, listed []store.Source) (WatchlistReport, error) {
	var rep WatchlistReport
	var errs []error
	keep := map[uint64]bool{}
	var fresh []store.Source // to add
	for _, want := range listed {
		old, err := db.Source(ctx, want.Name)
		if errors.Is(err, store.ErrNotFound) {
			old, err = db.Source(ctx, want.URL)
		}
		switch {
		case errors.Is(err, store.ErrNotFound):
			want.Origin = "watchlist"
			fresh = append(fresh, want)
		case err != nil:
			errs = append(errs, fmt.Errorf("source %s: %w", want.Name, err))
		default:
			keep[old.ID] = true
			updated := old
			updated.Name, updated.URL, updated.Supplier, updated.Kind = want.Name, want.URL, want.Supplier, want.Kind
			updated.Schedule, updated.Select, updated.Remove, updated.Paused = want.Schedule, want.Select, want.Remove, want.Paused
			updated.Section, updated.Render, updated.Tags = want.Section, want.Render, want.Tags
			// The list's word on private addresses is the operator's
			// grant for the listed URL: given again at each apply,
			// cleared when the list no longer gives it.
			updated.AllowPrivate = want.AllowPrivate
			if sameSettings(old, updated) {
				rep.Unchanged++
				continue
			}
			if err := db.UpdateSource(ctx, updated); err != nil {
				errs = append(errs, err)
				continue
			}
			if want.AllowPrivate && (!old.AllowPrivate || old.URL != want.URL) {
				if err := db.GrantPrivate(ctx, old.ID, want.URL); err != nil {
					errs = append(errs, err)
					continue
				}
			}
			rep.Updated = append(rep.Updated, want.Name)
		}
	}
	// New sources in one transaction; if one is refused, one by one, so
	// the others still go in and the error names the one.
	added, err := db.AddSources(ctx, fresh)
	if err != nil {
		added = nil
		for _, s := range fresh {
			a, err := db.AddSource(ctx, s)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			added = append(added, a)
		}
	}
	for _, a := range added {
		keep[a.ID] = true
		rep.Added = append(rep.Added, a.Name)
	}
	all, err := db.Sources(ctx)
	if err != nil {
		return rep, errors.Join(append(errs, err)...)
	}
	for _, s := range all {
		if s.Origin != "watchlist" || s.Paused || keep[s.ID] {
			continue
		}
		s.Paused = true
		if err := db.UpdateSource(ctx, s); err != nil {
			errs = append(errs, err)
			continue
		}
		rep.Paused = append(rep.Paused, s.Name)
	}
	return rep, errors.Join(errs...)
}

// sameSettings reports whether two versions of a source read the same.
func sameSettings(a, b store.Source) bool {
	return a.Name == b.Name && a.URL == b.URL && a.Supplier == b.Supplier && a.Kind == b.Kind && a.Schedule == b.Schedule &&
		slices.Equal(a.Select, b.Select) && slices.Equal(a.Remove, b.Remove) && a.Section == b.Section && a.Render == b.Render && a.Paused == b.Paused &&
		a.AllowPrivate == b.AllowPrivate && slices.Equal(a.Tags, b.Tags)
}
