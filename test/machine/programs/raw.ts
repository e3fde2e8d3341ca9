// Guest programs that build VMMDev requests by hand, byte by byte, with the offsets of the Linux UAPI
// headers (linux/vbox_vmmdev_types.h, drivers/virt/vboxguest/vmmdev.h) written out as numbers, not through
// the library's builders; and malformed variants of them.
import type { GuestContext } from '../../../src/guest/context.js';

// struct vmmdev_request_header / vmmdev_hgcm_request_header / vmmdev_hgcm_call
const SIZE = 0;
const VERSION = 4;
const TYPE = 8;
const RC = 12;
const REQUESTOR = 20;
const FLAGS = 24;
const RESULT = 28;
const CLIENT = 32;
const FUNCTION = 36;
const PARM_COUNT = 40;
const PARMS = 44;
// struct vmmdev_hgcm_function_parameter64 (16 bytes) and struct vmmdev_hgcm_pagelist
const P_TYPE = 0;
const P_SIZE = 4;
const P_ADDR = 8;
const PL_FLAGS = 0;
const PL_OFF_FIRST = 4;
const PL_COUNT = 6;
const PL_PAGES = 8;
const VMMDEVREQ_HGCM_CALL64 = 63;
const PARM_TYPE_32BIT = 1;
const PARM_TYPE_LINADDR_IN = 5;
const PARM_TYPE_LINADDR_OUT = 6;
const PARM_TYPE_PAGELIST = 10;

/** What one hand-built submission saw. */
export interface RawOutcome {
  readonly rc: number;
  readonly wait: string;
  readonly flags: number;
  readonly result: number;
  readonly value32: number;
  readonly out: number[];
}

function header(g: GuestContext, req: number, size: number, type: number): void {
  g.ram.fill(req as never, size, 0xaa);
  g.ram.writeU32(req as never, SIZE, size);
  g.ram.writeU32(req as never, VERSION, 0x10001);
  g.ram.writeU32(req as never, TYPE, type);
  g.ram.writeI32(req as never, RC, -1);
  g.ram.writeU32(req as never, 16, 0);
  g.ram.writeU32(req as never, REQUESTOR, 0x1);
}

/** Echo 16 bytes with LinAddr_In/Out parameters, or with page lists (`pagelist: true`). */
export function handBuiltEcho(g: GuestContext, args: { pagelist: boolean }): RawOutcome {
  const c = g.connect('echo');
  const src = g.alloc(16);
  const dst = g.alloc(16);
  g.write(
    src,
    Uint8Array.from({ length: 16 }, (_, i) => 0xf0 - i),
  );
  const size = args.pagelist ? PARMS + 2 * 16 + 2 * 16 : PARMS + 2 * 16;
  const req = g.heap.alloc(size)!.addr;
  header(g, req, size, VMMDEVREQ_HGCM_CALL64);
  const w = (off: number, v: number): void => g.ram.writeU32(req, off, v);
  w(FLAGS, 0);
  w(RESULT, 0);
  w(CLIENT, c.clientId);
  w(FUNCTION, 1);
  w(PARM_COUNT, 2);
  const bufs = [src, dst];
  for (let i = 0; i < 2; i++) {
    const p = PARMS + 16 * i;
    if (args.pagelist) {
      const pl = PARMS + 32 + 16 * i;
      w(p + P_TYPE, PARM_TYPE_PAGELIST);
      w(p + P_SIZE, 16);
      w(p + P_ADDR, pl);
      w(pl + PL_FLAGS, i === 0 ? 1 : 2);
      g.ram.writeU16(req, pl + PL_OFF_FIRST, bufs[i]! % 4096);
      g.ram.writeU16(req, pl + PL_COUNT, 1);
      g.ram.writeU64(req, pl + PL_PAGES, BigInt(bufs[i]! - (bufs[i]! % 4096)));
    } else {
      w(p + P_TYPE, i === 0 ? PARM_TYPE_LINADDR_IN : PARM_TYPE_LINADDR_OUT);
      w(p + P_SIZE, 16);
      g.ram.writeU64(req, p + P_ADDR, BigInt(bufs[i]!));
    }
  }
  const rc = g.port.perform(req);
  const wait = rc === 2903 ? g.waitDone(req, { timeoutMs: 10_000 }) : 'sync';
  const out = {
    rc,
    wait,
    flags: g.ram.readU32(req, FLAGS),
    result: g.ram.readI32(req, RESULT),
    value32: 0,
    out: Array.from(g.read(dst, 16)),
  };
  g.heap.free(req);
  g.disconnect(c.clientId);
  return out;
}

/** The malformed submissions the device must answer with upstream's statuses. */
export type Malformation =
  | 'size-below-header'
  | 'bad-version'
  | 'unknown-type'
  | 'too-large'
  | 'cparms-over-limit'
  | 'cparms-beyond-size'
  | 'bad-parm-type'
  | 'physaddr-parm'
  | 'unknown-client'
  | 'client-zero'
  | 'pagelist-offset-inside-parms'
  | 'pagelist-bad-flags'
  | 'linaddr-outside-ram';

/** Submit one malformed HGCM call (a 32-bit value call to echo's VALUES function when well formed). */
export function malformed(g: GuestContext, args: { kind: Malformation }): RawOutcome {
  const c = g.connect('echo');
  const size = PARMS + 16 + 16;
  const req = g.heap.alloc(size)!.addr;
  header(g, req, size, VMMDEVREQ_HGCM_CALL64);
  const w = (off: number, v: number): void => g.ram.writeU32(req, off, v);
  w(FLAGS, 0);
  w(RESULT, 0x1234);
  w(CLIENT, c.clientId);
  w(FUNCTION, 2);
  w(PARM_COUNT, 1);
  w(PARMS + P_TYPE, PARM_TYPE_32BIT);
  w(PARMS + 4, 41);
  switch (args.kind) {
    case 'size-below-header':
      w(SIZE, 20);
      break;
    case 'bad-version':
      w(VERSION, 0x10002);
      break;
    case 'unknown-type':
      w(TYPE, 199);
      break;
    case 'too-large':
      w(SIZE, 1024 * 1024 + 1);
      break;
    case 'cparms-over-limit':
      w(PARM_COUNT, 33);
      break;
    case 'cparms-beyond-size':
      w(PARM_COUNT, 3);
      break;
    case 'bad-parm-type':
      w(PARMS + P_TYPE, 14);
      break;
    case 'physaddr-parm':
      w(PARMS + P_TYPE, 3);
      break;
    case 'unknown-client':
      w(CLIENT, 0x7fff0000);
      break;
    case 'client-zero':
      w(CLIENT, 0);
      break;
    case 'pagelist-offset-inside-parms':
      w(PARMS + P_TYPE, PARM_TYPE_PAGELIST);
      w(PARMS + P_SIZE, 8);
      w(PARMS + P_ADDR, PARMS);
      break;
    case 'pagelist-bad-flags':
      w(PARMS + P_TYPE, PARM_TYPE_PAGELIST);
      w(PARMS + P_SIZE, 8);
      w(PARMS + P_ADDR, PARMS + 16);
      w(PARMS + 16 + PL_FLAGS, 4);
      g.ram.writeU16(req, PARMS + 16 + PL_OFF_FIRST, 0);
      g.ram.writeU16(req, PARMS + 16 + PL_COUNT, 1);
      break;
    case 'linaddr-outside-ram':
      w(PARMS + P_TYPE, PARM_TYPE_LINADDR_OUT);
      w(PARMS + P_SIZE, 64);
      g.ram.writeU64(req, PARMS + P_ADDR, BigInt(g.ram.size + 8192));
      w(FUNCTION, 3); // FILL: [u32 byte, out buffer] -> but parm 0 is the buffer here: the service refuses
      break;
  }
  const rc = g.port.perform(req);
  const wait = rc === 2903 ? g.waitDone(req, { timeoutMs: 10_000 }) : 'sync';
  const out = {
    rc,
    wait,
    flags: g.ram.readU32(req, FLAGS),
    result: g.ram.readI32(req, RESULT),
    value32: g.ram.readU32(req, PARMS + 4),
    out: [],
  };
  g.heap.free(req);
  g.disconnect(c.clientId);
  return out;
}

/** Port writes at addresses the guest library would refuse or the device ignores. */
export function badAddresses(g: GuestContext): { zero: number; above4g: number; outsideRam: boolean } {
  const zero = g.port.perform(0);
  const above4g = g.port.perform(0x100000000);
  // Below 4 GiB but past the end of RAM: the device reads unbacked memory and ignores it.
  g.port.outRequest(g.ram.size + 4096);
  return { zero, above4g, outsideRam: true };
}
