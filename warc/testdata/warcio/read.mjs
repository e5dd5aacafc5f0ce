// read.mjs FILE: reads a WARC file (plain or .warc.gz) with webrecorder's
// warcio (WARCParser) and prints one JSON line per record, then a summary
// line. clausewatch's Go tests run it as an independent reader of what
// package warc writes.
//
// The file is read twice. Pass 1 (parseHttp: false) gives each record's
// raw block, from which this script computes the block digest, and splits
// an application/http block at its first CRLFCRLF to compute the payload
// digest itself. Pass 2 (parseHttp: true) lets warcio parse the HTTP status
// line and headers, and takes the payload from warcio's own reader (raw,
// no content decoding), to check that both splits agree.
//
// warcio.js states digests when it writes (sha-256, "sha256:" + hex by
// default) but does not verify them when it reads, so the verdicts
// (block_ok, payload_ok) are this script's: it decodes the stated digest
// (sha1 or sha256, base16 or base32, as the annotated WARC 1.1
// specification's reading rules say) and compares it with the digest it
// computed with node:crypto.
import { createReadStream } from "node:fs";
import { createHash } from "node:crypto";
import { WARCParser } from "warcio";

const file = process.argv[2];
if (!file) {
  console.error("usage: node read.mjs FILE.warc[.gz]");
  process.exit(2);
}

const warnings = [];
console.warn = (...args) => warnings.push(args.join(" "));

const CRLFCRLF = Buffer.from("\r\n\r\n");

function hash(alg, data) {
  return createHash(alg).update(data).digest();
}

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32Decode(s) {
  const clean = s.toUpperCase().replace(/=+$/, "");
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const i = B32.indexOf(ch);
    if (i < 0) return null;
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

// verify checks a stated labelled digest against data: null when there is
// no digest, else true or false.
function verify(stated, data) {
  if (!stated) return null;
  const i = stated.indexOf(":");
  if (i < 0) return false;
  const label = stated.slice(0, i).toLowerCase().replace("-", "");
  const value = stated.slice(i + 1);
  const alg = { sha1: "sha1", sha256: "sha256" }[label];
  if (!alg) return false;
  const want = hash(alg, data);
  const hexLen = want.length * 2;
  let got;
  if (value.length === hexLen && /^[0-9a-fA-F]+$/.test(value)) {
    got = Buffer.from(value, "hex");
  } else {
    got = base32Decode(value);
  }
  return got !== null && got.equals(want);
}

function isHTTP(contentType) {
  return (contentType || "").toLowerCase().startsWith("application/http");
}

// Pass 1: raw blocks.
const raw = [];
let compressed = null;
{
  const parser = new WARCParser(createReadStream(file), { parseHttp: false });
  for await (const record of parser) {
    const block = Buffer.from(await record.readFully(false));
    compressed = parser._reader.compressed;
    raw.push({ offset: parser.offset, block });
  }
}

// Pass 2: HTTP parsed by warcio.
let n = 0;
const parser = new WARCParser(createReadStream(file), { parseHttp: true });
for await (const record of parser) {
  const h = record.warcHeaders.headers;
  const out = {
    type: record.warcType,
    id: h.get("WARC-Record-ID"),
    target: record.warcTargetURI ?? null,
    date: record.warcDate ?? null,
    content_type: record.warcContentType ?? null,
    content_length: record.warcContentLength,
    concurrent_to: h.get("WARC-Concurrent-To"),
    refers_to: h.get("WARC-Refers-To"),
    warcinfo_id: h.get("WARC-Warcinfo-ID"),
    ip: h.get("WARC-IP-Address"),
    truncated: h.get("WARC-Truncated"),
    block_digest: record.warcBlockDigest ?? null,
    payload_digest: record.warcPayloadDigest ?? null,
  };
  const r = raw[n];
  if (!r) throw new Error(`record ${n}: not seen in the first pass`);
  out.offset = r.offset;
  out.block_length = r.block.length;
  out.block_sha256 = "sha256:" + hash("sha256", r.block).toString("hex");
  out.block_sha1 = "sha1:" + hash("sha1", r.block).toString("hex");
  out.block_ok = verify(out.block_digest, r.block);

  if (record.httpHeaders) {
    out.http_statusline = record.httpHeaders.statusline;
    if (out.type === "response") out.http_status = record.httpHeaders.statusCode;
    out.http_headers = Object.fromEntries(record.httpHeaders.headers);
    // warcio's payload: what follows the HTTP headers, raw.
    const payload = Buffer.from(await record.readFully(false));
    out.payload_length = payload.length;
    out.payload_sha256 = "sha256:" + hash("sha256", payload).toString("hex");
    out.payload_sha1 = "sha1:" + hash("sha1", payload).toString("hex");
    out.payload_ok = verify(out.payload_digest, payload);
    // This script's own split of the raw block.
    const at = r.block.indexOf(CRLFCRLF);
    const mine = at < 0 ? null : r.block.subarray(at + 4);
    out.payload_split_agrees = mine !== null && mine.equals(payload);
  } else {
    if (isHTTP(out.content_type)) throw new Error(`record ${n}: application/http, but warcio parsed no HTTP headers`);
    out.block_text = out.content_type === "application/json" || out.content_type === "application/warc-fields" ? r.block.toString("utf8") : undefined;
  }
  console.log(JSON.stringify(out));
  n++;
}
if (n !== raw.length) throw new Error(`first pass saw ${raw.length} records, second ${n}`);
console.log(JSON.stringify({ summary: true, records: n, compressed, warnings }));
