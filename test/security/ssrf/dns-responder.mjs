/**
 * A tiny authoritative DNS responder over UDP for the SSRF corpus (RFC 1035 wire format, written
 * for this test): it answers A, AAAA and CNAME from a table the test owns, NXDOMAIN for every
 * other name, and logs every query. Only the few message features a stub resolver (c-ares or
 * glibc) uses are implemented: one question, no compression in questions, TTL 0 answers so that
 * nothing is cached between the fetcher's two lookups (DNS rebinding).
 *
 * A table entry is `{ a?: string[], aaaa?: string[], cname?: string }`, or a function of the
 * query number of that name and type (1, 2, ...) returning such an entry (rebinding answers).
 */
import { createSocket } from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';

const TYPE_A = 1;
const TYPE_CNAME = 5;
const TYPE_AAAA = 28;
const CLASS_IN = 1;
const TYPE_NAMES = new Map([
  [TYPE_A, 'A'],
  [TYPE_CNAME, 'CNAME'],
  [TYPE_AAAA, 'AAAA'],
]);

/** Reads the question's name (labels until the root label) at `offset`; no compression. */
function readName(message, offset) {
  const labels = [];
  let at = offset;
  for (;;) {
    const length = message[at];
    if (length === undefined || length > 63) throw new Error('malformed question name');
    at += 1;
    if (length === 0) break;
    labels.push(message.subarray(at, at + length).toString('latin1'));
    at += length;
  }
  return { name: labels.join('.'), end: at };
}

/** A domain name in wire format (uncompressed). */
function encodeName(name) {
  const parts = name
    .replace(/\.$/, '')
    .split('.')
    .filter((label) => label !== '');
  const buffers = parts.map((label) =>
    Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'latin1')]),
  );
  return Buffer.concat([...buffers, Buffer.from([0])]);
}

/** The 16 bytes of an IPv6 address in text form (also `::ffff:a.b.c.d` and `::a.b.c.d`). */
function ipv6Bytes(text) {
  let address = text;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted !== null) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    address = `${address.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  if (groups.length !== 8) throw new Error(`not an IPv6 address: ${text}`);
  const bytes = Buffer.alloc(16);
  for (const [index, group] of groups.entries()) bytes.writeUInt16BE(Number.parseInt(group, 16), index * 2);
  return bytes;
}

/** One resource record: `owner` is a wire name or a 2-byte compression pointer. */
function record(owner, type, rdata) {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(CLASS_IN, 2);
  fixed.writeUInt32BE(0, 4); // TTL 0: never cached
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([owner, fixed, rdata]);
}

/** The answer records for `entry` and a question of `qtype` (CNAME first, then the target's addresses). */
function answersFor(entry, qtype) {
  const pointer = Buffer.from([0xc0, 12]); // the question's name, right after the header
  const records = [];
  let owner = pointer;
  if (entry.cname !== undefined) {
    records.push(record(pointer, TYPE_CNAME, encodeName(entry.cname)));
    owner = encodeName(entry.cname);
  }
  if (qtype === TYPE_A) {
    for (const address of entry.a ?? []) {
      if (!isIPv4(address)) throw new Error(`not an IPv4 address: ${address}`);
      records.push(record(owner, TYPE_A, Buffer.from(address.split('.').map(Number))));
    }
  }
  if (qtype === TYPE_AAAA) {
    for (const address of entry.aaaa ?? []) {
      if (!isIPv6(address)) throw new Error(`not an IPv6 address: ${address}`);
      records.push(record(owner, TYPE_AAAA, ipv6Bytes(address)));
    }
  }
  return records;
}

/**
 * Builds the response to one query message, or undefined when it is not a query worth answering.
 * `lookup(name, qtype)` returns the table entry (already resolved for rebinding) or undefined.
 */
export function respond(message, lookup) {
  if (message.length < 12) return undefined;
  const id = message.readUInt16BE(0);
  const flags = message.readUInt16BE(2);
  if ((flags & 0x8000) !== 0 || message.readUInt16BE(4) !== 1) return undefined; // not one question
  const { name, end } = readName(message, 12);
  if (end + 4 > message.length) return undefined;
  const qtype = message.readUInt16BE(end);
  const question = message.subarray(12, end + 4);
  const entry = lookup(name.toLowerCase(), qtype);
  const answers = entry === undefined ? [] : answersFor(entry, qtype);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  const opcode = flags & 0x7800;
  const recursionDesired = flags & 0x0100;
  const rcode = entry === undefined ? 3 : 0; // NXDOMAIN, or NOERROR (possibly with no answer)
  header.writeUInt16BE(0x8000 | opcode | 0x0400 | recursionDesired | 0x0080 | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  return {
    response: Buffer.concat([header, question, ...answers]),
    name,
    type: TYPE_NAMES.get(qtype) ?? qtype,
  };
}

/**
 * Starts the responder on `host`:`port` (UDP) with `table` (name -> entry or function). Returns
 * `{ queries, close }`: `queries` lists `{ name, type, at }` of every question asked.
 */
export async function startDnsResponder(table, { host = '127.0.0.1', port = 53 } = {}) {
  const queries = [];
  const counters = new Map();
  const lookup = (name, qtype) => {
    const value = table[name];
    if (typeof value !== 'function') return value;
    const key = `${name}/${qtype}`;
    const count = (counters.get(key) ?? 0) + 1;
    counters.set(key, count);
    return value(count);
  };
  const socket = createSocket('udp4');
  socket.on('message', (message, peer) => {
    let answer;
    try {
      answer = respond(message, lookup);
    } catch {
      return; // a malformed query gets no answer
    }
    if (answer === undefined) return;
    queries.push({ name: answer.name.toLowerCase(), type: answer.type, at: Date.now() });
    socket.send(answer.response, peer.port, peer.address);
  });
  await new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, resolve);
  });
  return {
    queries,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
