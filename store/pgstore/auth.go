package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/jackc/pgx/v5"
)

// CreateToken makes a new API token and returns its secret (only its
// hash is stored).
func (d *DB) CreateToken(ctx context.Context, name string, role store.Role) (string, store.Token, error) {
	name, err := store.PrepareToken(name, role)
	if err != nil {
		return "", store.Token{}, err
	}
	secret, err := store.NewTokenSecret()
	if err != nil {
		return "", store.Token{}, err
	}
	t := store.Token{V: 1, Name: name, Hash: store.SecretHash(secret), Created: d.now().UTC(), Role: role}
	_, err = d.pool.Exec(ctx, "INSERT INTO tokens (hash, name, doc) VALUES ($1, $2, $3)", t.Hash, t.Name, t)
	if isUnique(err, "tokens_name_key") {
		err = fmt.Errorf("%w: a token named %q", store.ErrExists, name)
	}
	if err != nil {
		return "", store.Token{}, fmt.Errorf("create token %q: %w", name, err)
	}
	return secret, t, nil
}

// TokenFor returns the token whose secret is secret.
func (d *DB) TokenFor(ctx context.Context, secret string) (store.Token, error) {
	if !store.IsTokenSecret(secret) {
		return store.Token{}, store.ErrNotFound
	}
	var t store.Token
	if err := d.pool.QueryRow(ctx, "SELECT doc FROM tokens WHERE hash = $1", store.SecretHash(secret)).Scan(&t); err != nil {
		return store.Token{}, fmt.Errorf("token: %w", notFound(err))
	}
	return t, nil
}

// Tokens lists the tokens.
func (d *DB) Tokens(ctx context.Context) ([]store.Token, error) {
	out, err := docs[store.Token](ctx, d.pool, "SELECT doc FROM tokens ORDER BY hash")
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken deletes a token, every session signed in with it and the
// e-mail subscriptions it owns (their unsent mail marked failed).
func (d *DB) RevokeToken(ctx context.Context, name string) error {
	err := d.tx(ctx, func(tx pgx.Tx) error {
		var hash string
		if err := tx.QueryRow(ctx, "DELETE FROM tokens WHERE name = $1 RETURNING hash", name).Scan(&hash); err != nil {
			return notFound(err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE token_hash = $1", hash); err != nil {
			return err
		}
		return dropSubscriptionsOf(ctx, tx, name)
	})
	if err != nil {
		return fmt.Errorf("revoke token %q: %w", name, err)
	}
	return nil
}

// SetTokenRole gives the token named name role; its sessions have it
// from their next request on. The token rows are locked while the admins
// are counted, so two demotions at once cannot both pass the last-admin
// check.
func (d *DB) SetTokenRole(ctx context.Context, name string, role store.Role) (store.Token, error) {
	var t store.Token
	err := d.tx(ctx, func(tx pgx.Tx) error {
		all, err := docs[store.Token](ctx, tx, "SELECT doc FROM tokens ORDER BY hash FOR UPDATE")
		if err != nil {
			return err
		}
		if t, err = store.ChangeRole(all, name, role); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE tokens SET doc = $2 WHERE hash = $1", t.Hash, t)
		return err
	})
	if err != nil {
		return store.Token{}, fmt.Errorf("set the role of token %q: %w", name, err)
	}
	return t, nil
}

// CreateSession signs in the holder of tok for ttl, sweeping expired
// sessions.
func (d *DB) CreateSession(ctx context.Context, tok store.Token, ttl time.Duration) (string, store.Session, error) {
	secret, csrf, err := store.NewSessionSecrets()
	if err != nil {
		return "", store.Session{}, err
	}
	now := d.now().UTC()
	s := store.Session{V: 1, Hash: store.SecretHash(secret), User: tok.Name, TokenHash: tok.Hash, CSRF: csrf, Created: now, Expires: now.Add(ttl), Role: tok.EffectiveRole()}
	err = d.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE expires_ns <= $1", ns(now)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO sessions (hash, token_hash, expires_ns, doc) VALUES ($1, $2, $3, $4)", s.Hash, s.TokenHash, ns(s.Expires), s)
		return err
	})
	if err != nil {
		return "", store.Session{}, fmt.Errorf("create session for %q: %w", tok.Name, err)
	}
	return secret, s, nil
}

// SessionFor returns the live session whose secret is secret.
func (d *DB) SessionFor(ctx context.Context, secret string) (store.Session, error) {
	var s store.Session
	var t store.Token
	err := d.pool.QueryRow(ctx, `SELECT s.doc, t.doc FROM sessions s JOIN tokens t ON t.hash = s.token_hash
		WHERE s.hash = $1 AND s.expires_ns > $2`, store.SecretHash(secret), ns(d.now())).Scan(&s, &t)
	if err != nil {
		return store.Session{}, fmt.Errorf("session: %w", notFound(err))
	}
	s.Role = t.EffectiveRole() // the token's role now, not at sign-in
	return s, nil
}

// EndSession deletes the session whose secret is secret.
func (d *DB) EndSession(ctx context.Context, secret string) error {
	if _, err := d.pool.Exec(ctx, "DELETE FROM sessions WHERE hash = $1", store.SecretHash(secret)); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}
