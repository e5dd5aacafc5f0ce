-- clausewatch on PostgreSQL, schema 1 (decision record 0036).
-- Values are the JSON the bbolt store keeps ("doc"), beside the columns
-- that key, order, filter or constrain them. The type is json, not jsonb:
-- json keeps the text as written, so raw JSON inside a value (a change's
-- gist and rank) comes back byte for byte; jsonb would reorder its keys.
-- Times that order or select rows are Unix nanoseconds (bigint), as
-- exact as the bbolt keys: timestamptz keeps microseconds only.

CREATE TABLE meta (
	key   text PRIMARY KEY,
	value text NOT NULL
);

CREATE TABLE sources (
	id       bigserial PRIMARY KEY,
	name     text NOT NULL UNIQUE,
	url      text NOT NULL UNIQUE,
	supplier text NOT NULL DEFAULT '',
	paused   boolean NOT NULL DEFAULT false,
	doc      json NOT NULL
);
CREATE INDEX sources_supplier ON sources (supplier);

CREATE TABLE state (
	source bigint PRIMARY KEY REFERENCES sources (id),
	rev    bigint NOT NULL,
	health text NOT NULL DEFAULT '',
	doc    json NOT NULL
);

-- Content-addressed blobs: the SHA-256 of the content, then the codec
-- byte and the zstd frame exactly as the bbolt store keeps them.
CREATE TABLE blobs (
	hash  bytea PRIMARY KEY CHECK (length(hash) = 32),
	value bytea NOT NULL
);

-- Fetch n is log record n-1: IDs are handed out under the log's lock,
-- with no gaps.
CREATE TABLE fetches (
	id       bigint PRIMARY KEY CHECK (id > 0),
	source   bigint NOT NULL REFERENCES sources (id),
	start_ns bigint NOT NULL,
	doc      json NOT NULL
);
CREATE INDEX fetches_by_source ON fetches (source, start_ns, id);

CREATE TABLE versions (
	source     bigint NOT NULL REFERENCES sources (id),
	generation bigint NOT NULL,
	seq        bigint NOT NULL,
	doc        json NOT NULL,
	PRIMARY KEY (source, generation, seq)
);

CREATE TABLE changes (
	id          bigserial PRIMARY KEY,
	source      bigint NOT NULL REFERENCES sources (id),
	detected_ns bigint NOT NULL,
	revet       boolean NOT NULL,
	reextracted boolean NOT NULL,
	triage      text NOT NULL,
	doc         json NOT NULL
);
CREATE INDEX changes_by_source ON changes (source, id);
CREATE INDEX changes_by_triage ON changes (triage, id);

CREATE TABLE due (
	source bigint PRIMARY KEY REFERENCES sources (id),
	at_ns  bigint NOT NULL,
	doc    json NOT NULL
);
CREATE INDEX due_queue ON due (at_ns, source);

-- The log: its size and latest signed checkpoint (one row), its tiles
-- of height 4 as Go's checksum database lays them out, and the
-- checkpoints kept for good.
CREATE TABLE log_head (
	one        boolean PRIMARY KEY DEFAULT true CHECK (one),
	size       bigint NOT NULL,
	checkpoint bytea
);
INSERT INTO log_head (size) VALUES (0);

CREATE TABLE log_tiles (
	level int NOT NULL,
	n     bigint NOT NULL,
	data  bytea NOT NULL,
	PRIMARY KEY (level, n)
);

CREATE TABLE checkpoints (
	size bigint PRIMARY KEY,
	note bytea NOT NULL
);

CREATE TABLE tokens (
	hash text PRIMARY KEY,
	name text NOT NULL UNIQUE,
	doc  json NOT NULL
);

CREATE TABLE sessions (
	hash       text PRIMARY KEY,
	token_hash text NOT NULL,
	expires_ns bigint NOT NULL,
	doc        json NOT NULL
);

CREATE TABLE webhooks (
	id  bigserial PRIMARY KEY,
	doc json NOT NULL
);

CREATE TABLE deliveries (
	hook   bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	change bigint NOT NULL,
	doc    json NOT NULL,
	PRIMARY KEY (hook, change)
);

CREATE TABLE suppliers (
	name       text PRIMARY KEY,
	token_hash text,
	doc        json NOT NULL
);

CREATE TABLE notifications (
	id       bigserial PRIMARY KEY,
	supplier text NOT NULL REFERENCES suppliers (name),
	doc      json NOT NULL
);

CREATE TABLE rubrics (
	released text NOT NULL UNIQUE,
	version  text NOT NULL UNIQUE,
	doc      json NOT NULL,
	PRIMARY KEY (released, version)
);

CREATE TABLE baselines (
	source bigint NOT NULL REFERENCES sources (id),
	name   text NOT NULL,
	doc    json NOT NULL,
	PRIMARY KEY (source, name)
);
