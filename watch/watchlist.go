package watch

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"

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
//	    paused: false
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
	Paused   bool     `yaml:"paused"`
}

// ParseWatchlist reads a watchlist (name is the file, for messages) and
// returns its sources, validated: every entry has a name, an http(s) URL
// and a supplier; kinds, cron schedules and CSS selectors parse; names and
// URLs are not repeated. Errors name the file and line.
func ParseWatchlist(data []byte, name string) ([]store.Source, error) {
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
	var out []store.Source
	for i, e := range wl.Sources {
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		bad := func(format string, a ...any) error {
			return fmt.Errorf("%w: %s:%d: source %d: %s", ErrWatchlist, name, line, i+1, fmt.Sprintf(format, a...))
		}
		switch {
		case e.Name == "":
			return nil, bad("no name")
		case e.URL == "":
			return nil, bad("%q has no url", e.Name)
		case e.Supplier == "":
			return nil, bad("%q has no supplier", e.Name)
		}
		if u, err := url.Parse(e.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, bad("%q: url %q is not an http or https URL", e.Name, e.URL)
		}
		kind := store.Kind(e.Kind)
		switch kind {
		case "":
			kind = store.Privacy
		case store.Privacy, store.Terms:
		default:
			return nil, bad("%q: kind %q (want privacy or terms)", e.Name, e.Kind)
		}
		if e.Schedule != "" {
			if err := ParseSchedule(e.Schedule); err != nil {
				return nil, bad("%q: %v", e.Name, err)
			}
		}
		if err := extract.CheckSelectors(e.Select, e.Remove); err != nil {
			return nil, bad("%q: %v", e.Name, err)
		}
		if prev, ok := seenName[e.Name]; ok {
			return nil, bad("name %q is already used at line %d", e.Name, prev)
		}
		if prev, ok := seenURL[e.URL]; ok {
			return nil, bad("url %s is already listed at line %d", e.URL, prev)
		}
		seenName[e.Name], seenURL[e.URL] = line, line
		out = append(out, store.Source{Name: e.Name, URL: e.URL, Supplier: e.Supplier, Kind: kind, Schedule: e.Schedule,
			Select: e.Select, Remove: e.Remove, Paused: e.Paused, Origin: "watchlist"})
	}
	return out, nil
}
