// Pinned schedules: a fixed seed's runs (every scenario of the catalogue, passing and failing, two
// iterations each, and runs under mutants) make the same decisions, trace, steps, classes and verdict as
// when the fixture was recorded. The sim's speed work (issue 17) must not move a single decision: a replay
// line printed before it must replay identically after it. Re-record only for a deliberate change of
// schedule semantics: PIN_RECORD=1 npx vitest run test/stress/schedule-pin.test.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { expect, test, vi } from 'vitest';
import { WORK_BOUNDED } from './harness.js';
import { fnv1a, type FaultName } from '../../src/runtime/index.js';
import type { RunSpec } from '../../stress/run-spec.js';
import { SCENARIOS } from '../../stress/scenarios/index.js';
import { runSpec } from '../../stress/sim-run.js';

vi.setConfig({ testTimeout: WORK_BOUNDED });

const FIXTURE = new URL('./fixtures/schedule-pin.json', import.meta.url);

/** A string folded to 8 hex digits: the fixture stays small. */
const digest = (s: string): string => fnv1a(s).toString(16).padStart(8, '0');

/** The runs pinned: every scenario twice, and a few mutants on the scenarios that kill them. */
function specs(): RunSpec[] {
  const out: RunSpec[] = [];
  const base = { seed: 0x5eed, strategy: 'mix', profile: 'mix', faults: [] } as const;
  for (const s of SCENARIOS) for (const iteration of [0, 7]) out.push({ ...base, scenario: s.id, iteration });
  const mutants: [string, FaultName][] = [
    ['S5', 'check-before-remove'],
    ['S4', 'host-ignores-cancel'],
    ['S2', 'no-recheck-done'],
    ['S12', 'disconnect-drops-pending'],
    ['S15', 'isr-wrong-waiter'],
  ];
  for (const [scenario, fault] of mutants)
    for (const iteration of [0, 1, 2, 3]) out.push({ ...base, scenario, iteration, faults: [fault] });
  return out;
}

type Pin = Record<
  string,
  {
    steps: number;
    status: string;
    decisions: string;
    trace: string;
    tags: string;
    verdict: string;
    time: number;
  }
>;

test('a fixed seed makes the same decisions, trace, steps, classes and verdict as recorded', async () => {
  const got: Pin = {};
  for (const spec of specs()) {
    const r = await runSpec(spec, true);
    const name = `${spec.scenario}#${spec.iteration}${spec.faults.length > 0 ? `+${spec.faults.join(',')}` : ''}`;
    got[name] = {
      steps: r.steps,
      status: r.status,
      decisions: digest(r.decisions.join(' ')),
      trace: digest(r.trace.map((t) => `${t.actor} ${t.what} ${t.at} ${t.addr} ${t.gen}`).join('\n')),
      tags: [...r.tags].sort().join(' '),
      verdict: r.violations.map((v) => `${v.inv} ${v.phase} ${v.step}`).join('; '),
      time: r.time,
    };
  }
  if (process.env['PIN_RECORD'] === '1') writeFileSync(FIXTURE, `${JSON.stringify(got, null, 2)}\n`);
  const want = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Pin;
  expect(Object.keys(got).length).toBeGreaterThan(40);
  expect(got).toEqual(want);
});
