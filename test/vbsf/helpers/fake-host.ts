// A threadless host for unit tests of the Shared Folders service: a fake ServiceContext, shared memory
// formatted by the service's own init(), and builders for the parameters a guest would send.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'vitest';
import { SHFLCREATEPARMS, SHFLFSOBJINFO, ShflFn, Status } from '../../../src/abi/index.js';
import type { ServiceContext, SvcCall, SvcParm, SvcParmPtr } from '../../../src/hgcm/service.js';
import { ByteView } from '../../../src/runtime/bytes.js';
import type { SharedFolderConfig } from '../../../src/vbsf/index.js';
import service from '../../../src/vbsf/service.js';
import { NO_TRACER } from '../../../src/runtime/trace.js';

/** A 32-bit parameter. */
export const u32 = (v: number): SvcParm => ({ type: 1, u32: v >>> 0 });
/** A 64-bit parameter. */
export const u64 = (v: bigint): SvcParm => ({ type: 2, u64: BigInt.asUintN(64, v) });
/** A buffer parameter holding `bytes` (or `n` zero bytes). */
export function ptr(bytes: Uint8Array | number, dir = 3): SvcParmPtr {
  const buf = typeof bytes === 'number' ? new Uint8Array(bytes) : new Uint8Array(bytes);
  return { type: 3, size: buf.length, buf, dir };
}

/** A SHFLSTRING in UTF-8 (or UTF-16), with `extra` spare bytes. */
export function shflString(text: string, utf8 = true, extra = 0): Uint8Array {
  const body = utf8 ? Buffer.from(text, 'utf8') : Buffer.from(text, 'utf16le');
  const term = utf8 ? 1 : 2;
  const out = new Uint8Array(4 + body.length + term + extra);
  const v = new ByteView(out);
  v.setU16(0, body.length + term + extra);
  v.setU16(2, body.length);
  out.set(body, 4);
  return out;
}

/** An empty SHFLSTRING buffer of `size` characters bytes (for out strings). */
export function outString(size: number): Uint8Array {
  const out = new Uint8Array(4 + size);
  new ByteView(out).setU16(0, size);
  return out;
}

/** A SHFLCREATEPARMS. */
export function createParms(
  flags: number,
  opts: { mode?: number; size?: bigint; handle?: bigint } = {},
): Uint8Array {
  const b = new Uint8Array(SHFLCREATEPARMS.size);
  const v = new ByteView(b);
  v.setU64(0, opts.handle ?? 0xffffffffffffffffn);
  v.setU32(12, flags);
  v.setI64(16 + SHFLFSOBJINFO.off.cbObject, opts.size ?? 0n);
  v.setU32(16 + SHFLFSOBJINFO.off.Attr, opts.mode ?? 0o100644);
  return b;
}

/** Read SHFLCREATEPARMS back. */
export function readCreate(b: Uint8Array): {
  handle: bigint;
  result: number;
  flags: number;
  size: bigint;
  mode: number;
} {
  const v = new ByteView(b);
  return {
    handle: v.u64(0),
    result: v.u32(8),
    flags: v.u32(12),
    size: v.i64(16),
    mode: v.u32(16 + SHFLFSOBJINFO.off.Attr),
  };
}

/** A temporary share plus a sentinel directory beside it. */
export interface TempShare {
  readonly base: string;
  readonly share: string;
  readonly sentinel: string;
  cleanup(): void;
}

/** mkdtemp a base with share/ and sentinel/ (holding secret.txt) in it. */
export function tempShare(prefix = 'vbsf-'): TempShare {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const share = path.join(base, 'share');
  const sentinel = path.join(base, 'sentinel');
  fs.mkdirSync(share);
  fs.mkdirSync(sentinel);
  fs.writeFileSync(path.join(sentinel, 'secret.txt'), 'secret');
  return { base, share, sentinel, cleanup: () => fs.rmSync(base, { recursive: true, force: true }) };
}

/** The service with a fake context in this thread. */
export class FakeHost {
  readonly ctx: ServiceContext;
  readonly logs: string[] = [];
  private nextId = 1;
  private readonly states = new Map<number, Uint8Array>();

  constructor(mappings: readonly SharedFolderConfig[]) {
    const shared = new SharedArrayBuffer(service.sharedBytes!);
    const config = { mappings };
    service.init!(shared, config);
    this.ctx = {
      name: 'VBoxSharedFolders',
      config,
      shared,
      clientState: (id) => {
        let s = this.states.get(id);
        if (s === undefined) {
          s = new Uint8Array(new SharedArrayBuffer(service.clientStateBytes!));
          this.states.set(id, s);
        }
        return s;
      },
      clock: { now: () => performance.now() },
      setTimer: (ms, fn) => void setTimeout(fn, ms),
      watch: (cell, seen, fn) => {
        const w = Atomics.waitAsync(cell.i32, cell.index, seen);
        if (w.async) void w.value.then(() => fn());
        else setImmediate(fn);
      },
      log: (m) => this.logs.push(m),
      workerId: 0,
      trace: NO_TRACER,
    };
    service.setup!(this.ctx);
  }

  connect(): number {
    const id = this.nextId++;
    expect(service.connect!(this.ctx, { clientId: id, requestor: 0 })).toBe(Status.VINF_SUCCESS);
    return id;
  }

  /** Connect, SET_UTF8, MAP_FOLDER `name` with '/' (case-sensitive): the Linux guest's start. */
  mount(name: string, caseSensitive = true): { client: number; root: number } {
    const client = this.connect();
    expect(this.call(client, ShflFn.SET_UTF8, [])).toBe(Status.VINF_SUCCESS);
    const root = u32(0);
    const rc = this.call(client, ShflFn.MAP_FOLDER, [
      ptr(shflString(name)),
      root,
      u32(0x2f),
      u32(caseSensitive ? 1 : 0),
    ]);
    expect(rc).toBe(Status.VINF_SUCCESS);
    return { client, root: root.type === 1 ? root.u32 : -1 };
  }

  disconnect(id: number): void {
    service.disconnect!(this.ctx, { clientId: id, requestor: 0 });
  }

  /** A synchronous call; its parameters are changed in place like the host copies are. */
  call(clientId: number, fn: number, parms: SvcParm[]): number {
    const call: SvcCall = {
      clientId,
      fn,
      parms,
      requestor: 0,
      isCancelled: () => false,
      complete: () => undefined,
    };
    return service.call(this.ctx, call);
  }

  /** An asynchronous-capable call: resolves with the completion status. */
  callAsync(clientId: number, fn: number, parms: SvcParm[], cancelled = () => false): Promise<number> {
    return new Promise((resolve) => {
      const call: SvcCall = { clientId, fn, parms, requestor: 0, isCancelled: cancelled, complete: resolve };
      const rc = service.call(this.ctx, call);
      if (rc !== Status.VINF_HGCM_ASYNC_EXECUTE) resolve(rc);
    });
  }
}
