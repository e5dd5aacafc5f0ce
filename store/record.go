package store

import (
	"context"
	"fmt"

	"go.etcd.io/bbolt"
)

// Record is everything one fetch adds to the history, written at once.
// The caller fills it outside any transaction from what it read with
// State and the versions; Record checks that the state has not moved
// since (State.Rev) and writes it all or nothing.
type Record struct {
	// Fetch is the attempt. ID and V are assigned here; BodySHA256 and
	// DocSHA256 are set from Body and Doc.
	Fetch Fetch
	// Body is the raw response body to keep (nil when there is none).
	Body []byte
	// BodySHA256, when set, is Hash(Body), which the caller has computed
	// already (to compare it with the current version's): Record then
	// does not hash a body of tens of KB again. Empty means Record hashes
	// Body itself.
	BodySHA256 string
	// Doc is the extracted document as JSON (nil when none).
	Doc []byte
	// State is the source's new state. Its Rev must be the Rev read;
	// Current is set here when Start is.
	State State
	// Seen extends the current version's last-seen to this fetch.
	Seen bool
	// Start is a version this fetch starts (Seq, FirstFetch when zero,
	// LastSeen and LastFetch are set here). FirstSeen and FirstFetch may
	// point at an earlier pending fetch that first saw the text.
	Start *Version
	// Change describes Start against the previous current version, with
	// Diff the diff.Result as JSON. From, To, After, Detected and Recorded
	// are set here.
	Change *Change
	Diff   []byte
	// Due, when set, is the source's next due time, written in the same
	// transaction (its LastEnd is set to the fetch's end).
	Due *Due
}

// Record writes r and returns the fetch as stored, and the change when it
// recorded one. It returns once the transaction that holds r has been
// committed: with group commit (Options.Commit) that transaction may
// also hold other callers' records, each all or nothing (commit.go).
func (d *DB) Record(ctx context.Context, r Record) (Fetch, *Change, error) {
	p, err := d.prepareRecord(ctx, r)
	if err == nil {
		err = d.commit(ctx, p)
	}
	if err != nil {
		return Fetch{}, nil, fmt.Errorf("record fetch of source %d: %w", r.Fetch.SourceID, err)
	}
	return p.fetch, p.change, nil
}

// pendingRecord is a record prepared outside any transaction (its blobs
// compressed), waiting for the transaction that writes it, and then what
// that transaction made of it.
type pendingRecord struct {
	r     Record
	blobs []pendingBlob
	f     Fetch // r.Fetch with V and the hashes of Body and Doc
	// Set by writeRecord; valid once done is closed (or commit returned).
	fetch  Fetch
	change *Change
	keep   bool // the checkpoint signed with it is kept for good
	err    error
}

// prepareRecord checks r against the state it was decided on and
// compresses its blobs, outside the write transaction: it looks up what
// exists and the dictionary first.
func (d *DB) prepareRecord(ctx context.Context, r Record) (*pendingRecord, error) {
	id := r.Fetch.SourceID
	var dictKey, dict []byte
	var haveBody, haveDoc, haveDiff bool
	// Each hash once: a body is tens of KB, hashed for its key and for
	// the fetch record alike.
	var bodyHash, docHash string
	if r.Body != nil {
		bodyHash = r.BodySHA256
		if bodyHash == "" {
			bodyHash = Hash(r.Body)
		}
	}
	if r.Doc != nil {
		docHash = Hash(r.Doc)
	}
	has := func(b *bbolt.Bucket, hash string) bool {
		k, err := blobKey(hash)
		return err == nil && b.Get(k) != nil
	}
	// The state is not read here: r.State is the state as read (its Rev
	// is the Rev then), and writeRecord refuses r when the stored one has
	// moved on since — a dictionary picked from a stale state costs only
	// compression, never a wrong record.
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketBlobs)
		haveBody = r.Body == nil || has(b, bodyHash)
		haveDoc = r.Doc == nil || has(b, docHash)
		haveDiff = r.Diff == nil || b.Get(hashKey(r.Diff)) != nil
		if st := r.State; !haveBody && st.Current != 0 {
			var cur Version
			if err := getJSON(versionBucket(tx, id, st.Generation), u64(st.Current), &cur); err == nil {
				k, c := d.dictionaryFor(tx, cur.BodySHA256)
				dictKey, dict = k, c
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	p := &pendingRecord{r: r, f: r.Fetch}
	if !haveBody {
		pb, err := d.encodeBlob(r.Body, dictKey, dict)
		if err != nil {
			return nil, err
		}
		p.blobs = append(p.blobs, pb)
	}
	for _, c := range []struct {
		have bool
		data []byte
	}{{haveDoc, r.Doc}, {haveDiff, r.Diff}} {
		if !c.have {
			pb, err := d.encodeBlob(c.data, nil, nil)
			if err != nil {
				return nil, err
			}
			p.blobs = append(p.blobs, pb)
		}
	}
	p.f.V = 1
	if r.Body != nil {
		p.f.BodySHA256, p.f.BodySize = bodyHash, len(r.Body)
	}
	if r.Doc != nil {
		p.f.DocSHA256 = docHash
	}
	return p, nil
}

// writeRecord writes a prepared record in tx and appends its fetch to the
// log (the caller signs the checkpoint), setting p's fetch, change and
// keep. It may run more than once on the same p, each time in a new
// transaction (a batch retried without a record that failed): it reads
// only p.r, p.f and p.blobs, and sets every result afresh.
func (d *DB) writeRecord(tx *bbolt.Tx, p *pendingRecord) error {
	r, f := p.r, p.f
	id := f.SourceID
	p.fetch, p.change, p.keep = Fetch{}, nil, false
	stateB := tx.Bucket(bucketState)
	var st stateHead
	if err := getJSON(stateB, u64(id), &st); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if st.Rev != r.State.Rev {
		return ErrConflict
	}
	for _, pb := range p.blobs {
		if tx.Bucket(bucketBlobs).Get(pb.key) == nil {
			if err := tx.Bucket(bucketBlobs).Put(pb.key, pb.value); err != nil {
				return fmt.Errorf("put blob: %w", err)
			}
		}
	}
	fid, err := tx.Bucket(bucketFetchLog).NextSequence()
	if err != nil {
		return err
	}
	f.ID = fid
	versions, err := createVersionBucket(tx, id, r.State.Generation)
	if err != nil {
		return err
	}
	newState := r.State
	var prev *Version
	if st.Current != 0 && st.Generation == r.State.Generation {
		prev = &Version{}
		if err := getVersion(tx, id, r.State.Generation, st.Current, prev); err != nil {
			return fmt.Errorf("current version %d: %w", st.Current, err)
		}
	}
	var recorded *Change
	switch {
	case r.Start != nil:
		v := *r.Start
		v.V, v.SourceID, v.Generation = 1, id, r.State.Generation
		if v.Seq, err = versions.NextSequence(); err != nil {
			return err
		}
		if v.FirstFetch == 0 {
			v.FirstFetch, v.FirstSeen = fid, f.Start
		}
		v.LastFetch, v.LastSeen = fid, f.Start
		if v.BodySHA256 == "" {
			v.BodySHA256 = f.BodySHA256
		}
		if v.DocSHA256 == "" {
			v.DocSHA256 = f.DocSHA256
		}
		if err := putJSON(versions, u64(v.Seq), v); err != nil {
			return err
		}
		f.Version = v.Seq
		newState.Current = v.Seq
		if r.Change != nil {
			if prev == nil {
				return fmt.Errorf("%w: a change needs a previous version", ErrInvalid)
			}
			c := *r.Change
			c.V, c.SourceID, c.Generation = 1, id, r.State.Generation
			c.From, c.To = prev.Seq, v.Seq
			c.After, c.Detected, c.Recorded = prev.LastSeen, v.FirstSeen, d.now().UTC()
			if r.Diff != nil {
				c.DiffSHA256 = Hash(r.Diff)
			}
			if c.Triage.State == "" {
				c.Triage.State = TriageNew
			}
			changes := tx.Bucket(bucketChanges)
			if c.ID, err = changes.NextSequence(); err != nil {
				return err
			}
			if err := putJSON(changes, u64(c.ID), c); err != nil {
				return err
			}
			if err := indexChange(tx, nil, &c); err != nil {
				return err
			}
			recorded = &c
		}
	case r.Seen:
		if prev == nil {
			return fmt.Errorf("%w: seen, but the source has no current version", ErrInvalid)
		}
		// Not in the version record: that would rewrite the source's
		// versions page on every unchanged fetch (seen.go).
		if err := markSeen(tx, id, r.State.Generation, prev.Seq, fid, f.Start); err != nil {
			return err
		}
		f.Version = prev.Seq
	}
	if err := putFetch(tx, d.tail, f, versionsRead(tx, id, r.State.Generation, prev)); err != nil {
		return err
	}
	firstSight := false
	if newState.Pending != nil && newState.Pending.FetchID == 0 {
		pend := *newState.Pending // r's copy stays as it was if this runs again
		pend.FetchID, pend.Seen = fid, f.Start
		newState.Pending = &pend
		firstSight = true
	}
	// The fetch joins the transparency log in this transaction: a capture
	// is stored logged or not at all. The checkpoint signed with a fetch
	// that starts a version or first sees a new text is kept for good —
	// it is what evidence of a change points at. The caller signs one
	// checkpoint after the transaction's last record.
	if !d.skipLog {
		if err := appendLeaf(tx, f); err != nil {
			return fmt.Errorf("transparency log: %w", err)
		}
	}
	newState.V, newState.SourceID, newState.Rev = 1, id, st.Rev+1
	if r.Due != nil {
		due := *r.Due
		due.SourceID, due.LastEnd = id, f.End
		if err := putDue(tx, due); err != nil {
			return fmt.Errorf("due time: %w", err)
		}
	}
	if err := putJSON(stateB, u64(id), newState); err != nil {
		return err
	}
	p.fetch, p.change, p.keep = f, recorded, r.Start != nil || firstSight
	return nil
}

// versionsRead is inGeneration with prev, the version the transaction
// has read already, not decoded again: a fetch record takes only its
// hashes, which its sighting laid over it leaves alone.
func versionsRead(tx *bbolt.Tx, src, gen uint64, prev *Version) versionLookup {
	read := inGeneration(tx, src, gen)
	return func(seq uint64) (uint64, *Version) {
		if prev != nil && prev.Seq == seq {
			v := *prev
			return gen, &v
		}
		return read(seq)
	}
}

// hashKey is the binary blob key of data.
func hashKey(data []byte) []byte {
	k, _ := blobKey(Hash(data))
	return k
}

// versionBucket returns versions/<src>/<gen>, or nil.
func versionBucket(tx *bbolt.Tx, src, gen uint64) *bbolt.Bucket {
	b := tx.Bucket(bucketVersions).Bucket(u64(src))
	if b == nil {
		return nil
	}
	return b.Bucket(u64(gen))
}

// createVersionBucket returns versions/<src>/<gen>, creating it.
func createVersionBucket(tx *bbolt.Tx, src, gen uint64) (*bbolt.Bucket, error) {
	b, err := tx.Bucket(bucketVersions).CreateBucketIfNotExists(u64(src))
	if err != nil {
		return nil, err
	}
	return b.CreateBucketIfNotExists(u64(gen))
}
