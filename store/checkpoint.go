package store

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrKey means the log's signing key is missing, unreadable or not the key
// the log was signed with.
var ErrKey = errors.New("store: log signing key")

// Checkpoint is a signed statement of the transparency log's size and root
// hash, in the C2SP tlog-checkpoint format: the origin line, the size in
// decimal, the root hash in base64, then one extension line "time T" with
// when it was signed (RFC 3339, UTC).
type Checkpoint struct {
	// Origin names the log: "clausewatch/" and the database's instance ID.
	Origin string `json:"origin"`
	// Size is the number of records the tree holds.
	Size int64 `json:"size"`
	// Hash is the RFC 6962 root hash of those records.
	Hash tlog.Hash `json:"hash"`
	// Time is when the checkpoint was signed, by the signer's clock.
	Time time.Time `json:"time"`
}

// Text is the checkpoint's body, the text the signature covers.
func (c Checkpoint) Text() []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\ntime %s\n", c.Origin, c.Size, c.Hash, c.Time.UTC().Format(time.RFC3339Nano))
}

// ParseCheckpoint reads a checkpoint's body (without signatures).
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	bad := func(why string) (Checkpoint, error) {
		return Checkpoint{}, fmt.Errorf("malformed checkpoint: %s", why)
	}
	if len(text) == 0 || text[len(text)-1] != '\n' || len(text) > 1<<12 {
		return bad("not newline-terminated text of at most 4 KiB")
	}
	lines := strings.Split(string(text[:len(text)-1]), "\n")
	if len(lines) != 4 {
		return bad(fmt.Sprintf("%d lines, want 4 (origin, size, root hash, time)", len(lines)))
	}
	var c Checkpoint
	c.Origin = lines[0]
	if c.Origin == "" || strings.ContainsAny(c.Origin, " \t") {
		return bad("empty origin or origin with spaces")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return bad(fmt.Sprintf("size %q", lines[1]))
	}
	c.Size = n
	if c.Hash, err = tlog.ParseHash(lines[2]); err != nil || c.Hash.String() != lines[2] {
		return bad(fmt.Sprintf("root hash %q", lines[2]))
	}
	ts, ok := strings.CutPrefix(lines[3], "time ")
	if !ok {
		return bad("no time line")
	}
	if c.Time, err = time.Parse(time.RFC3339Nano, ts); err != nil || c.Time.UTC().Format(time.RFC3339Nano) != ts {
		return bad(fmt.Sprintf("time %q", ts))
	}
	return c, nil
}

// SignedCheckpoint is a checkpoint with its signed note (the text the
// verifier checks).
type SignedCheckpoint struct {
	Checkpoint
	Note []byte `json:"note"`
}

// OpenCheckpoint checks a signed checkpoint note against the verifier key
// vkey (as printed by "clausewatch key") and parses it.
func OpenCheckpoint(signed []byte, vkey string) (Checkpoint, error) {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("public key %q: %w", vkey, err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		var unknown *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &invalid):
			return Checkpoint{}, fmt.Errorf("checkpoint signature by %s does not verify: the checkpoint or its signature was altered", invalid.Name)
		case errors.As(err, &unknown):
			return Checkpoint{}, fmt.Errorf("checkpoint is not signed by key %s", v.Name())
		}
		return Checkpoint{}, fmt.Errorf("checkpoint note: %w", err)
	}
	return ParseCheckpoint([]byte(n.Text))
}

// signCheckpoint signs c with s.
func signCheckpoint(c Checkpoint, s note.Signer) ([]byte, error) {
	return note.Sign(&note.Note{Text: string(c.Text())}, s)
}

// keyName is the note key name of a database's log.
func keyName(instance string) string {
	if len(instance) > 16 {
		instance = instance[:16]
	}
	return "clausewatch-" + instance
}

// logKey is the log's signing key, loaded from the key file.
type logKey struct {
	signer note.Signer
	vkey   string
}

// loadKey reads the signer key in path. With create, a missing file is
// made: a new ed25519 key named name, written with mode 0600.
func loadKey(path, name string, create bool) (*logKey, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		skey, _, gerr := note.GenerateKey(rand.Reader, name)
		if gerr != nil {
			return nil, fmt.Errorf("%w: generate: %v", ErrKey, gerr)
		}
		f, cerr := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if cerr != nil {
			return nil, fmt.Errorf("%w: create %s: %v", ErrKey, path, cerr)
		}
		_, werr := f.WriteString(skey + "\n")
		if werr == nil {
			werr = f.Sync()
		}
		if err := f.Close(); werr == nil {
			werr = err
		}
		if werr != nil {
			os.Remove(path)
			return nil, fmt.Errorf("%w: write %s: %v", ErrKey, path, werr)
		}
		data = []byte(skey)
	} else if err != nil {
		return nil, fmt.Errorf("%w: read %s: %v", ErrKey, path, err)
	}
	skey := string(bytes.TrimSpace(data))
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not a signer key: %v", ErrKey, path, err)
	}
	vkey, err := verifierKeyOf(skey)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrKey, path, err)
	}
	return &logKey{signer: s, vkey: vkey}, nil
}

// verifierKeyOf derives the public verifier key from a signer key
// ("PRIVATE+KEY+name+hash+base64(alg, seed)").
func verifierKeyOf(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5) // base64 may hold "+"
	if len(parts) != 5 {
		return "", errors.New("malformed signer key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", errors.New("not an ed25519 signer key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}

// EvidencePrefix starts every text SignEvidence signs, so that no signed
// evidence can be mistaken for a checkpoint (whose first line is an
// origin without spaces, and whose second is a number).
const EvidencePrefix = "clausewatch evidence bundle v1\n"

// SignEvidence signs text, which must start with EvidencePrefix, with the
// log's key, and returns the signed note (text, a blank line, the
// signature line).
func (d *DB) SignEvidence(text []byte) ([]byte, error) {
	return signEvidence(d.key, text)
}

// signEvidence signs evidence text with key (nil: open read-only).
func signEvidence(key *logKey, text []byte) ([]byte, error) {
	if key == nil {
		return nil, fmt.Errorf("%w: none loaded (the database is open read-only)", ErrKey)
	}
	if !bytes.HasPrefix(text, []byte(EvidencePrefix)) {
		return nil, fmt.Errorf("%w: evidence to sign must start with %q", ErrInvalid, EvidencePrefix)
	}
	return note.Sign(&note.Note{Text: string(text)}, key.signer)
}

// OpenEvidence checks a note signed by SignEvidence against the verifier
// key vkey and returns its text.
func OpenEvidence(signed []byte, vkey string) ([]byte, error) {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("public key %q: %w", vkey, err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("signature by %s does not verify: %w", v.Name(), err)
	}
	if !strings.HasPrefix(n.Text, EvidencePrefix) {
		return nil, fmt.Errorf("signed text is not evidence (no %q line)", strings.TrimSpace(EvidencePrefix))
	}
	return []byte(n.Text), nil
}
