// The benchmark's output: a Markdown table of every row beside its limit and its best peer, the goals of
// issues 6, 12 and 14 as ratios (with the CPU per call of each path) from the same run, and the change per row against an earlier run's JSON.
import type { GoalOutcome, Row, RunResult } from './runner.js';

const fmt = (v: number): string =>
  v >= 1000
    ? Math.round(v).toLocaleString('en')
    : v >= 100
      ? v.toFixed(0)
      : v >= 10
        ? v.toFixed(1)
        : v.toFixed(2);

function rateText(r: Row): string {
  if (r.rate === undefined) return '';
  const ops = r.rate >= 1e6 ? `${(r.rate / 1e6).toFixed(2)} M/s` : `${fmt(r.rate / 1000)} k/s`;
  return r.mbps === undefined ? ops : `${fmt(r.mbps)} MB/s (${ops})`;
}

/**
 * The ratio of a row to a reference row: for latency rows time over time (lower is better), for rate
 * rows rate over rate (higher is better; MB/s when both move data).
 */
export function ratio(r: Row, ref: Row): number | undefined {
  if (r.skipped !== undefined || ref.skipped !== undefined) return undefined;
  if (r.kind === 'latency') {
    return r.medianUs !== undefined && ref.medianUs ? r.medianUs / ref.medianUs : undefined;
  }
  if (r.mbps !== undefined && ref.mbps !== undefined && ref.mbps > 0) return r.mbps / ref.mbps;
  return r.rate !== undefined && ref.rate ? r.rate / ref.rate : undefined;
}

/** The best of a row's peers measured in this run (lowest median, or highest rate). */
export function bestPeer(r: Row, byId: ReadonlyMap<string, Row>): Row | undefined {
  let best: Row | undefined;
  for (const id of r.peers ?? []) {
    const p = byId.get(id);
    if (p === undefined || p.skipped !== undefined) continue;
    const better =
      best === undefined ||
      (r.kind === 'latency'
        ? (p.medianUs ?? Infinity) < (best.medianUs ?? Infinity)
        : (p.rate ?? 0) > (best.rate ?? 0));
    if (better) best = p;
  }
  return best;
}

function byIdOf(rows: readonly Row[]): Map<string, Row> {
  return new Map(rows.map((r) => [r.id, r]));
}

function shortName(r: Row): string {
  return r.id.split('.').slice(1).join('.');
}

function noteOf(r: Row): string {
  const spread =
    r.spread && `repeats ${fmt(r.spread[0])}–${fmt(r.spread[1])}${r.kind === 'latency' ? ' µs' : ''}`;
  return [r.note, spread].filter((x) => x !== undefined && x !== '').join('; ');
}

function cpuText(us: number | undefined): string {
  return us === undefined ? '' : fmt(us);
}

/** The results table (Markdown). */
export function table(rows: readonly Row[]): string {
  const byId = byIdOf(rows);
  const out = [
    '| row | median µs | p99 µs | rate | CPU µs/call | vs limit | vs best peer | note |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    if (r.skipped !== undefined) {
      out.push(`| ${r.label} | – | – | – | – | – | – | not measured: ${r.skipped} |`);
      continue;
    }
    const lim = r.limit === undefined ? undefined : byId.get(r.limit);
    const vsLimit = lim && ratio(r, lim);
    const peer = bestPeer(r, byId);
    const vsPeer = peer && ratio(r, peer);
    out.push(
      `| ${r.label} | ${r.medianUs === undefined ? '' : fmt(r.medianUs)} | ${r.p99Us === undefined ? '' : fmt(r.p99Us)} | ${rateText(r)} | ${cpuText(r.cpuUs)} | ` +
        `${vsLimit === undefined ? '' : `${vsLimit.toFixed(2)}x ${shortName(lim!)}`} | ` +
        `${vsPeer === undefined ? '' : `${vsPeer.toFixed(2)}x ${shortName(peer!)}`} | ${noteOf(r)} |`,
    );
  }
  return out.join('\n');
}

/** One goal (issues 6, 12, 14): a ratio between two figures of the same run. */
interface Goal {
  readonly text: string;
  /** The row whose CPU per call the goals table shows beside the ratio (the path the goal is about). */
  readonly cpuRow?: (byId: ReadonlyMap<string, Row>) => Row | undefined;
  /** Rows the goal is formed from (prefixes); a run without them leaves the goal out. */
  readonly needs: readonly string[];
  readonly target: number;
  readonly atLeast: boolean;
  /** The ratio and how it was formed, or undefined when a row is missing or skipped. */
  measure(byId: ReadonlyMap<string, Row>): { value: number; how: string } | undefined;
  /**
   * The same ratio for what the machine alone does (limit rows of the run, no model code): how far the
   * goal can be reached here at all.
   */
  readonly bound?: (byId: ReadonlyMap<string, Row>) => { value: number; how: string } | undefined;
}

function median(byId: ReadonlyMap<string, Row>, id: string): number | undefined {
  const r = byId.get(id);
  return r?.skipped === undefined ? r?.medianUs : undefined;
}

function field(byId: ReadonlyMap<string, Row>, id: string, f: 'rate' | 'mbps'): number | undefined {
  const r = byId.get(id);
  return r?.skipped === undefined ? r?.[f] : undefined;
}

function quotient(
  a: number | undefined,
  b: number | undefined,
  how: string,
): { value: number; how: string } | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : { value: a / b, how };
}

/** The fastest no-op HGCM path measured, by median. */
export function fastestNoop(byId: ReadonlyMap<string, Row>): Row | undefined {
  let best: Row | undefined;
  for (const r of byId.values()) {
    // Untraced paths only: the tracing rows measure what tracing adds to the pool call.
    if (!r.id.startsWith('hgcm.noop.') || r.id.includes('.trace')) continue;
    if (r.skipped !== undefined || r.medianUs === undefined) continue;
    if (best === undefined || r.medianUs < best.medianUs!) best = r;
  }
  return best;
}

/** A goal "row a's figure is at least `target` times row b's". */
function ratioGoal(
  text: string,
  a: string,
  b: string,
  key: 'mbps' | 'rate',
  target: number,
  bound?: Goal['bound'],
): Goal {
  const unit = key === 'mbps' ? 'MB/s' : a.startsWith('hgcm.calls') ? 'calls/s' : 'ops/s';
  return {
    text,
    needs: [a, b],
    target,
    atLeast: true,
    cpuRow: (rows) => rows.get(a),
    measure: (rows) => quotient(field(rows, a, key), field(rows, b, key), unit),
    ...(bound === undefined ? {} : { bound }),
  };
}

/** The bound of a calls/s ratio: the same numbers of raw guest/host pairs (limit.pairs.N) at once. */
function pairsBound(n: number, m: number): Goal['bound'] {
  return (rows) =>
    quotient(
      field(rows, `limit.pairs.${n}`, 'rate'),
      field(rows, `limit.pairs.${m}`, 'rate'),
      `raw pairs ${n} / ${m}`,
    );
}

/**
 * The bound of a Shared Folders ratio against an fs row: the fs call itself plus a whole call of the same
 * request's shape with no service work and no file I/O (`vbsf.shape.*`: the request and its page list
 * built per call, sent to the inline no-op service on the EMT, as the Shared Folders rows are), fs / (fs +
 * shape), with each time per call taken from its rate (the mean), as the goal's MB/s and operations/s are.
 * The fastest no-op call (a prepared request, no page list) was the floor before: 6-13 µs under it.
 */
function shapeBound(fsRow: string, shapeRow: string): Goal['bound'] {
  return (rows) => {
    const fs = field(rows, fsRow, 'rate');
    const call = field(rows, shapeRow, 'rate');
    return fs === undefined || call === undefined || fs === 0 || call === 0
      ? undefined
      : quotient(
          1 / fs,
          1 / fs + 1 / call,
          `fs / (fs + ${shapeRow.split('.').slice(1).join(' ')}), mean times`,
        );
  };
}

/** Issue 14: the p99 of a calls/s row against its own median (a tail that stays near the middle). */
function tailGoal(text: string, id: string, target: number, boundRow: string): Goal {
  const tail = (rows: ReadonlyMap<string, Row>, row: string, how: string) => {
    const r = rows.get(row);
    return r?.skipped === undefined ? quotient(r?.p99Us, r?.medianUs, how) : undefined;
  };
  return {
    text,
    needs: [id],
    target,
    atLeast: false,
    cpuRow: (rows) => rows.get(id),
    measure: (rows) => tail(rows, id, 'p99 / median'),
    bound: (rows) => tail(rows, boundRow, `${boundRow.split('.').slice(1).join(' ')} p99 / median`),
  };
}

/** A goal "the fastest no-op path's median is at most `target` times row `ref`'s". */
function fastestGoal(text: string, ref: string, target: number): Goal {
  const refName = ref.split('.').slice(1).join('.');
  return {
    text,
    needs: ['hgcm.noop.', ref],
    target,
    atLeast: false,
    cpuRow: fastestNoop,
    measure: (b) => {
      const f = fastestNoop(b);
      return f && quotient(f.medianUs, median(b, ref), `${shortName(f)} / ${refName}`);
    },
  };
}

const GOALS: readonly Goal[] = [
  // Issue 14's table, in its order.
  ratioGoal(
    'no-op calls/s, 2 vCPUs vs 1 vCPU (pool)',
    'hgcm.calls.2v',
    'hgcm.calls.1v',
    'rate',
    1.5,
    pairsBound(2, 1),
  ),
  ratioGoal(
    'no-op calls/s, 4 vCPUs vs 2 vCPUs (pool)',
    'hgcm.calls.4v',
    'hgcm.calls.2v',
    'rate',
    1,
    pairsBound(4, 2),
  ),
  tailGoal('no-op calls with 4 vCPUs: p99 vs the median', 'hgcm.calls.4v', 5, 'limit.pairs.4'),
  {
    text: 'no-op call through the pool, median vs a comlink call',
    needs: ['hgcm.noop.call.pool', 'peers.comlink'],
    target: 0.75,
    atLeast: false,
    cpuRow: (b) => b.get('hgcm.noop.call.pool'),
    measure: (b) =>
      quotient(median(b, 'hgcm.noop.call.pool'), median(b, 'peers.comlink'), 'call (pool) / comlink'),
    // One raw round trip of the pool call's shape (the guest spinning on the answer, the host woken).
    bound: (b) => quotient(median(b, 'limit.pairs.1'), median(b, 'peers.comlink'), 'raw pair / comlink'),
  },
  fastestGoal('fastest no-op path, median vs a comlink call', 'peers.comlink', 0.25),
  ratioGoal(
    'Shared Folders 1 MiB writes vs direct fs.writeSync, MB/s',
    'vbsf.write.1m',
    'limit.fs.write.1m',
    'mbps',
    0.8,
    shapeBound('limit.fs.write.1m', 'vbsf.shape.1m'),
  ),
  ratioGoal(
    'Shared Folders 1 MiB reads vs direct fs.readSync, MB/s',
    'vbsf.read.1m',
    'limit.fs.read.1m',
    'mbps',
    0.7,
    shapeBound('limit.fs.read.1m', 'vbsf.shape.1m'),
  ),
  ratioGoal(
    'Shared Folders 4 KiB writes vs direct fs.writeSync, operations/s',
    'vbsf.write.4k',
    'limit.fs.write.4k',
    'rate',
    0.25,
    shapeBound('limit.fs.write.4k', 'vbsf.shape.4k'),
  ),
  ratioGoal(
    'Shared Folders open + write 4 KiB + close vs fs, files/s',
    'vbsf.files',
    'limit.fs.files',
    'rate',
    0.3,
  ),
  // Issue 6.
  fastestGoal(
    'fastest no-op path, median vs the raw two-hop round trip (same spin policy)',
    'limit.twohop.policy',
    10,
  ),
  // Issue 12: `hgcm mount` against bindfs, the C FUSE passthrough, with the same fio jobs.
  ratioGoal(
    'hgcm mount sequential 1 MiB writes vs bindfs, MB/s',
    'fuse.hgcm.seqwrite',
    'fuse.bindfs.seqwrite',
    'mbps',
    0.5,
  ),
  ratioGoal(
    'hgcm mount sequential 1 MiB reads vs bindfs, MB/s',
    'fuse.hgcm.seqread',
    'fuse.bindfs.seqread',
    'mbps',
    0.5,
  ),
  ratioGoal(
    'hgcm mount random 4 KiB writes vs bindfs, IOPS',
    'fuse.hgcm.randwrite',
    'fuse.bindfs.randwrite',
    'rate',
    0.3,
  ),
  ratioGoal(
    'hgcm mount random 4 KiB reads vs bindfs, IOPS',
    'fuse.hgcm.randread',
    'fuse.bindfs.randread',
    'rate',
    0.3,
  ),
  ratioGoal(
    'hgcm mount file creates vs bindfs, files/s',
    'fuse.hgcm.create',
    'fuse.bindfs.create',
    'rate',
    0.3,
  ),
];

/** A goal's outcome (cpuUs: CPU microseconds per call of the path the goal is about, every thread). */
export type GoalResult = GoalOutcome;

/** Every goal against this run's rows. */
export function goals(rows: readonly Row[]): GoalResult[] {
  const byId = byIdOf(rows);
  const present = (prefix: string): boolean => rows.some((r) => r.id.startsWith(prefix));
  return GOALS.filter((g) => g.needs.every(present)).map((g) => {
    const m = g.measure(byId);
    const cpuUs = g.cpuRow?.(byId)?.cpuUs;
    const bound = g.bound?.(byId);
    return {
      ...(cpuUs === undefined ? {} : { cpuUs }),
      ...(bound === undefined ? {} : { bound: bound.value, boundHow: bound.how }),
      goal: g.text,
      target: `${g.atLeast ? '≥' : '≤'} ${g.target}x`,
      value: m?.value,
      how: m?.how ?? 'not measured in this run',
      met: m === undefined ? undefined : g.atLeast ? m.value >= g.target : m.value <= g.target,
    };
  });
}

/** The goals this run's rows form, as a Markdown table ('' when none). */
export function goalsTable(rows: readonly Row[]): string {
  const gs = goals(rows);
  if (gs.length === 0) return '';
  const out = [
    '| goal | target | measured | CPU µs/call | met | bound here (limit rows alone) |',
    '| --- | ---: | ---: | ---: | --- | ---: |',
  ];
  for (const g of gs) {
    const v = g.value === undefined ? '–' : `${g.value.toFixed(2)}x`;
    const met = g.met === undefined ? 'n/a' : g.met ? 'yes' : 'no';
    const bound = g.bound === undefined ? '' : `${g.bound.toFixed(2)}x (${g.boundHow})`;
    out.push(`| ${g.goal} | ${g.target} | ${v} (${g.how}) | ${cpuText(g.cpuUs)} | ${met} | ${bound} |`);
  }
  return out.join('\n');
}

/** The run's header: machine, node, policy, command. */
export function header(run: RunResult): string {
  const i = run.info;
  return (
    `\`${i.command}\` — ${i.date}, node ${i.node}, ${i.cpus} CPUs (${i.cpuModel}), load ${i.loadAvg.join(' ')}, ` +
    `spin policy short ${i.policy.short} / long ${i.policy.long} / idle ${i.policy.idle ?? 0} / ${i.policy.spinners ?? 0} spinning at most${i.policy.adaptive ? ' (adaptive long spin)' : ''}, device ${i.device ?? 'thread'}, services on ${i.placement ?? 'pool'}, IRQ to ${i.irq ?? 'all'}` +
    `${i.repeat > 1 ? `, each figure the median of ${i.repeat} repeats` : ''}${i.quick ? ', --quick (short budgets: figures are rough)' : ''}`
  );
}

/** The change per row against an earlier run: medians for latency rows, rates for rate rows. */
export function compare(old: RunResult, now: RunResult): string {
  const before = byIdOf(old.rows);
  const out = ['| row | before | after | change |', '| --- | ---: | ---: | ---: |'];
  for (const r of now.rows) {
    const o = before.get(r.id);
    if (o === undefined || o.skipped !== undefined || r.skipped !== undefined) {
      out.push(`| ${r.label} | ${o === undefined ? 'absent' : '–'} | ${r.skipped ? '–' : ''} | |`);
      continue;
    }
    const lat = r.kind === 'latency';
    const a = lat ? o.medianUs : (o.mbps ?? o.rate);
    const b = lat ? r.medianUs : (r.mbps ?? r.rate);
    if (a === undefined || b === undefined || a === 0) continue;
    const unit = lat ? ' µs' : r.mbps !== undefined ? ' MB/s' : '/s';
    const change = ((b - a) / a) * 100;
    // Better is lower for latency, higher for rates.
    const better = lat ? change < 0 : change > 0;
    out.push(
      `| ${r.label} | ${fmt(a)}${unit} | ${fmt(b)}${unit} | ${change >= 0 ? '+' : ''}${change.toFixed(1)}% ${Math.abs(change) < 1 ? '' : better ? '(better)' : '(worse)'} |`,
    );
  }
  return out.join('\n');
}
