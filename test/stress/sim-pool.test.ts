// Reused sim machines: a run on a machine reset to its post-boot image is exactly the run a fresh machine
// makes (same decisions, same trace, same classes, same verdict), whatever ran on it before - what lets a
// campaign reuse machines while every failure still replays on its own.
import { afterEach, expect, test, vi } from 'vitest';
import { WORK_BOUNDED } from './harness.js';
import { resolveRun, type RunSpec } from '../../stress/run-spec.js';
import { PASSING } from '../../stress/scenarios/index.js';
import { runSpec } from '../../stress/sim-run.js';
import { SimMachinePool } from '../../stress/sim-pool.js';
import type { SimMachine } from '../../src/machine/index.js';

vi.setConfig({ testTimeout: WORK_BOUNDED });

// Pools made here keep machines with host directories (S19): remove them.
const pools: SimMachinePool[] = [];
const newPool = (capacity: number): SimMachinePool => {
  const p = new SimMachinePool(capacity);
  pools.push(p);
  return p;
};
afterEach(() => {
  for (const p of pools.splice(0)) p.clear();
});

async function run(spec: RunSpec, pool: SimMachinePool) {
  const out = await runSpec(spec, true, pool);
  return {
    decisions: out.decisions.join(' '),
    trace: out.trace.map((t) => `${t.actor} ${t.what} ${t.at} ${t.addr} ${t.gen}`).join('\n'),
    tags: [...out.tags].sort().join(' '),
    verdict: out.violations.map((v) => `${v.inv} ${v.step} ${v.detail}`).join('; '),
    time: out.time,
  };
}

test('a run on a reused machine is the run a fresh machine makes', async () => {
  const warm = newPool(64);
  const specs: RunSpec[] = [];
  for (const s of PASSING)
    for (let it = 0; it < 4; it++)
      specs.push({ scenario: s.id, seed: 11, iteration: it, strategy: 'mix', profile: 'mix', faults: [] });
  // S19's machines own a host directory, its file rewritten for every run.
  // A mutation that fails some runs: their machines must not come back dirty.
  for (let it = 0; it < 6; it++)
    specs.push({
      scenario: 'S5',
      seed: 11,
      iteration: it,
      strategy: 'mix',
      profile: 'mix',
      faults: ['check-before-remove'],
    });
  // The warm pool runs everything once first, so every run below is on a machine that already ran.
  for (const spec of specs) await run(spec, warm);
  expect(warm.reused).toBeGreaterThan(specs.length / 2);
  let compared = 0;
  for (const spec of [...specs].reverse()) {
    const fresh = await run(spec, newPool(0));
    const again = await run(spec, warm);
    expect(again).toEqual(fresh);
    compared++;
  }
  expect(compared).toBe(specs.length);
  expect(warm.reused).toBeGreaterThan(specs.length);
});

/** What the tests of a reset machine share: a pool, a spec's workload, the settings of a lease. */
function resetCase(
  scenario: string,
  seed: number,
  strategy: RunSpec['strategy'],
  profile: RunSpec['profile'],
) {
  const spec: RunSpec = { scenario, seed, iteration: 0, strategy, profile, faults: [] };
  const settings = { profile: 'realistic' as const, observer: {}, trace: false, maxSteps: 1000 };
  const pool = newPool(4);
  /** Iterations 0-5 of the spec on the pool. */
  const runSix = async (): Promise<void> => {
    for (let it = 0; it < 6; it++) await run({ ...spec, iteration: it }, pool);
  };
  return { pool, w: resolveRun(spec).workload, settings, runSix };
}

test('a reset machine holds the very bytes a freshly booted one does', async () => {
  const { pool, w, settings, runSix } = resetCase('S14', 3, 'random', 'realistic');
  await runSix();
  const { m: used } = await pool.get(w, settings);
  // (The pool hands it out past its prelude, which it ran before: back to its boot to compare.)
  used.reset();
  const { m: fresh } = await newPool(0).get(w, settings);
  expect(pool.reused).toBeGreaterThan(0);
  // Every buffer but the trace ring, whose header holds the wall-clock time it was made at.
  const bytes = (m: typeof used): Record<string, Uint8Array> => {
    const s = m.shared;
    return Object.fromEntries(
      Object.entries({
        ram: s.ram,
        bus: s.bus,
        cmds: s.cmds,
        snaps: s.snaps,
        clients: s.clients,
        ring: s.ring,
        stats: s.stats,
        faults: s.faults,
      }).map(([k, v]) => [k, new Uint8Array(v)]),
    );
  };
  const a = bytes(used);
  const b = bytes(fresh);
  for (const k of Object.keys(a)) expect(Buffer.compare(a[k]!, b[k]!), k).toBe(0);
});

test("a reset machine's service memory is its boot's (the Shared Folders tables, kept by pages)", async () => {
  const { pool, w, settings, runSix } = resetCase('S19', 5, 'mix', 'mix');
  // (A machine with a share owns its host directory, whose path the mapping record holds: the machine is
  // compared with itself as booted, not with another one.)
  const services = (m: SimMachine): Uint8Array[] =>
    m.shared.services.flatMap((s) =>
      [s.shared, s.clientState].filter((b) => b !== undefined).map((b) => new Uint8Array(b).slice()),
    );
  const first = await pool.get(w, settings);
  const booted = services(first.m);
  pool.put(first, true);
  // S19's runs open, write and close files: handle entries and the mapping record are written.
  await runSix();
  const again = await pool.get(w, settings);
  expect(again.m).toBe(first.m);
  const table = again.m.shared.services.find((s) => s.name === 'VBoxSharedFolders')?.shared;
  // The table is large enough to be kept by pages, of which a restore looks only at those its service's
  // extent holds (HgcmService.sharedExtent: the header, the handle entries ever reserved, the mapping
  // records ever written). A page of it that was zero at the boot is written too (the share's mapping
  // record's second page, past its short host path: no run writes there), as a run writing there would.
  expect(table?.byteLength ?? 0).toBeGreaterThan(1 << 20);
  const { MAP_BASE, MAP_BYTES } = await import('../../src/vbsf/layout.js');
  const page = new Uint8Array(table!, MAP_BASE + MAP_BYTES / 2, MAP_BYTES / 2);
  expect(page.every((b) => b === 0)).toBe(true);
  page.subarray(page.length - 16).fill(0xa5);
  again.m.reset();
  const now = services(again.m);
  expect(now.length).toBe(booted.length);
  expect(now.length).toBeGreaterThan(1);
  for (const [i, b] of booted.entries()) expect(Buffer.compare(now[i]!, b), `buffer ${i}`).toBe(0);
});
