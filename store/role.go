package store

import (
	"fmt"
	"slices"
	"strings"
)

// Role is what a token's holder may change (decision record 0043).
// Every role reads; the web server checks each write against the role it
// needs.
type Role string

// The roles, from least to most trusted.
const (
	// RoleViewer reads: the feed, changes, sources, suppliers.
	RoleViewer Role = "viewer"
	// RoleReviewer also triages changes and writes triage notes.
	RoleReviewer Role = "reviewer"
	// RoleAdmin also manages sources, suppliers, tokens, webhooks and
	// e-mail.
	RoleAdmin Role = "admin"
)

// roleRank orders the roles, least trusted first.
var roleRank = map[Role]int{RoleViewer: 1, RoleReviewer: 2, RoleAdmin: 3}

// ParseRole reads a role name ("viewer", "reviewer" or "admin"; case and
// surrounding space do not matter).
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := roleRank[r]; !ok {
		return "", fmt.Errorf("%w: role %q (want viewer, reviewer or admin)", ErrInvalid, s)
	}
	return r, nil
}

// ParseRoleOr reads a role name like ParseRole, but an empty one is def:
// API clients and scripts written before roles send none.
func ParseRoleOr(s string, def Role) (Role, error) {
	if strings.TrimSpace(s) == "" {
		return def, nil
	}
	return ParseRole(s)
}

// Allows reports whether a holder of r may do what needs need. An
// unknown role allows nothing.
func (r Role) Allows(need Role) bool {
	have, ok := roleRank[r]
	return ok && have >= roleRank[need]
}

// EffectiveRole returns the token's role. Tokens made before roles have
// none and are admins: they could do everything then, and taking that
// away on an upgrade would lock the programme office out of its own
// server.
func (t Token) EffectiveRole() Role {
	if t.Role == "" {
		return RoleAdmin
	}
	return t.Role
}

// EffectiveRole returns the role of the token the session signed in
// with (admin for sessions made before roles, like their tokens).
func (s Session) EffectiveRole() Role {
	if s.Role == "" {
		return RoleAdmin
	}
	return s.Role
}

// PrepareToken checks a new token's name (trimming it) and role.
func PrepareToken(name string, role Role) (string, error) {
	name = strings.TrimSpace(name)
	if err := ValidName(TokenName, name); err != nil {
		return "", err
	}
	if _, ok := roleRank[role]; !ok {
		return "", fmt.Errorf("%w: role %q for token %q (want viewer, reviewer or admin)", ErrInvalid, role, name)
	}
	return name, nil
}

// ChangeRole finds the token named name among all (every token) and
// returns it with role, for SetTokenRole in both backends, which call it
// inside the transaction that writes the token back. It refuses an
// unknown role (ErrInvalid), an unknown name (ErrNotFound) and taking
// the admin role from the last token that has it (ErrLastAdmin).
func ChangeRole(all []Token, name string, role Role) (Token, error) {
	if _, ok := roleRank[role]; !ok {
		return Token{}, fmt.Errorf("%w: role %q (want viewer, reviewer or admin)", ErrInvalid, role)
	}
	i := slices.IndexFunc(all, func(t Token) bool { return t.Name == name })
	if i < 0 {
		return Token{}, ErrNotFound
	}
	t := all[i]
	if t.EffectiveRole() == RoleAdmin && role != RoleAdmin {
		admins := 0
		for _, o := range all {
			if o.EffectiveRole() == RoleAdmin {
				admins++
			}
		}
		if admins == 1 {
			return Token{}, fmt.Errorf("%w: it is the only admin token; make another admin first, or nobody could manage tokens", ErrLastAdmin)
		}
	}
	t.Role = role
	return t, nil
}
