package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// Token is an API token: who holds it and when it was made. Only the
// SHA-256 of the secret is stored (decision record 0011): the secret is
// shown once, when the token is created.
type Token struct {
	V       int       `json:"v"`
	Name    string    `json:"name"`
	Hash    string    `json:"hash"` // hex SHA-256 of the secret
	Created time.Time `json:"created"`
	// Role is what the holder may change; empty (tokens made before
	// roles) means admin: see EffectiveRole.
	Role Role `json:"role,omitempty"`
}

// Session is a signed-in browser: the token it signed in with, and the
// CSRF token its forms must carry. Only the SHA-256 of the session secret
// (the cookie) is stored.
type Session struct {
	V         int       `json:"v"`
	Hash      string    `json:"hash"`
	User      string    `json:"user"`       // the token's name
	TokenHash string    `json:"token_hash"` // revoking the token ends the session
	CSRF      string    `json:"csrf"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires"`
	// Role is the token's role. It is stored as it was when the session
	// began (empty: admin), but SessionFor replaces it with the token's
	// role now, so a role change reaches signed-in browsers at once.
	Role Role `json:"role,omitempty"`
}

// tokenPrefix marks clausewatch secrets, so a leaked one is recognisable
// (secret scanners match on such prefixes).
const tokenPrefix = "cw_"

// newSecret returns a random secret with the given prefix: 256 bits,
// base64url.
func newSecret(prefix string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random secret: %w", err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// secretHash is the stored form of a secret. Secrets are 256 random bits,
// so a plain SHA-256 cannot be brute-forced and needs no salt or
// stretching.
func secretHash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// CreateToken makes a new API token named name with role and returns
// its secret, which is not stored and cannot be shown again.
func (d *DB) CreateToken(ctx context.Context, name string, role Role) (string, Token, error) {
	name, err := PrepareToken(name, role)
	if err != nil {
		return "", Token{}, err
	}
	secret, err := newSecret(tokenPrefix)
	if err != nil {
		return "", Token{}, err
	}
	t := Token{V: 1, Name: name, Hash: secretHash(secret), Created: d.now().UTC(), Role: role}
	err = d.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		taken := false
		b.ForEach(func(_, v []byte) error {
			var o Token
			if decode(v, &o) == nil && o.Name == name {
				taken = true
			}
			return nil
		})
		if taken {
			return fmt.Errorf("%w: a token named %q", ErrExists, name)
		}
		return putJSON(b, []byte(t.Hash), t)
	})
	if err != nil {
		return "", Token{}, fmt.Errorf("create token %q: %w", name, err)
	}
	return secret, t, nil
}

// TokenFor returns the token whose secret is secret; ErrNotFound when
// there is none.
func (d *DB) TokenFor(ctx context.Context, secret string) (Token, error) {
	var t Token
	if !strings.HasPrefix(secret, tokenPrefix) {
		return t, ErrNotFound
	}
	err := d.view(ctx, func(tx *bbolt.Tx) error { return getJSON(tx.Bucket(bucketTokens), []byte(secretHash(secret)), &t) })
	if err != nil {
		return Token{}, fmt.Errorf("token: %w", err)
	}
	return t, nil
}

// Tokens lists the tokens (names and creation times; no secrets).
func (d *DB) Tokens(ctx context.Context) ([]Token, error) {
	var out []Token
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketTokens).ForEach(func(k, v []byte) error {
			var t Token
			if err := decode(v, &t); err != nil {
				return fmt.Errorf("token %.8s…: %w", k, err)
			}
			out = append(out, t)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken deletes the token named name, every session signed in
// with it and the e-mail subscriptions it owns (their unsent mail is
// marked failed), in one transaction.
func (d *DB) RevokeToken(ctx context.Context, name string) error {
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		var hash []byte
		b.ForEach(func(k, v []byte) error {
			var t Token
			if decode(v, &t) == nil && t.Name == name {
				hash = append([]byte(nil), k...)
			}
			return nil
		})
		if hash == nil {
			return ErrNotFound
		}
		if err := b.Delete(hash); err != nil {
			return err
		}
		sessions := tx.Bucket(bucketSessions)
		var ended [][]byte
		sessions.ForEach(func(k, v []byte) error {
			var s Session
			if decode(v, &s) != nil || s.TokenHash == string(hash) {
				ended = append(ended, append([]byte(nil), k...))
			}
			return nil
		})
		for _, k := range ended {
			if err := sessions.Delete(k); err != nil {
				return err
			}
		}
		return dropSubscriptionsOf(tx, name)
	})
	if err != nil {
		return fmt.Errorf("revoke token %q: %w", name, err)
	}
	return nil
}

// SetTokenRole gives the token named name role. Its sessions have the
// new role from their next request on (SessionFor reads it from the
// token). Taking the admin role from the only admin is refused
// (ErrLastAdmin).
func (d *DB) SetTokenRole(ctx context.Context, name string, role Role) (Token, error) {
	var t Token
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		var all []Token
		b := tx.Bucket(bucketTokens)
		err := b.ForEach(func(k, v []byte) error {
			var o Token
			if err := decode(v, &o); err != nil {
				return fmt.Errorf("token %.8s…: %w", k, err)
			}
			all = append(all, o)
			return nil
		})
		if err != nil {
			return err
		}
		if t, err = ChangeRole(all, name, role); err != nil {
			return err
		}
		return putJSON(b, []byte(t.Hash), t)
	})
	if err != nil {
		return Token{}, fmt.Errorf("set the role of token %q: %w", name, err)
	}
	return t, nil
}

// CreateSession signs in the holder of tok for ttl and returns the session
// secret (for the cookie) and the session.
func (d *DB) CreateSession(ctx context.Context, tok Token, ttl time.Duration) (string, Session, error) {
	secret, err := newSecret("s_")
	if err != nil {
		return "", Session{}, err
	}
	csrf, err := newSecret("")
	if err != nil {
		return "", Session{}, err
	}
	now := d.now().UTC()
	s := Session{V: 1, Hash: secretHash(secret), User: tok.Name, TokenHash: tok.Hash, CSRF: csrf, Created: now, Expires: now.Add(ttl), Role: tok.EffectiveRole()}
	err = d.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		// Sweep expired sessions while here: sign-ins are rare, so this
		// keeps the bucket small without a janitor.
		var expired [][]byte
		b.ForEach(func(k, v []byte) error {
			var o Session
			if decode(v, &o) != nil || !o.Expires.After(now) {
				expired = append(expired, append([]byte(nil), k...))
			}
			return nil
		})
		for _, k := range expired {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return putJSON(b, []byte(s.Hash), s)
	})
	if err != nil {
		return "", Session{}, fmt.Errorf("create session for %q: %w", tok.Name, err)
	}
	return secret, s, nil
}

// SessionFor returns the live session whose secret is secret: not
// expired, and its token not revoked. ErrNotFound otherwise.
func (d *DB) SessionFor(ctx context.Context, secret string) (Session, error) {
	var s Session
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		if err := getJSON(tx.Bucket(bucketSessions), []byte(secretHash(secret)), &s); err != nil {
			return err
		}
		if !s.Expires.After(d.now()) {
			return ErrNotFound
		}
		var t Token
		if err := getJSON(tx.Bucket(bucketTokens), []byte(s.TokenHash), &t); err != nil {
			return err // ErrNotFound: the token was revoked
		}
		s.Role = t.EffectiveRole()
		return nil
	})
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	return s, nil
}

// EndSession deletes the session whose secret is secret (sign-out).
func (d *DB) EndSession(ctx context.Context, secret string) error {
	err := d.update(ctx, func(tx *bbolt.Tx) error { return tx.Bucket(bucketSessions).Delete([]byte(secretHash(secret))) })
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// SameSecret compares two secrets in constant time.
func SameSecret(a, b string) bool {
	return len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
