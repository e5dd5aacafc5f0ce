package store

import (
	"fmt"
	"strings"
)

// MaxTags is the most tags a source has.
const MaxTags = 20

// ValidTags checks a source's tags and returns them tidied: trimmed,
// empty ones and repeats (ignoring case) dropped, in the order given.
// Each must be a valid name (ValidName) without a comma, since lists of
// tags are written and read comma-separated (forms, CSV).
func ValidTags(tags []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" || seen[strings.ToLower(t)] {
			continue
		}
		if err := ValidName(TagName, t); err != nil {
			return nil, err
		}
		if strings.Contains(t, ",") {
			return nil, &InputError{What: string(TagName), Value: t, Reason: "contains a comma (tags are listed comma-separated)"}
		}
		seen[strings.ToLower(t)] = true
		out = append(out, t)
	}
	if len(out) > MaxTags {
		return nil, fmt.Errorf("%w: %d tags, more than the %d allowed", ErrInvalid, len(out), MaxTags)
	}
	return out, nil
}
