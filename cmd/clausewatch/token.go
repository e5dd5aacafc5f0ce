package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

// runToken implements "clausewatch token add|list|revoke|role".
func runToken(ctx context.Context, e *env, args []string) error {
	stdout := e.stdout
	c := e.command("token", "token add NAME [--role viewer|reviewer|admin] | token list | token revoke NAME | token role NAME ROLE",
		"Manages the API tokens of the web server. A token is shown once, when it is made; only its\n"+
			"SHA-256 is stored. Use it as 'Authorization: Bearer TOKEN', as the password of HTTP Basic\n"+
			"auth (feed readers), or to sign in to the web pages. Its name is who triaged a change.\n"+
			"Its role says what it may change: a viewer reads, a reviewer also triages changes, an\n"+
			"admin also manages sources, suppliers, tokens, webhooks and e-mail. 'token role NAME ROLE'\n"+
			"changes a token's role, for its signed-in browsers too; the last admin cannot be demoted.", true)
	roleName := c.fs.String("role", string(store.RoleAdmin), "what the token may change (token add): viewer, reviewer or admin")
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	verb, rest := c.fs.Arg(0), c.fs.Args()
	if len(rest) > 0 {
		rest = rest[1:]
	}
	switch {
	case verb == "add" && len(rest) == 1, verb == "revoke" && len(rest) == 1, verb == "list" && len(rest) == 0,
		verb == "role" && len(rest) == 2:
	default:
		return usageError("token: want 'token add NAME', 'token list', 'token revoke NAME' or 'token role NAME ROLE' (see clausewatch token -h)")
	}
	role, err := store.ParseRole(*roleName)
	if err != nil {
		return usageError("token: --role: %v", err)
	}
	if verb == "role" {
		if role, err = store.ParseRole(rest[1]); err != nil {
			return usageError("token role: %v", err)
		}
	}
	db, closeDB, err := c.open(ctx, verb == "add")
	if err != nil {
		return err
	}
	defer closeDB()
	switch verb {
	case "add":
		secret, tok, err := db.CreateToken(ctx, rest[0], role)
		if err != nil {
			return fmt.Errorf("token: %w", err)
		}
		if *c.asJSON {
			return json.NewEncoder(stdout).Encode(map[string]any{"name": tok.Name, "role": tok.Role, "token": secret, "created": tok.Created})
		}
		fmt.Fprintf(stdout, "%s\n", secret)
		fmt.Fprintf(stdout, "(token %q, %s: shown this once; only its hash is stored)\n", tok.Name, tok.Role)
	case "list":
		toks, err := db.Tokens(ctx)
		if err != nil {
			return fmt.Errorf("token: %w", err)
		}
		if *c.asJSON {
			type row struct {
				Name    string     `json:"name"`
				Role    store.Role `json:"role"`
				Created time.Time  `json:"created"`
			}
			out := []row{}
			for _, t := range toks {
				out = append(out, row{t.Name, t.EffectiveRole(), t.Created})
			}
			return json.NewEncoder(stdout).Encode(out)
		}
		for _, t := range toks {
			fmt.Fprintf(stdout, "%s\t%s\t%s\n", termSafe(t.Name), t.EffectiveRole(), t.Created.Format(time.RFC3339))
		}
	case "revoke":
		if err := db.RevokeToken(ctx, rest[0]); err != nil {
			return fmt.Errorf("token: %w", err)
		}
		fmt.Fprintf(stdout, "token %q revoked (and its sessions ended)\n", rest[0])
	case "role":
		tok, err := db.SetTokenRole(ctx, rest[0], role)
		if err != nil {
			return fmt.Errorf("token: %w", err)
		}
		if *c.asJSON {
			return json.NewEncoder(stdout).Encode(map[string]any{"name": tok.Name, "role": tok.Role})
		}
		fmt.Fprintf(stdout, "token %q is now %s (its signed-in browsers too)\n", tok.Name, tok.Role)
	}
	return nil
}
