// The hgcm suite: HGCM calls through a real Machine (vCPU, device and pool worker threads): a no-op call
// by each path, echo calls with 4 KiB and 64 KiB buffers, and calls per second with 1, 2 and 4 vCPUs.
import fs from 'node:fs';
import { Machine } from '../../src/machine/index.js';
import type { Budget, Summary, ThroughputReport } from '../measure.js';
import type { CallSpec } from '../programs/calls.js';
import { rowOf, withWatchdog, type Row, type Suite, type SuiteContext } from '../runner.js';
import { settle } from './peers.js';
import { besideModule } from '../../src/runtime/index.js';

const PROGRAM = besideModule(import.meta.url, '../programs/calls');
/** The peers a call is held against. */
const PEERS = ['peers.postmessage', 'peers.comlink', 'peers.piscina'] as const;

/** A row that has not finished in a minute is a hang: fail with what the machine's shared state says. */
function guarded<T>(m: Machine, what: string, p: Promise<T>): Promise<T> {
  return withWatchdog(p, 60_000, () => {
    const st = m.stats();
    const counters = Object.entries(st.counters).filter(([, v]) => v !== 0);
    return (
      `${what}: no result in 60 s; pending commands ${st.host.pendingCommands}, IRQ line ` +
      `${st.irqLine}, counters ${JSON.stringify(Object.fromEntries(counters))}; ` +
      `last log lines: ${m.logs().slice(-5).join(' | ')}`
    );
  });
}

function latency(m: Machine, spec: CallSpec, budget: Budget): Promise<Summary> {
  return guarded(
    m,
    `${spec.mode} ${spec.service}`,
    m.run<Summary>({ module: PROGRAM, export: 'latency', args: { spec, budget }, vcpu: 0 }),
  );
}

/** Calls per second with `vcpus` vCPUs calling at once (each a serial loop), started by one barrier. */
async function callsPerSecond(m: Machine, spec: CallSpec, vcpus: number, budget: Budget): Promise<Row> {
  const barrier = new SharedArrayBuffer(4);
  const reports = await guarded(
    m,
    `calls/s with ${vcpus} vCPUs`,
    Promise.all(
      Array.from({ length: vcpus }, (_, vcpu) =>
        m.run<ThroughputReport>({
          module: PROGRAM,
          export: 'throughput',
          args: { spec, warmupMs: budget.warmupMs, ms: budget.timeMs, barrier, parties: vcpus },
          vcpu,
        }),
      ),
    ),
  );
  const rate = reports.reduce((sum, r) => sum + (r.calls * 1000) / r.wallMs, 0);
  // Latency percentiles of the vCPU with the median latency.
  const mid = [...reports].sort((a, b) => a.summary.medianUs - b.summary.medianUs)[vcpus >> 1]!;
  // The loops run over the same window: one vCPU's view of the process's CPU, over every vCPU's calls.
  const calls = reports.reduce((n, r) => n + r.calls, 0);
  return {
    id: `hgcm.calls.${vcpus}v`,
    suite: 'hgcm',
    label: `no-op calls/s, ${vcpus} vCPU${vcpus > 1 ? 's' : ''} (pool)`,
    kind: 'rate',
    medianUs: mid.summary.medianUs,
    p99Us: mid.summary.p99Us,
    rate,
    samples: calls,
    ...(calls > 0 ? { cpuUs: mid.cpuUs / calls } : {}),
    // The same number of raw guest/host pairs: the hand-offs alone, with no model code.
    limit: `limit.pairs.${vcpus}`,
  };
}

/**
 * Tracing's cost: the same pool call untraced, with 1 in 64 calls traced and with every call traced,
 * measured in interleaved rounds (each round runs the three in a rotated order) so a drift of the
 * machine over the run lands on all three alike; a row's figure is the median round's, and the cost is
 * the difference of the medians over rounds from the untraced one.
 */
async function tracingRows(m: Machine, ctx: SuiteContext): Promise<Row[]> {
  const spec: CallSpec = { mode: 'call', service: 'noop', fn: 1, size: 0 };
  const samples = [0, 64, 1] as const;
  const rounds = ctx.quick ? 1 : 5;
  const budget = {
    ...ctx.budget,
    timeMs: ctx.budget.timeMs / rounds,
    warmupMs: ctx.budget.warmupMs / rounds,
  };
  const got = new Map<number, { s: Summary; records: number }[]>(samples.map((x) => [x, []]));
  ctx.log('  tracing off, 1 in 64, every call (interleaved)');
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < samples.length; k++) {
      const sample = samples[(r + k) % samples.length]!;
      m.trace.set(sample !== 0, sample === 0 ? 1 : sample);
      const s = await latency(m, spec, budget);
      m.trace.set(false);
      got.get(sample)!.push({ s, records: m.trace.records().length });
      // The last round of every-call tracing is the run's trace file (Perfetto, chrome://tracing).
      if (ctx.traceFile !== undefined && sample === 1 && r === rounds - 1) {
        const meta = { job: 'hgcm bench', row: 'no-op call (pool), tracing every call' };
        fs.writeFileSync(ctx.traceFile, JSON.stringify(m.trace.chrome({ meta })));
        ctx.log(`  Chrome trace of the traced calls: ${ctx.traceFile}`);
      }
      m.trace.clear();
    }
  }
  const middle = (sample: number): { s: Summary; records: number } => {
    const xs = [...got.get(sample)!].sort((a, b) => a.s.medianUs - b.s.medianUs);
    return xs[xs.length >> 1]!;
  };
  const off = middle(0).s.medianUs;
  return samples.map((sample) => {
    const { s, records } = middle(sample);
    const cost = s.medianUs - off;
    const label =
      sample === 0
        ? 'no-op call (pool), tracing off (interleaved with the next two)'
        : `no-op call (pool), tracing ${sample === 1 ? 'every call' : `1 in ${sample} calls`}`;
    return {
      ...rowOf(
        {
          id: sample === 0 ? 'hgcm.noop.call.pool.trace0' : `hgcm.noop.call.pool.trace${sample}`,
          suite: 'hgcm',
          label,
          kind: 'latency',
          limit: 'limit.twohop.policy',
          peers: PEERS,
        },
        s,
      ),
      ...(sample === 0
        ? {}
        : {
            note: `tracing costs ${cost >= 0 ? '+' : ''}${cost.toFixed(2)} µs per call (median of ${rounds} rounds vs off); ${records} records kept`,
          }),
    };
  });
}

/** The hgcm suite. */
export const hgcmSuite: Suite = {
  name: 'hgcm',
  about: 'HGCM calls through a machine: no-op paths, echo, calls/s by vCPUs',
  byDefault: true,
  async run(ctx: SuiteContext): Promise<Row[]> {
    const m = await Machine.start({
      vcpus: 4,
      hostWorkers: 2,
      spin: ctx.policy,
      device: ctx.device,
      servicePlacement: ctx.placement,
      irqDelivery: ctx.irq,
    });
    const rows: Row[] = [];
    try {
      await settle();
      const noop = [
        ['call', 'pool', 'noop', 'no-op call (pool)'],
        ['fast', 'pool', 'noop', 'no-op fast call (pool)'],
        ['call', 'inline', 'noop-inline', 'no-op call (inline service, completes in the port write)'],
        ['fast', 'inline', 'noop-inline', 'no-op fast call (inline service, completes in the port write)'],
      ] as const;
      // Warm every thread's code (device, pool workers, guest) before the first row: the first calls after
      // a start run in the interpreter and would be charged to whichever row came first.
      ctx.log('  warm-up');
      for (const [mode, , service] of noop)
        await latency(m, { mode, service, fn: 1, size: 0 }, { timeMs: ctx.quick ? 100 : 300, warmupMs: 0 });
      for (const [mode, where, service, label] of noop) {
        ctx.log(`  ${label}`);
        const s = await latency(m, { mode, service, fn: 1, size: 0 }, ctx.budget);
        rows.push(
          rowOf(
            {
              id: `hgcm.noop.${mode}.${where}`,
              suite: 'hgcm',
              label,
              kind: 'latency',
              // An inline call needs one hop (the port write), a pool call two.
              limit: where === 'inline' ? 'limit.doorbell.policy' : 'limit.twohop.policy',
              peers: PEERS,
            },
            s,
          ),
        );
      }
      rows.push(...(await tracingRows(m, ctx)));
      for (const [name, size] of [
        ['4k', 4096],
        ['64k', 65536],
      ] as const) {
        ctx.log(`  echo ${name}`);
        const s = await latency(m, { mode: 'call', service: 'echo', fn: 1, size }, ctx.budget);
        rows.push(
          rowOf(
            {
              id: `hgcm.echo.${name}`,
              suite: 'hgcm',
              label: `echo call ${size >> 10} KiB in + out (pool)`,
              kind: 'latency',
              limit: 'limit.twohop.policy',
              peers: [`peers.comlink.echo.${name}`],
            },
            s,
            size,
          ),
        );
      }
      for (const vcpus of [1, 2, 4]) {
        ctx.log(`  calls/s, ${vcpus} vCPUs`);
        rows.push(
          await callsPerSecond(m, { mode: 'call', service: 'noop', fn: 1, size: 0 }, vcpus, ctx.budget),
        );
      }
    } finally {
      await m.stop();
    }
    return rows;
  },
};
