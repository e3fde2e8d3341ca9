// Guest program: run a script of raw SHFL calls (any parameter kinds, lying strings, forged handles) and
// return every status, value and buffer, so tests can assert in the test file. Runs inside a vCPU worker.
import { SHFLCREATEPARMS, SHFLFSOBJINFO, ShflFn, type ShflFnValue } from '../../../src/abi/index.js';
import { ByteView } from '../../../src/runtime/bytes.js';
import type { GuestContext } from '../../../src/guest/context.js';
import { sfFastCall, type SfFastParm } from '../../../src/vboxsf/host-req.js';
import * as sf from '../../../src/vboxsf/wrappers.js';

/** A SHFLSTRING; `size`/`length` override the header (lies), `pad` adds spare bytes, `raw` replaces the text. */
export interface StrArg {
  readonly str: string;
  readonly utf16?: boolean;
  readonly size?: number;
  readonly length?: number;
  readonly pad?: number;
  readonly buffer?: number;
}

/** One argument of a step. */
export type Arg =
  | number
  | bigint
  | { readonly var: string; readonly xor?: bigint }
  | StrArg
  | { readonly bytes: readonly number[] }
  | { readonly zeros: number }
  | { readonly create: { flags: number; mode?: number; size?: bigint; handle?: bigint } }
  | { readonly pagelist: StrArg | { zeros: number } | { bytes: readonly number[] } }
  | { readonly pages: number; readonly dir: 'in' | 'out' | 'inout'; readonly fill?: number };

/** One call. `save` keeps a value for later steps: the CREATE handle, or output parameter i. */
export interface Step {
  readonly fn: number;
  readonly args: readonly Arg[];
  readonly client?: number;
  readonly save?: { readonly name: string; readonly from: 'handle' | number };
  /** Send it as a fast call (no ioctl layer; `pages` arguments become no-bounce page lists). */
  readonly fast?: boolean;
  readonly timeoutMs?: number;
}

/** A mount for each client. */
export interface MountSpec {
  readonly share: string;
  readonly utf8?: boolean;
  readonly symlinks?: boolean;
  readonly delimiter?: string;
  readonly caseSensitive?: boolean;
  /** Connect and set up the client but do not map. */
  readonly noMap?: boolean;
  /** More shares this client maps too; their roots are the variables `root@<name>`. */
  readonly extra?: readonly string[];
}

/** The script. */
export interface Script {
  readonly clients: readonly MountSpec[];
  readonly steps: readonly Step[];
}

/** What one step did. */
export interface StepResult {
  readonly rc: number;
  readonly out: readonly (number | bigint)[];
  readonly bufs: readonly (Uint8Array | undefined)[];
  readonly create?: { handle: bigint; result: number; flags: number; size: bigint; mode: number };
}

function strBytes(a: StrArg): Uint8Array {
  const body = a.utf16 === true ? Buffer.from(a.str, 'utf16le') : Buffer.from(a.str, 'utf8');
  const term = a.utf16 === true ? 2 : 1;
  const pad = a.pad ?? 0;
  const total = a.buffer ?? 4 + body.length + term + pad;
  const out = new Uint8Array(total);
  const v = new ByteView(out);
  if (total >= 2) v.setU16(0, a.size ?? body.length + term + pad);
  if (total >= 4) v.setU16(2, a.length ?? body.length);
  out.set(body.subarray(0, Math.max(0, Math.min(body.length, total - 4))), Math.min(4, total));
  return out;
}

function createBytes(c: { flags: number; mode?: number; size?: bigint; handle?: bigint }): Uint8Array {
  const b = new Uint8Array(SHFLCREATEPARMS.size);
  const v = new ByteView(b);
  v.setU64(SHFLCREATEPARMS.off.Handle, c.handle ?? 0xffffffffffffffffn);
  v.setU32(SHFLCREATEPARMS.off.CreateFlags, c.flags);
  v.setI64(SHFLCREATEPARMS.off.Info + SHFLFSOBJINFO.off.cbObject, c.size ?? 0n);
  v.setU32(SHFLCREATEPARMS.off.Info + SHFLFSOBJINFO.off.Attr, c.mode ?? 0o100644);
  return b;
}

function bufferOf(a: Arg): Uint8Array | undefined {
  if (typeof a !== 'object' || 'var' in a) return undefined;
  if ('str' in a) return strBytes(a);
  if ('bytes' in a) return Uint8Array.from(a.bytes);
  if ('zeros' in a) return new Uint8Array(a.zeros);
  if ('create' in a) return createBytes(a.create);
  if ('pagelist' in a) return bufferOf(a.pagelist);
  return new Uint8Array(a.pages).fill(a.fill ?? 0);
}

/** Run a script; results in step order, plus the client ids and roots. */
export function run(
  g: GuestContext,
  script: Script,
): { clients: number[]; roots: number[]; results: StepResult[] } {
  const vars = new Map<string, number | bigint>();
  const clients: number[] = [];
  const roots: number[] = [];
  for (const [i, m] of script.clients.entries()) {
    const c = g.run(sf.vboxConnect(g.lib));
    if (c.rc < 0) throw new Error(`connect failed ${c.rc}`);
    clients.push(c.clientId);
    if (m.utf8 !== false) g.run(sf.vboxCallSetUtf8(g.lib, c.clientId));
    if (m.symlinks === true) g.run(sf.vboxCallSetSymlinks(g.lib, c.clientId));
    let root = -1;
    if (m.noMap !== true) {
      const name = strBytes({ str: m.share, utf16: m.utf8 === false });
      const addr = g.alloc(name.length);
      g.write(addr, name);
      const r = g.run(
        sf.vboxCallMapFolder(
          g.lib,
          c.clientId,
          { addr, size: name.length },
          (m.delimiter ?? '/').charCodeAt(0),
          m.caseSensitive ?? true,
        ),
      );
      g.free(addr);
      if (r.rc < 0) throw new Error(`map ${m.share} failed ${r.rc}`);
      root = r.root;
    }
    for (const share of m.extra ?? []) {
      const name = strBytes({ str: share });
      const addr = g.alloc(name.length);
      g.write(addr, name);
      const r = g.run(sf.vboxCallMapFolder(g.lib, c.clientId, { addr, size: name.length }, 0x2f, true));
      g.free(addr);
      vars.set(`root@${share}`, r.root);
    }
    roots.push(root);
    vars.set(i === 0 ? 'root' : `root${i}`, root);
  }
  const results: StepResult[] = [];
  for (const step of script.steps) {
    const clientId = clients[step.client ?? 0]!;
    const bufs = step.args.map(bufferOf);
    const addrs = bufs.map((b) => (b === undefined ? 0 : g.alloc(Math.max(1, b.length))));
    bufs.forEach((b, i) => b !== undefined && b.length > 0 && g.write(addrs[i]!, b));
    const value = (a: Arg): number | bigint => {
      if (typeof a === 'number' || typeof a === 'bigint') return a;
      if (typeof a === 'object' && 'var' in a) {
        const v = vars.get(a.var);
        if (v === undefined) throw new Error(`no variable ${a.var}`);
        return a.xor === undefined ? v : BigInt(v) ^ a.xor;
      }
      return 0;
    };
    let r: { rc: number; out: readonly (number | bigint)[] };
    if (step.fast === true) {
      const parms: SfFastParm[] = step.args.map((a, i): SfFastParm => {
        const b = bufs[i];
        if (b === undefined) {
          const v = value(a);
          return typeof v === 'bigint' ? { type: 'u64', value: v } : { type: 'u32', value: v };
        }
        const dir = typeof a === 'object' && 'pages' in a ? a.dir : 'inout';
        return { type: 'pages', addr: addrs[i]!, size: b.length, dir };
      });
      r = g.run(sfFastCall(g.kernel, clientId, step.fn, parms));
    } else {
      const args: sf.SfArg[] = step.args.map((a, i) => {
        const b = bufs[i];
        if (b === undefined) return value(a);
        return { addr: addrs[i]!, size: b.length, pagelist: typeof a === 'object' && 'pagelist' in a };
      });
      r = g.run(sf.sfCall(g.lib, clientId, step.fn as ShflFnValue, args, { timeoutMs: step.timeoutMs }));
    }
    const back = bufs.map((b, i) => (b === undefined ? undefined : g.read(addrs[i]!, b.length)));
    addrs.forEach((a) => a !== 0 && g.free(a));
    let create: StepResult['create'];
    if (step.fn === ShflFn.CREATE && back[2] !== undefined && back[2].length === SHFLCREATEPARMS.size) {
      const v = new ByteView(back[2]);
      create = {
        handle: v.u64(0),
        result: v.u32(8),
        flags: v.u32(12),
        size: v.i64(16),
        mode: v.u32(16 + SHFLFSOBJINFO.off.Attr),
      };
    }
    if (step.save !== undefined) {
      const v = step.save.from === 'handle' ? create?.handle : r.out[step.save.from];
      if (v !== undefined) vars.set(step.save.name, v);
    }
    results.push({ rc: r.rc, out: r.out, bufs: back, ...(create ? { create } : {}) });
  }
  return { clients, roots, results };
}
