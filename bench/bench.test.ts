// Smoke run of `hgcm bench --quick --json` on a reduced set of suites: the report's shape, never its times.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { mainCli } from '../src/cli/main.js';
import { compare, goals, goalsTable, table } from './report.js';
import type { RunResult } from './runner.js';
import { FUSE_ROWS } from './suites/fuse.js';
import { SF_ROWS } from './suites/vbsf.js';

describe('hgcm bench --quick', () => {
  test('limit, peers, hgcm and vbsf rows with their references, goals and a comparison', async () => {
    const out: string[] = [];
    const io = { out: (s: string) => void out.push(s), err: () => undefined };
    const traceFile = path.join(os.tmpdir(), `hgcm-bench-test-${process.pid}.json`);
    const argv = ['bench', '--quick', '--json', '--trace', traceFile, 'limit', 'peers', 'hgcm', 'vbsf'];
    const code = await mainCli(argv, io);
    // The traced calls as a Chrome trace: complete spans on a vCPU's lane and a host worker's.
    const trace = JSON.parse(fs.readFileSync(traceFile, 'utf8')) as {
      traceEvents: { ph: string; name: string; args?: { name?: string } }[];
    };
    fs.rmSync(traceFile);
    const lanes = trace.traceEvents.filter((e) => e.ph === 'M').map((e) => e.args?.name);
    expect(lanes).toContain('vcpu0');
    expect(lanes.some((l) => /^host\d$/.test(l ?? ''))).toBe(true);
    expect(trace.traceEvents.some((e) => e.name === 'svcCall noop fn 1')).toBe(true);
    expect(code).toBe(0);
    const run = JSON.parse(out.join('\n')) as RunResult;
    expect(run.info.quick).toBe(true);
    expect(run.info.suites).toEqual(['limit', 'peers', 'hgcm', 'vbsf']);
    const ids = run.rows.map((r) => r.id);
    for (const id of [
      'limit.doorbell.block',
      'limit.twohop.policy',
      'limit.fs.write.1m',
      'limit.fs.read.4k',
      'peers.comlink',
      'peers.piscina',
      'hgcm.noop.call.pool',
      'hgcm.echo.64k',
      'hgcm.calls.2v',
      'limit.pairs.4',
    ])
      expect(ids).toContain(id);
    expect(new Set(ids).size).toBe(ids.length);
    const byId = new Map(run.rows.map((r) => [r.id, r]));
    for (const r of run.rows) {
      if (r.skipped !== undefined) continue;
      expect(r.medianUs, r.id).toBeGreaterThan(0);
      expect(r.p99Us!, r.id).toBeGreaterThanOrEqual(r.medianUs!);
      expect(r.rate, r.id).toBeGreaterThan(0);
      if (r.limit !== undefined) expect(byId.has(r.limit), `${r.id} -> ${r.limit}`).toBe(true);
      for (const p of r.peers ?? []) expect(byId.has(p), `${r.id} -> ${p}`).toBe(true);
    }
    // The Shared Folders rows went through the service on a real share.
    for (const sf of SF_ROWS) {
      const r = byId.get(sf.id);
      expect(r?.skipped, sf.id).toBeUndefined();
      expect(r?.rate, sf.id).toBeGreaterThan(0);
      if (sf.id !== 'vbsf.files') expect(r?.mbps, sf.id).toBeGreaterThan(0);
    }
    // Tracing rows say what tracing cost, and kept records when on.
    for (const sample of [64, 1]) {
      const r = byId.get(`hgcm.noop.call.pool.trace${sample}`);
      expect(r?.note, `trace${sample}`).toMatch(
        /^tracing costs [+-]\d+\.\d\d µs per call .*; [1-9]\d* records kept$/,
      );
    }

    const t = table(run.rows);
    expect(t.split('\n')).toHaveLength(run.rows.length + 2);
    const g = goals(run.rows);
    expect(g).toHaveLength(10);
    // Every goal of a machine path shows what a call costs in CPU, both sides.
    for (const x of g.filter((y) => y.value !== undefined)) expect(x.cpuUs, x.goal).toBeGreaterThan(0);
    const measured = g.filter((x) => x.value !== undefined).map((x) => x.goal);
    expect(measured).toEqual(
      expect.arrayContaining([expect.stringMatching(/comlink/), expect.stringMatching(/vCPU/)]),
    );
    expect(goalsTable(run.rows)).toContain('| goal |');
    // Each goal issue 14's table lists beside its calls/s and Shared Folders rows has its bound here.
    for (const x of g.filter((y) => /vCPU|Shared Folders (1 MiB|4 KiB)|through the pool/.test(y.goal)))
      expect(x.bound, x.goal).toBeGreaterThan(0);
    // --json carries the goals, as the table prints them.
    expect(run.goals?.map((x) => [x.goal, x.met])).toEqual(g.map((x) => [x.goal, x.met]));
    expect(compare(run, run)).toContain('+0.0%');
    // Four suites start three machines and a dozen raw workers; alone this takes ~15 s, beside another
    // test file on a 2-core CI machine up to four times that. A hang is caught by the bench's own
    // per-suite watchdog first.
  }, 240_000);

  test("a goal's bound is the same ratio for the limit and floor rows alone", () => {
    const row = (id: string, f: { medianUs?: number; p99Us?: number; rate?: number; mbps?: number }) => ({
      id,
      suite: id.split('.')[0]!,
      label: id,
      kind: 'rate' as const,
      ...f,
    });
    const rows = [
      row('limit.pairs.1', { medianUs: 20, p99Us: 40, rate: 50_000 }),
      row('limit.pairs.2', { medianUs: 30, p99Us: 90, rate: 60_000 }),
      row('limit.pairs.4', { medianUs: 40, p99Us: 400, rate: 45_000 }),
      row('peers.comlink', { medianUs: 80 }),
      row('limit.fs.write.1m', { rate: 1e6 / 75, mbps: 1000 }),
      row('limit.fs.read.1m', { rate: 1e6 / 50, mbps: 1000 }),
      row('limit.fs.write.4k', { rate: 1e6 / 5 }),
      row('hgcm.noop.fast.inline', { medianUs: 25, rate: 1e6 / 25 }),
      row('hgcm.noop.call.pool', { medianUs: 60 }),
      row('hgcm.calls.1v', { medianUs: 50, p99Us: 60, rate: 20_000 }),
      row('hgcm.calls.2v', { medianUs: 50, p99Us: 60, rate: 20_000 }),
      row('hgcm.calls.4v', { medianUs: 50, p99Us: 60, rate: 20_000 }),
      row('vbsf.write.1m', { mbps: 500 }),
      row('vbsf.read.1m', { mbps: 500 }),
      row('vbsf.write.4k', { rate: 20_000 }),
      // The Shared Folders floors: a call of the request's shape, slower than the fastest no-op call.
      row('vbsf.shape.4k', { medianUs: 18, rate: 1e6 / 20 }),
      row('vbsf.shape.1m', { medianUs: 45, rate: 1e6 / 50 }),
    ];
    const bounds = Object.fromEntries(goals(rows).map((x) => [x.goal, x.bound]));
    expect(bounds).toMatchObject({
      'no-op calls/s, 2 vCPUs vs 1 vCPU (pool)': 1.2,
      'no-op calls/s, 4 vCPUs vs 2 vCPUs (pool)': 0.75,
      'no-op calls with 4 vCPUs: p99 vs the median': 10,
      'no-op call through the pool, median vs a comlink call': 0.25,
    });
    const close = (goal: string) => expect(goals(rows).find((x) => x.goal === goal)?.bound);
    // fs / (fs + the same shape's call), by mean times: 75 / (75 + 50), 50 / (50 + 50), 5 / (5 + 20).
    close('Shared Folders 1 MiB writes vs direct fs.writeSync, MB/s').toBeCloseTo(0.6, 9);
    close('Shared Folders 1 MiB reads vs direct fs.readSync, MB/s').toBeCloseTo(0.5, 9);
    close('Shared Folders 4 KiB writes vs direct fs.writeSync, operations/s').toBeCloseTo(0.2, 9);
    expect(goalsTable(rows)).toContain('| 1.20x (raw pairs 2 / 1) |');
  });

  test('the FUSE goals hold hgcm mount against bindfs, job by job', () => {
    // Figures by target: the host 10x, bindfs 4x, hgcm 1x of a base; the goals are hgcm / bindfs.
    const scale = { host: 10, bindfs: 4, hgcm: 1 } as const;
    const rows = FUSE_ROWS.map((r) => {
      const target = r.id.split('.')[1] as keyof typeof scale;
      return {
        ...r,
        suite: 'fuse',
        kind: 'rate' as const,
        rate: 100 * scale[target],
        mbps: 50 * scale[target],
      };
    });
    const g = goals(rows);
    expect(g.map((x) => x.goal)).toEqual([
      'hgcm mount sequential 1 MiB writes vs bindfs, MB/s',
      'hgcm mount sequential 1 MiB reads vs bindfs, MB/s',
      'hgcm mount random 4 KiB writes vs bindfs, IOPS',
      'hgcm mount random 4 KiB reads vs bindfs, IOPS',
      'hgcm mount file creates vs bindfs, files/s',
    ]);
    expect(g.map((x) => x.value)).toEqual([0.25, 0.25, 0.25, 0.25, 0.25]);
    expect(g.map((x) => x.met)).toEqual([false, false, false, false, false]);
    expect(g.map((x) => x.target)).toEqual(['≥ 0.5x', '≥ 0.5x', '≥ 0.3x', '≥ 0.3x', '≥ 0.3x']);
  });
});
