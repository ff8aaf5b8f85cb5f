/**
 * A tiny DNS server on 127.0.0.1 (UDP) for tests: it answers A and AAAA queries from a table,
 * answers NXDOMAIN for names it does not know, and never answers the names it is told to stall.
 * Point a resolver at it with `createDnsResolver({ servers: [responder.server] })`.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';

const TYPE_A = 1;
const TYPE_AAAA = 28;
const CLASS_IN = 1;

export interface DnsResponder {
  /** `127.0.0.1:<port>`, for `servers`. */
  readonly server: string;
  /** Queries received, per lower-cased name. */
  readonly queries: Map<string, number>;
  /** Answers `name` with `addresses` (IPv4 as A records, IPv6 as AAAA). */
  answer(name: string, ...addresses: string[]): void;
  /** Never answers queries for `name`. */
  stall(name: string): void;
  /** Queries for `name` received. */
  queriesFor(name: string): number;
  close(): Promise<void>;
}

interface Question {
  name: string;
  type: number;
  /** Offset just past the question. */
  end: number;
}

function readQuestion(packet: Buffer): Question | undefined {
  if (packet.length < 12 || packet.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let offset = 12;
  while (offset < packet.length) {
    const length = packet[offset] ?? 0;
    offset += 1;
    if (length === 0) break;
    labels.push(packet.toString('latin1', offset, offset + length));
    offset += length;
  }
  if (offset + 4 > packet.length) return undefined;
  return { name: labels.join('.').toLowerCase(), type: packet.readUInt16BE(offset), end: offset + 4 };
}

function addressBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  const [head = '', tail = ''] = address.split('::');
  const part = (text: string) => (text === '' ? [] : text.split(':'));
  const groups = [...part(head)];
  const rest = part(tail);
  while (groups.length + rest.length < 8) groups.push('0');
  const bytes = Buffer.alloc(16);
  [...groups, ...rest].forEach((group, i) => {
    bytes.writeUInt16BE(Number.parseInt(group, 16), i * 2);
  });
  return bytes;
}

/** The response to `query`: its header and question, then `records` (RDATA each) of its type. */
function response(query: Buffer, question: Question, rcode: number, records: Buffer[]): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  // QR, opcode 0, AA, RD copied, RA; then the response code.
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records.length, 6);
  const answers = records.map((rdata) => {
    const fixed = Buffer.alloc(12);
    fixed.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    fixed.writeUInt16BE(question.type, 2);
    fixed.writeUInt16BE(CLASS_IN, 4);
    fixed.writeUInt32BE(60, 6);
    fixed.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([fixed, rdata]);
  });
  return Buffer.concat([header, query.subarray(12, question.end), ...answers]);
}

export async function startDnsResponder(): Promise<DnsResponder> {
  const socket = createSocket('udp4');
  const table = new Map<string, string[]>();
  const stalled = new Set<string>();
  const queries = new Map<string, number>();
  socket.on('message', (packet: Buffer, peer: RemoteInfo) => {
    const question = readQuestion(packet);
    if (question === undefined) return;
    queries.set(question.name, (queries.get(question.name) ?? 0) + 1);
    if (stalled.has(question.name)) return;
    const known = table.get(question.name);
    const wanted = question.type === TYPE_A ? isIPv4 : question.type === TYPE_AAAA ? isIPv6 : () => false;
    const records = (known ?? []).filter((address) => wanted(address)).map(addressBytes);
    socket.send(response(packet, question, known === undefined ? 3 : 0, records), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    server: `127.0.0.1:${socket.address().port}`,
    queries,
    answer: (name, ...addresses) => {
      table.set(name.toLowerCase(), addresses);
    },
    stall: (name) => {
      stalled.add(name.toLowerCase());
    },
    queriesFor: (name) => queries.get(name.toLowerCase()) ?? 0,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
