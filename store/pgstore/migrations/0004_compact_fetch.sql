-- Compact fetch records (decision record 0048), as the bbolt store keeps
-- them since its schema 6 (decision record 0025): a fetch's record is the
-- store's binary encoding in bytea, referring to its source's context and
-- header sets, stored once per source and content-addressed here. A
-- record whose first byte is '{' is the fetch as JSON: every row is that
-- after this file; the Go step of this migration (migrate.go) then
-- rewrites each as a compact record when that reads back as the same
-- fetch and the same log leaf byte for byte, in the same transaction.
CREATE TABLE fetch_sets (
	source bigint NOT NULL REFERENCES sources (id),
	seq    bigint NOT NULL CHECK (seq > 0),
	hash   bytea NOT NULL CHECK (length(hash) = 32),
	value  bytea NOT NULL,
	PRIMARY KEY (source, seq),
	UNIQUE (source, hash)
);

ALTER TABLE fetches ADD COLUMN rec bytea;
UPDATE fetches SET rec = convert_to(doc::text, 'UTF8');
ALTER TABLE fetches DROP COLUMN doc;
ALTER TABLE fetches ALTER COLUMN rec SET NOT NULL;

-- Checkpoints signed on the key's node only (decision record 0048):
-- a process without the key records leaves and tiles and asks, here,
-- that the next checkpoint be kept for good when its batch started a
-- version or first saw a text; the signer keeps that one and clears it.
-- checkpoint_size is the size the latest checkpoint covers (NULL: none).
ALTER TABLE log_head ADD COLUMN keep_next boolean NOT NULL DEFAULT false;
ALTER TABLE log_head ADD COLUMN checkpoint_size bigint;
-- A signed note's second line is the tree size it covers.
UPDATE log_head SET checkpoint_size = split_part(convert_from(checkpoint, 'UTF8'), E'\n', 2)::bigint WHERE checkpoint IS NOT NULL;
