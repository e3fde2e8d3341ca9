// The spin policy, measured: the same no-op calls (the ioctl path and the fast path, through the pool)
// under several policies, each on a fresh machine, so the runtime's default is a figure and not a guess.
// Not part of a default run (it starts a machine per policy); `hgcm bench policy` runs it.
import { Machine, type SpinPolicy } from '../../src/machine/index.js';
import type { Summary } from '../measure.js';
import type { CallSpec } from '../programs/calls.js';
import { rowOf, type Row, type Suite, type SuiteContext } from '../runner.js';
import { besideModule } from '../../src/runtime/index.js';

const PROGRAM = besideModule(import.meta.url, '../programs/calls');

/**
 * The policies compared: none, the short waits only, then each kind of long wait (the call's at its full
 * budget and adaptive, runtime/spin-history.ts), then both.
 */
const POLICIES: readonly (readonly [string, Omit<SpinPolicy, 'spinners'>])[] = [
  ['park', { short: 0, long: 0, idle: 0, adaptive: false }],
  ['short', { short: 2000, long: 0, idle: 0, adaptive: false }],
  ['call', { short: 2000, long: 20_000, idle: 0, adaptive: false }],
  ['adaptive', { short: 2000, long: 20_000, idle: 0, adaptive: true }],
  ['idle', { short: 2000, long: 0, idle: 20_000, adaptive: false }],
  ['both', { short: 2000, long: 20_000, idle: 20_000, adaptive: false }],
];

/** The policy suite. */
export const policySuite: Suite = {
  name: 'policy',
  about: 'no-op calls under several spin policies (a machine each; only by name)',
  byDefault: false,
  async run(ctx: SuiteContext): Promise<Row[]> {
    const rows: Row[] = [];
    for (const [name, spin] of POLICIES) {
      const policy = { ...spin, spinners: ctx.policy.spinners };
      const m = await Machine.start({ vcpus: 1, hostWorkers: 2, spin: policy, device: ctx.device });
      try {
        for (const mode of ['call', 'fast'] as const) {
          const spec: CallSpec = { mode, service: 'noop', fn: 1, size: 0 };
          const run = (budget = ctx.budget): Promise<Summary> =>
            m.run<Summary>({ module: PROGRAM, export: 'latency', args: { spec, budget }, vcpu: 0 });
          await run({ timeMs: ctx.quick ? 100 : 300, warmupMs: 0 }); // warm every thread's code
          ctx.log(`  ${name}: ${mode}`);
          const s = await run();
          rows.push(
            rowOf(
              {
                id: `policy.${name}.${mode}`,
                suite: 'policy',
                label: `no-op ${mode === 'call' ? 'call' : 'fast call'} (pool), spin ${name}`,
                kind: 'latency',
                note: `short ${spin.short}, long ${spin.long}, idle ${spin.idle}, at most ${policy.spinners} spinning`,
              },
              s,
            ),
          );
        }
      } finally {
        await m.stop();
      }
    }
    return rows;
  },
};
