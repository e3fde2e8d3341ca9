// The peers: what a user would otherwise reach for to call code on another thread, timed from the main
// thread with both sides otherwise idle: a postMessage round trip, a comlink call, a piscina run().
import * as Comlink from 'comlink';
import type { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { poolExecArgv, spawnModuleWorker } from '../../src/machine/index.js';
import { nodeEndpoint } from '../../src/machine/endpoint.js';
import { measureAsync } from '../measure.js';
import { rowOf, type Row, type Suite, type SuiteContext } from '../runner.js';
import { besideModule } from '../../src/runtime/index.js';

const PEER = besideModule(import.meta.url, '../workers/peer');
/** The no-op piscina task's module. */
export const NOOP_TASK = besideModule(import.meta.url, '../workers/noop-task');

async function peerWorker(role: 'echo' | 'comlink'): Promise<Worker> {
  const w = spawnModuleWorker(PEER, { workerData: { role } });
  await new Promise<void>((resolve, reject) => {
    w.once('online', () => resolve());
    w.once('error', reject);
  });
  await settle();
  return w;
}

/** Let a thread that has just started finish loading before timing it. */
export function settle(ms = 150): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A fixed piscina pool as the runtime configures its own: no thread churn. */
export function fixedPool(threads: number, filename: URL = NOOP_TASK): Piscina {
  return new Piscina({
    filename: filename.href,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Infinity,
    execArgv: poolExecArgv(),
  });
}

/** The peers suite. */
export const peersSuite: Suite = {
  name: 'peers',
  about: 'postMessage, comlink and piscina round trips from the main thread',
  byDefault: true,
  async run(ctx: SuiteContext): Promise<Row[]> {
    const rows: Row[] = [];
    const base = { suite: 'peers', kind: 'latency' } as const;

    ctx.log('  postMessage');
    const echo = await peerWorker('echo');
    const msg = { id: 7, fn: 'noop', args: [1, 2] };
    const s = await measureAsync(
      () =>
        new Promise((resolve) => {
          echo.once('message', resolve);
          echo.postMessage(msg);
        }),
      ctx.budget,
    );
    rows.push(rowOf({ ...base, id: 'peers.postmessage', label: 'postMessage round trip (small object)' }, s));
    await echo.terminate();

    ctx.log('  comlink');
    const w = await peerWorker('comlink');
    const api = Comlink.wrap<{ noop(): void; echo(x: Uint8Array): Uint8Array }>(nodeEndpoint(w));
    await api.noop();
    rows.push(
      rowOf(
        { ...base, id: 'peers.comlink', label: 'comlink call, no-op' },
        await measureAsync(() => api.noop(), ctx.budget),
      ),
    );
    for (const [name, size] of [
      ['4k', 4096],
      ['64k', 65536],
    ] as const) {
      const bytes = new Uint8Array(size);
      const e = await measureAsync(() => api.echo(bytes), ctx.budget);
      rows.push(
        rowOf(
          {
            ...base,
            id: `peers.comlink.echo.${name}`,
            label: `comlink echo ${size >> 10} KiB (cloned)`,
          },
          e,
          size,
        ),
      );
    }
    api[Comlink.releaseProxy]();
    await w.terminate();

    ctx.log('  piscina');
    const pool = fixedPool(2);
    await pool.run(0);
    await settle();
    rows.push(
      rowOf(
        { ...base, id: 'peers.piscina', label: 'piscina run() of a no-op task (2 threads)' },
        await measureAsync(() => pool.run(1), ctx.budget),
      ),
    );
    await pool.destroy();
    return rows;
  },
};
