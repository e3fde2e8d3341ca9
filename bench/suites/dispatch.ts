// The pool dispatch the runtime uses, against the other one piscina offers: from a stand-in device
// thread, a piscina run() per item against a shared-memory ring served by long-lived piscina tasks
// (design.md 2.8). One item at a time and 16 in flight; the same no-op work either way.
import { spawnModuleWorker } from '../../src/machine/index.js';
import type { Summary } from '../measure.js';
import { rowOf, type Row, type Suite, type SuiteContext } from '../runner.js';
import type { DispatchJob, DispatchResult } from '../workers/dispatch.js';
import { besideModule } from '../../src/runtime/index.js';

const WORKER = besideModule(import.meta.url, '../workers/dispatch');

/** The dispatch suite. */
export const dispatchSuite: Suite = {
  name: 'dispatch',
  about: 'host pool dispatch: piscina run() per item vs a ring served by long-lived tasks',
  byDefault: true,
  async run(ctx: SuiteContext): Promise<Row[]> {
    const job: DispatchJob = {
      budget: ctx.budget,
      threads: 2,
      // The device waits for a completion like a guest does (short); an idle pool task is long.
      spin: { device: ctx.policy.long, pool: ctx.policy.idle },
    };
    const w = spawnModuleWorker(WORKER, { workerData: job });
    const r = await new Promise<DispatchResult>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    await w.terminate();
    const base = { suite: 'dispatch', kind: 'latency' } as const;
    const row = (id: string, label: string, s: Summary, peers?: string[]): Row =>
      rowOf({ ...base, id: `dispatch.${id}`, label, ...(peers ? { peers } : {}) }, s);
    return [
      row('run', 'piscina run() per item, 1 at a time', r.run),
      row('ring', 'ring + long-lived piscina tasks, 1 at a time', r.ring, ['dispatch.run']),
      row('run16', 'piscina run() per item, 16 in flight (per 16)', r.run16),
      row('ring16', 'ring + long-lived piscina tasks, 16 in flight (per 16)', r.ring16, ['dispatch.run16']),
    ];
  },
};
