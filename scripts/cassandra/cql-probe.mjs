// Minimal CQL native protocol v4 client, just enough to tell "a Cassandra is ready" from "nothing
// listens" or "something else listens": OPTIONS -> SUPPORTED, STARTUP -> READY,
// QUERY "SELECT release_version FROM system.local" -> RESULT/Rows. Hand-written so start.mjs needs
// no npm dependencies.

import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const HOST = '127.0.0.1';
export const DEFAULT_PORT = 9042;

const OP = {
  ERROR: 0x00,
  STARTUP: 0x01,
  READY: 0x02,
  AUTHENTICATE: 0x03,
  OPTIONS: 0x05,
  SUPPORTED: 0x06,
  QUERY: 0x07,
  RESULT: 0x08,
};

function frame(stream, opcode, body = Buffer.alloc(0)) {
  const h = Buffer.alloc(9);
  h.writeUInt8(0x04, 0); // v4 request
  h.writeUInt8(0, 1); // flags
  h.writeInt16BE(stream, 2);
  h.writeUInt8(opcode, 4);
  h.writeInt32BE(body.length, 5);
  return Buffer.concat([h, body]);
}
function cqlString(s) {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}
function cqlLongString(s) {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(4);
  len.writeInt32BE(b.length);
  return Buffer.concat([len, b]);
}
function startupBody() {
  const n = Buffer.alloc(2);
  n.writeUInt16BE(1);
  return Buffer.concat([n, cqlString('CQL_VERSION'), cqlString('3.0.0')]);
}
function queryBody(cql) {
  const tail = Buffer.alloc(3);
  tail.writeUInt16BE(0x0001, 0); // consistency ONE
  tail.writeUInt8(0, 2); // no flags
  return Buffer.concat([cqlLongString(cql), tail]);
}

class Reader {
  constructor(buf) {
    this.b = buf;
    this.o = 0;
  }
  int() {
    const v = this.b.readInt32BE(this.o);
    this.o += 4;
    return v;
  }
  short() {
    const v = this.b.readUInt16BE(this.o);
    this.o += 2;
    return v;
  }
  string() {
    const n = this.short();
    const s = this.b.toString('utf8', this.o, this.o + n);
    this.o += n;
    return s;
  }
  bytes() {
    const n = this.int();
    if (n < 0) return null;
    const v = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return v;
  }
  option() {
    const id = this.short();
    if (id === 0x0000)
      this.string(); // custom
    else if (id === 0x0020 || id === 0x0022)
      this.option(); // list, set
    else if (id === 0x0021) {
      this.option();
      this.option();
    } // map
    else if (id === 0x0030) {
      this.string();
      this.string();
      const n = this.short();
      for (let i = 0; i < n; i++) {
        this.string();
        this.option();
      }
    } // udt
    else if (id === 0x0031) {
      const n = this.short();
      for (let i = 0; i < n; i++) this.option();
    } // tuple
  }
}

/** Parse the first text cell of a RESULT/Rows body (enough for system.local.release_version). */
function firstCell(body) {
  const r = new Reader(body);
  if (r.int() !== 2) return null; // not Rows
  const flags = r.int();
  const cols = r.int();
  if (flags & 0x0002) r.bytes(); // paging state
  if (!(flags & 0x0004)) {
    const global = flags & 0x0001;
    if (global) {
      r.string();
      r.string();
    }
    for (let i = 0; i < cols; i++) {
      if (!global) {
        r.string();
        r.string();
      }
      r.string();
      r.option();
    }
  }
  if (r.int() < 1 || cols < 1) return null;
  const cell = r.bytes();
  return cell ? cell.toString('utf8') : null;
}

/**
 * Probe host:port with a real CQL handshake.
 * Resolves { state: 'ready', version } | { state: 'refused' } | { state: 'not-cql', detail } (answered, but not CQL)
 *        | { state: 'error' | 'not-ready', detail } (socket error / CQL error)
 *        | { state: 'timeout' } (connected but no complete answer in time).
 */
export function probeCql(host = HOST, port = DEFAULT_PORT, timeoutMs = 3000) {
  return new Promise((resolve) => {
    let done = false;
    let buf = Buffer.alloc(0);
    let version = null;
    const sock = net.connect({ host, port });
    const finish = (res) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(res);
    };
    const timer = setTimeout(() => finish({ state: 'timeout' }), timeoutMs);
    sock.on('connect', () => sock.write(frame(0, OP.OPTIONS)));
    sock.on('error', (e) =>
      finish(e.code === 'ECONNREFUSED' ? { state: 'refused' } : { state: 'error', detail: e.message }),
    );
    sock.on('close', () => finish({ state: 'error', detail: 'connection closed during CQL handshake' }));
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 9) {
        const ver = buf.readUInt8(0);
        const len = buf.readInt32BE(5);
        if ((ver & 0x80) === 0 || (ver & 0x7f) < 1 || (ver & 0x7f) > 6 || len < 0 || len > 1 << 24) {
          return finish({ state: 'not-cql', detail: `unexpected bytes ${buf.subarray(0, 9).toString('hex')}` });
        }
        if (buf.length < 9 + len) return;
        const opcode = buf.readUInt8(4);
        const body = buf.subarray(9, 9 + len);
        buf = buf.subarray(9 + len);
        if (opcode === OP.SUPPORTED) sock.write(frame(1, OP.STARTUP, startupBody()));
        else if (opcode === OP.READY)
          sock.write(frame(2, OP.QUERY, queryBody('SELECT release_version FROM system.local')));
        else if (opcode === OP.AUTHENTICATE) finish({ state: 'ready', version: null, auth: true });
        else if (opcode === OP.RESULT) {
          try {
            version = firstCell(body);
          } catch {
            /* ignore parse problems */
          }
          finish({ state: 'ready', version });
        } else if (opcode === OP.ERROR) {
          let msg = '';
          try {
            const r = new Reader(body);
            const code = r.int();
            msg = `0x${code.toString(16)} ${r.string()}`;
          } catch {
            /* */
          }
          finish({ state: 'not-ready', detail: `CQL error ${msg}` });
        } else finish({ state: 'not-cql', detail: `unexpected opcode ${opcode}` });
      }
    });
  });
}

export async function waitReady(port, deadline, isDead) {
  let last = null;
  while (Date.now() < deadline) {
    const dead = isDead?.();
    if (dead) return { state: 'exited', detail: dead };
    last = await probeCql(HOST, port, 2000);
    if (last.state === 'ready') return last;
    await sleep(last.state === 'refused' ? 200 : 500);
  }
  return { state: 'timeout', detail: last && last.detail };
}
