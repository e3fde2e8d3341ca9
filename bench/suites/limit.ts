// The limits: raw Atomics doorbell round trips between worker threads (one hop, as a port write; two hops,
// guest -> device -> pool worker -> guest, as an HGCM call), blocking and with the runtime's spin policy;
// 1, 2 and 4 guest/host pairs ringing at once (what the calls/s rows' vCPUs could reach with no model
// code); and direct fs.writeSync / readSync on the filesystem the Shared Folders share lives on.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { spawnModuleWorker, type SpinPolicy } from '../../src/machine/index.js';
import { measureSync, type Budget, type Summary, type ThroughputReport } from '../measure.js';
import { rowOf, type Row, type Suite, type SuiteContext } from '../runner.js';
import { Word, type DoorbellJob } from '../workers/protocol.js';
import { besideModule } from '../../src/runtime/index.js';

/** Loads each raw wait spins, mirroring where the runtime uses each class of its policy. */
export interface RawSpins {
  /** One hop: the guest waiting for the port ack, the device waiting for the doorbell. */
  readonly oneHop: { readonly guest: number; readonly host: number };
  /** Two hops: the guest waiting for completion, the device for the doorbell, the pool for work. */
  readonly twoHop: { readonly guest: number; readonly dev: number; readonly pool: number };
}

/** The raw doorbells' spins under a runtime policy (see the wait sites named in RawSpins). */
export function rawSpins(p: SpinPolicy): RawSpins {
  return {
    oneHop: { guest: p.short, host: p.idle },
    twoHop: { guest: p.long, dev: p.idle, pool: p.idle },
  };
}

const DOORBELL = besideModule(import.meta.url, '../workers/doorbell');

/** A started raw worker and its end, listened for from the start (a relay may exit before anyone asks). */
interface Started {
  readonly w: Worker;
  readonly exited: Promise<void>;
}

function start(job: DoorbellJob): Started {
  const w = spawnModuleWorker(DOORBELL, { workerData: job });
  return { w, exited: new Promise((resolve) => w.once('exit', () => resolve())) };
}

function online(w: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    w.once('online', () => resolve());
    w.once('error', reject);
  });
}

/** One raw round trip figure: the host-side workers first (settled), then the timing guest. */
export async function rawRoundTrip(
  hops: 1 | 2,
  spins: { guest: number; dev: number; pool: number },
  budget: Budget,
  spinners = 0,
): Promise<Summary> {
  const sab = new SharedArrayBuffer(Word.SIZE * 4);
  const hosts =
    hops === 1
      ? [start({ role: 'host', sab, spin: spins.dev, spinners })]
      : [
          start({ role: 'dev', sab, spin: spins.dev, spinners }),
          start({ role: 'pool', sab, spin: spins.pool, spinners }),
        ];
  await Promise.all(hosts.map((h) => online(h.w)));
  // Let start-up work (module loading, JIT threads) die down before timing.
  await new Promise((r) => setTimeout(r, 150));
  const g = start({ role: 'guest', sab, spin: spins.guest, spinners, hops, budget });
  const summary = new Promise<Summary>((resolve, reject) => {
    g.w.once('message', (m: Summary) => resolve(m));
    g.w.once('error', reject);
  });
  const s = await summary;
  // The guest rang STOP before posting its figures, so the relays may have exited already.
  await Promise.all([g, ...hosts].map((h) => h.exited));
  return s;
}

/**
 * `n` guest/host pairs ringing at once over one window, in the shape of a no-op pool call (the guest spins
 * `spins.guest` loads on the answer, the host `spins.host` on its doorbell) under the runtime's whole spin
 * gate: what `n` vCPUs calling pool workers could reach with no model code at all. The rate is every
 * pair's round trips per second together; latencies are the pair with the median median's.
 */
export async function rawPairs(
  n: number,
  spins: { guest: number; host: number },
  window: { warmupMs: number; ms: number },
  spinners: number,
): Promise<{ rate: number; summary: Summary; cpuUs: number }> {
  const sab = new SharedArrayBuffer(Word.SIZE * 4 * (n + 1));
  const barrier = new SharedArrayBuffer(4);
  const cores = os.availableParallelism();
  const job = (k: number) => ({ sab, spinners, cores, base: Word.SIZE * (k + 1) });
  const hosts = Array.from({ length: n }, (_, k) =>
    start({ ...job(k), role: 'pair-host', spin: spins.host }),
  );
  await Promise.all(hosts.map((h) => online(h.w)));
  await new Promise((r) => setTimeout(r, 150));
  const guests = Array.from({ length: n }, (_, k) =>
    start({ ...job(k), role: 'pair-guest', spin: spins.guest, window: { ...window, barrier, parties: n } }),
  );
  const reports = await Promise.all(
    guests.map(
      (g) =>
        new Promise<ThroughputReport>((resolve, reject) => {
          g.w.once('message', resolve);
          g.w.once('error', reject);
        }),
    ),
  );
  await Promise.all([...guests, ...hosts].map((h) => h.exited));
  const calls = reports.reduce((sum, r) => sum + r.calls, 0);
  const mid = [...reports].sort((x, y) => x.summary.medianUs - y.summary.medianUs)[n >> 1]!;
  return {
    rate: reports.reduce((sum, r) => sum + (r.calls * 1000) / r.wallMs, 0),
    summary: mid.summary,
    cpuUs: calls > 0 ? mid.cpuUs / calls : 0,
  };
}

/** How many pairs the pair rows run: the vCPU counts of the hgcm suite's calls/s rows. */
export const PAIR_COUNTS = [1, 2, 4] as const;

const SIZES = [
  ['4k', 4 << 10],
  ['64k', 64 << 10],
  ['1m', 1 << 20],
] as const;

/** A scratch directory on the filesystem the Shared Folders rows put their share on (os.tmpdir()). */
export function scratchDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'hgcm-bench-'));
}

/** Direct pwrite/pread of each size from a view over a SharedArrayBuffer (as guest RAM is), page cache only. */
function fsRows(budget: Budget, quick: boolean): Row[] {
  const dir = scratchDir();
  const fileBytes = (quick ? 8 : 64) << 20;
  const ram = new Uint8Array(new SharedArrayBuffer(1 << 20)).fill(7);
  const rows: Row[] = [];
  try {
    const file = path.join(dir, 'data.bin');
    const fd = fs.openSync(file, 'w+');
    try {
      for (let pos = 0; pos < fileBytes; pos += 1 << 20) fs.writeSync(fd, ram, 0, 1 << 20, pos);
      for (const [name, size] of SIZES) {
        const buf = ram.subarray(0, size);
        for (const op of ['write', 'read'] as const) {
          let pos = 0;
          const s = measureSync(() => {
            const n =
              op === 'write' ? fs.writeSync(fd, buf, 0, size, pos) : fs.readSync(fd, buf, 0, size, pos);
            if (n !== size) throw new Error(`short ${op}: ${n} of ${size}`);
            pos = (pos + size) % fileBytes;
          }, budget);
          rows.push(
            rowOf(
              {
                id: `limit.fs.${op}.${name}`,
                suite: 'limit',
                label: `fs.${op}Sync ${name.toUpperCase().replace('K', ' KiB').replace('M', ' MiB')}`,
                kind: 'rate',
              },
              s,
              size,
            ),
          );
        }
      }
    } finally {
      fs.closeSync(fd);
    }
    // Small files: create-or-truncate, write 4 KiB, close, cycling over 256 names.
    let k = 0;
    const small = ram.subarray(0, 4096);
    const s = measureSync(() => {
      const f = fs.openSync(path.join(dir, `f${k++ & 255}`), 'w');
      fs.writeSync(f, small, 0, 4096, 0);
      fs.closeSync(f);
    }, budget);
    rows.push(
      rowOf({ id: 'limit.fs.files', suite: 'limit', label: 'fs open+write 4 KiB+close', kind: 'rate' }, s),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

function spinNote(s: { guest: number; dev: number; pool?: number }, spinners: number): string {
  const pool = s.pool === undefined ? '' : `, pool ${s.pool}`;
  return `spins: guest ${s.guest}, device ${s.dev}${pool}${spinners > 0 ? `; at most ${spinners} spinning` : ''}`;
}

/** The limit suite. */
export const limitSuite: Suite = {
  name: 'limit',
  about: 'raw doorbell round trips between workers, direct file I/O',
  byDefault: true,
  async run(ctx: SuiteContext): Promise<Row[]> {
    const rows: Row[] = [];
    const raw = rawSpins(ctx.policy);
    const variants = [
      ['block', 'blocking', { guest: 0, dev: 0, pool: 0 }, { guest: 0, dev: 0, pool: 0 }],
      [
        'policy',
        'runtime spin policy',
        { guest: raw.oneHop.guest, dev: raw.oneHop.host, pool: 0 },
        raw.twoHop,
      ],
    ] as const;
    for (const [key, what, one, two] of variants) {
      ctx.log(`  doorbell ${what}`);
      const spinners = key === 'policy' ? ctx.policy.spinners : 0;
      const s1 = await rawRoundTrip(1, one, ctx.budget, spinners);
      rows.push(
        rowOf(
          {
            id: `limit.doorbell.${key}`,
            suite: 'limit',
            label: `doorbell round trip, ${what}`,
            kind: 'latency',
            note: spinNote({ guest: one.guest, dev: one.dev }, spinners),
          },
          s1,
        ),
      );
      const s2 = await rawRoundTrip(2, two, ctx.budget, spinners);
      rows.push(
        rowOf(
          {
            id: `limit.twohop.${key}`,
            suite: 'limit',
            label: `two-hop round trip, ${what}`,
            kind: 'latency',
            note: spinNote(two, spinners),
          },
          s2,
        ),
      );
    }
    for (const n of PAIR_COUNTS) {
      ctx.log(`  doorbell pairs x${n}`);
      const p = await rawPairs(
        n,
        { guest: ctx.policy.long, host: ctx.policy.idle },
        { warmupMs: ctx.budget.warmupMs, ms: ctx.budget.timeMs },
        ctx.policy.spinners,
      );
      rows.push({
        id: `limit.pairs.${n}`,
        suite: 'limit',
        label: `doorbell round trips/s, ${n} guest/host pair${n > 1 ? 's' : ''} at once`,
        kind: 'rate',
        medianUs: p.summary.medianUs,
        p99Us: p.summary.p99Us,
        rate: p.rate,
        samples: p.summary.samples,
        cpuUs: p.cpuUs,
        note:
          `a pool call's shape: spins guest ${ctx.policy.long}, host ${ctx.policy.idle}; at most ` +
          `${ctx.policy.spinners} spinning, none while more threads work than there are cores`,
      });
    }
    ctx.log('  file I/O');
    rows.push(...fsRows(ctx.budget, ctx.quick));
    return rows;
  },
};
