// Package store keeps clausewatch's history in an embedded bbolt
// database: sources, every fetch attempt, content-addressed raw bodies and
// extracted documents, versions, changes and their triage state.
//
// The store records; it does not decide. The pipeline (package watch)
// fetches and extracts outside any transaction, decides what a fetch
// means, and hands the store one Record that is written all or nothing:
// the blobs, the fetch, the version it started or extended, the change and
// the source's new state. Records are committed in groups (commit.go,
// decision record 0029): one writer takes the records callers hand it and
// writes each batch in one transaction with one signed checkpoint, and
// Record returns once its batch is committed; a record that fails inside
// a batch is left out and the rest written without it.
//
// Layout (every value but fetch records, sets and tiles is JSON with a
// "v" field; every ID a big-endian uint64, so keys sort by number and, for
// fetches, by time):
//
//	meta                        "schema" → schema version
//	sources    <id>             Source (what to watch and how)
//	state      <id>             State (validators, current version, health)
//	names      <name>           source id (names are unique)
//	urls       <url>            source id (URLs are unique)
//	fetch_log  <id>             <src><start> + Fetch, compact (fetchrec.go; JSON before schema 6), in recording order (schema 10)
//	fetch_index <src><start><id> empty: each source's fetches up to meta "fetch_indexed", written in bulk (fetchlog.go)
//	fetch_last <src>            <start><id> of the source's latest fetch
//	fetch_sets <src>/0x00<seq>  a context or header set fetches refer to (schema 6)
//	           <src>/0x01<sha256> its number (sets are stored once per source)
//	versions   <src>/<gen>/<seq> Version (distinct clause texts, with first and last seen)
//	changes    <id>             Change (summary, triage; the diff itself is a blob)
//	blobs      <sha256>         codec byte + compressed bytes (raw bodies, documents, diffs)
//	due        <src>            Due (the daemon's next check of the source; schema 2)
//	queue      <at><src>        empty (due records ordered by due time)
//	log_tiles  <level><n>       tlog tile of height 4: up to 16 tree hashes (schema 7)
//	checkpoints <size>          signed checkpoint kept (first of each day; each new text)
//	meta "log_size", "checkpoint", "log_vkey": the log's size, latest signed checkpoint, public key
//	change_index 's'<src><id>, 't'<len><state><id>, 'r'<id>   posting: source, flags, triage state (schema 8)
//	supplier_index <len><supplier><src>  empty (each source under its supplier)
//
// Every fetch is appended to the transparency log (an RFC 6962 tree of
// LogLeaf entries) in the transaction that stores it, as record ID−1, and
// a checkpoint is signed with the key in the file beside the database.
// CheckLog recomputes the tree from the fetch records; the compact record
// rebuilds each leaf byte for byte.
//
// Blobs are keyed by the SHA-256 of their uncompressed content, so a body
// or document is stored once however often it is fetched. They are
// compressed with zstd; a raw body may be compressed against an earlier
// body of the same source as a dictionary (one level deep), which turns a
// page whose markup churns on every fetch into a few hundred bytes.
// Decision record 0008 explains the schema, 0010 the schedule, 0013 the log,
// 0025 the compact records and the tiles, 0026 the feed's indexes (derived
// from changes and sources, written in the same transactions, compared
// with them by Check), 0029 group commit, 0041 last-seen beside the
// version, 0049 the fetch log and its bulk index (schema 10; before it,
// fetches/<src>/<start><id>, moved by a batched migration, migrate10.go).
package store
