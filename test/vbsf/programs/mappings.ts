// Guest programs for mapping tests: MAP_FOLDER with a raw name buffer passed the way old Windows additions
// passed it (a bidirectional LinAddr), and a client holding a share while the host removes it. Run inside
// a vCPU worker.
import { SHFLCREATEPARMS, ShflCreate, ShflFn } from '../../../src/abi/index.js';
import type { GuestContext } from '../../../src/guest/context.js';
import * as sf from '../../../src/vboxsf/wrappers.js';

/**
 * A UTF-16 client (no SET_UTF8) maps with `name` as the raw SHFLSTRING buffer, passed `dir` ('inout' is
 * VMMDevHGCMParmType_LinAddr, as the old additions sent it). Returns the status, root and the buffer after.
 */
export function mapRaw(
  g: GuestContext,
  args: { name: number[]; dir: 'in' | 'inout' },
): { rc: number; result: number; root: number; after: number[] } {
  const c = g.run(sf.vboxConnect(g.lib));
  const addr = g.alloc(args.name.length);
  g.write(addr, Uint8Array.from(args.name));
  const r = g.run(
    g.lib.call(c.clientId, ShflFn.MAP_FOLDER, [
      { type: args.dir, addr, size: args.name.length },
      { type: 'u32', value: 0 },
      { type: 'u32', value: 0x5c },
      { type: 'u32', value: 0 },
    ]),
  );
  const after = [...g.read(addr, args.name.length)];
  g.free(addr);
  g.run(sf.vboxDisconnect(g.lib, c.clientId));
  const root = r.parms[1]?.type === 'u32' ? r.parms[1].value : -1;
  return { rc: r.rc, result: r.result, root, after };
}

/** A UTF-8 SHFLSTRING of `text` in program memory. */
export function str(g: GuestContext, text: string): { addr: number; size: number } {
  const body = Buffer.from(text, 'utf8');
  const b = Buffer.alloc(4 + body.length + 1);
  b.writeUInt16LE(body.length + 1, 0);
  b.writeUInt16LE(body.length, 2);
  body.copy(b, 4);
  const addr = g.alloc(b.length);
  g.write(addr, b);
  return { addr, size: b.length };
}

/** Connect, SET_UTF8 and map `share` ('/', case-sensitive): a Linux guest's mount. */
export function mount(g: GuestContext, share: string): { client: number; root: number; rc: number } {
  const c = g.run(sf.vboxConnect(g.lib));
  g.run(sf.vboxCallSetUtf8(g.lib, c.clientId));
  const m = g.run(sf.vboxCallMapFolder(g.lib, c.clientId, str(g, share), 0x2f, true));
  return { client: c.clientId, root: m.root, rc: m.rc };
}

/** Open `path` for reading: the handle (NIL on failure). */
export function openRead(g: GuestContext, client: number, root: number, path: string): bigint {
  const parms = g.alloc(SHFLCREATEPARMS.size);
  const cp = Buffer.alloc(SHFLCREATEPARMS.size);
  cp.writeBigUInt64LE(0xffffffffffffffffn, 0);
  cp.writeUInt32LE(ShflCreate.ACT_OPEN_IF_EXISTS | ShflCreate.ACT_FAIL_IF_NEW | ShflCreate.ACCESS_READ, 12);
  g.write(parms, cp);
  g.run(sf.vboxCallCreate(g.lib, client, root, str(g, path), { addr: parms, size: cp.length }));
  return Buffer.from(g.read(parms, 8)).readBigUInt64LE(0);
}

/** Everything a guest may ask about one root, and what a path and a handle on it answer. */
function probe(
  g: GuestContext,
  client: number,
  root: number,
  path: string,
  handle: bigint,
): Record<string, unknown> {
  const name = g.alloc(4 + 64);
  g.write(name, Uint8Array.from([64, 0, 0, 0]));
  const nameRc = g.run(sf.sfCall(g.lib, client, ShflFn.QUERY_MAP_NAME, [root, { addr: name, size: 68 }])).rc;
  const text = Buffer.from(g.read(name + 4, Buffer.from(g.read(name, 4)).readUInt16LE(2))).toString();
  const mp = g.alloc(4 + 64);
  g.write(mp, Uint8Array.from([64, 0, 0, 0]));
  g.write(name, Uint8Array.from([64, 0, 0, 0]));
  const mapInfo = g.run(
    sf.sfCall(g.lib, client, ShflFn.QUERY_MAP_INFO, [
      root,
      { addr: name, size: 68 },
      { addr: mp, size: 68 },
      0n,
      0,
    ]),
  );
  const info = { rc: mapInfo.rc, version: Number(mapInfo.out[4] ?? 0) };
  const list = (flags: number): number[] => {
    const buf = g.alloc(8 * 64);
    const r = g.run(
      sf.sfCall(g.lib, client, ShflFn.QUERY_MAPPINGS, [flags, 64, { addr: buf, size: 8 * 64 }]),
    );
    const n = Number(r.out[1] ?? 0);
    const b = Buffer.from(g.read(buf, 8 * 64));
    return Array.from({ length: n }, (_, i) => b.readUInt32LE(8 * i + 4));
  };
  const cp = g.alloc(SHFLCREATEPARMS.size);
  const lookup = Buffer.alloc(SHFLCREATEPARMS.size);
  lookup.writeUInt32LE(ShflCreate.LOOKUP, 12);
  g.write(cp, lookup);
  const pathRc = g.run(
    sf.vboxCallCreate(g.lib, client, root, str(g, path), { addr: cp, size: lookup.length }),
  );
  const data = g.alloc(16);
  const read = g.run(sf.vboxCallRead(g.lib, client, root, handle, 0n, { addr: data, size: 16 }));
  return {
    name: { rc: nameRc, text },
    info: { rc: info.rc, version: info.version },
    all: list(0),
    auto: list(0x10),
    path: pathRc,
    read: read.rc,
  };
}

/** Tell the test we reached `mine` (cell 0) and wait until it says go on (cell 1 >= mine). */
function handshake(sab: SharedArrayBuffer): (mine: number) => void {
  const cells = new Int32Array(sab);
  return (mine) => {
    Atomics.store(cells, 0, mine);
    Atomics.notify(cells, 0);
    while (Atomics.load(cells, 1) < mine) Atomics.wait(cells, 1, Atomics.load(cells, 1), 10_000);
  };
}

/**
 * Mount `share`, open `path`, unmap (the handle stays open), let the test give the root id to another share
 * (`next`), map that one: what the old handle answers there, and its close.
 */
export function handleAcrossReuse(
  g: GuestContext,
  args: { share: string; next: string; path: string; sab: SharedArrayBuffer },
): Record<string, unknown> {
  const step = handshake(args.sab);
  const { client, root } = mount(g, args.share);
  const handle = openRead(g, client, root, args.path);
  const unmap = g.run(sf.vboxCallUnmapFolder(g.lib, client, root));
  step(1);
  const next = g.run(sf.vboxCallMapFolder(g.lib, client, str(g, args.next), 0x2f, true));
  const data = g.alloc(16);
  const read = g.run(sf.vboxCallRead(g.lib, client, next.root, handle, 0n, { addr: data, size: 16 })).rc;
  const close = g.run(sf.vboxCallClose(g.lib, client, next.root, handle));
  g.run(sf.vboxDisconnect(g.lib, client));
  return { root, unmap, nextRoot: next.root, read, close };
}

/**
 * Mount `share`, open `path`, tell the test (cell 0 := 1), and wait for it (cell 1 == 1); then probe the
 * root, close the handle, tell the test again (cell 0 := 2), wait (cell 1 == 2), unmap. Meanwhile the test
 * removes the share on the host.
 */
export function holdAcrossRemoval(
  g: GuestContext,
  args: { share: string; path: string; sab: SharedArrayBuffer },
): Record<string, unknown> {
  const step = handshake(args.sab);
  const { client, root } = mount(g, args.share);
  const handle = openRead(g, client, root, args.path);
  const before = probe(g, client, root, args.path, handle);
  step(1);
  const after = probe(g, client, root, args.path, handle);
  const close = g.run(sf.vboxCallClose(g.lib, client, root, handle));
  // Another client cannot map a share the host removed.
  const other = g.run(sf.vboxConnect(g.lib));
  g.run(sf.vboxCallSetUtf8(g.lib, other.clientId));
  const remap = g.run(sf.vboxCallMapFolder(g.lib, other.clientId, str(g, args.share), 0x2f, true)).rc;
  step(2);
  const unmap = g.run(sf.vboxCallUnmapFolder(g.lib, client, root));
  const unmapAgain = g.run(sf.vboxCallUnmapFolder(g.lib, client, root));
  g.run(sf.vboxDisconnect(g.lib, other.clientId));
  g.run(sf.vboxDisconnect(g.lib, client));
  return { root, handleOk: handle !== 0xffffffffffffffffn, before, after, close, remap, unmap, unmapAgain };
}
