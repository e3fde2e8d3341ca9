// Tables as a terminal shows them: the bench report and the stress harness's mutation table come out with
// every column padded to one width (numbers right-aligned), and stay Markdown tables.
import { expect, test } from 'vitest';
import { report } from '../../bench/cli.js';
import type { Row, RunResult } from '../../bench/runner.js';
import { alignTables } from '../../src/cli/kit/table.js';
import { mutationTable, type MutantReport } from '../../stress/mutate.js';

/** The tables of `text`: runs of lines starting with '|'. */
function tables(text: string): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('|')) cur.push(line);
    else if (cur.length > 0) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Positions of the column separators of a row. */
const bars = (line: string): number[] => [...line.matchAll(/(?<!\\)\|/g)].map((m) => m.index);

function expectAligned(t: readonly string[]): void {
  expect(t.length).toBeGreaterThan(2);
  const first = bars(t[0]!);
  for (const line of t) {
    expect(line.length, line).toBe(t[0]!.length);
    expect(bars(line), line).toEqual(first);
  }
  expect(t[1]).toMatch(/^\|(:?-+:? ?\| ?)+$|^\|( -+:? \|)+$/);
}

const row = (id: string, label: string, medianUs: number, extra: Partial<Row> = {}): Row => ({
  id,
  suite: id.split('.')[0]!,
  label,
  kind: 'latency',
  medianUs,
  p99Us: medianUs * 3,
  rate: 1e6 / medianUs,
  samples: 100,
  ...extra,
});

const run = (scale: number): RunResult => ({
  info: {
    date: '2026-12-06T00:00:00.000Z',
    node: 'v20.20.2',
    cpus: 2,
    cpuModel: 'test',
    loadAvg: [1, 1, 1],
    quick: true,
    repeat: 1,
    policy: { short: 2000, long: 20000, idle: 0, spinners: 1, adaptive: true },
    device: 'emt',
    suites: ['limit', 'peers', 'hgcm'],
    command: 'hgcm bench --quick',
  },
  rows: [
    row('limit.twohop.policy', 'two-hop round trip, runtime spin policy', 11.3 * scale),
    row('peers.comlink', 'comlink call, no-op', 81.6 * scale),
    row('peers.postmessage', 'postMessage round trip (small object)', 22.8),
    row('hgcm.noop.call.pool', 'no-op call (pool)', 51.6 * scale, {
      limit: 'limit.twohop.policy',
      peers: ['peers.postmessage', 'peers.comlink'],
      note: 'repeats 50.1–58.9 µs',
    }),
    row('hgcm.noop.fast.inline', 'no-op fast call (inline service, completes in the port write)', 9.39),
    {
      id: 'hgcm.echo.64k',
      suite: 'hgcm',
      label: 'echo call 64 KiB in + out (pool)',
      kind: 'latency',
      skipped: 'no echo',
    },
  ],
});

test('the bench report: header, rows, goals and the change against an earlier run, every table aligned', () => {
  const text = report(run(1), { run: run(1.5), file: 'run.json' });
  const ts = tables(text);
  // The rows, the goals and the comparison.
  expect(ts).toHaveLength(3);
  for (const t of ts) expectAligned(t);
  // Numbers sit at the right of their cells, labels at the left.
  const noop = ts[0]!.find((l) => l.startsWith('| no-op call (pool) '))!;
  expect(noop).toMatch(/\| +51\.6 \|/);
  expect(text).toContain('Change against run.json (2026-12-06T00:00:00.000Z):');
});

/** A mutant's row as the self-test reports it (only the fields the table prints). */
function mutant(mutation: string, rule: string, runs: number, inv: string, detail: string): MutantReport {
  // SAFETY: the table reads mutation, rule, scenarios, runs and violation.inv/detail, nothing else.
  return {
    mutation,
    rule,
    scenarios: ['S5', 'S4'],
    runs,
    violation: { inv, detail },
    baselineFailures: 0,
  } as unknown as MutantReport;
}

test('the mutation table as hgcm stress mutate prints it', () => {
  const rows = [
    mutant(
      'no-grace',
      'a failed cancel is followed by a grace wait',
      1,
      'I5',
      'call 1 leaked 0 ms into a 30 ms grace',
    ),
    mutant(
      'cancel-without-lock',
      'cancel finds and marks under the list lock',
      63,
      'I2',
      'succeeded | although completed',
    ),
  ];
  const [t] = tables(alignTables(mutationTable(rows).join('\n')));
  expectAligned(t!);
  expect(t).toHaveLength(4);
});
