// Replay and shrink: a failing run's printed command fails again at the same step; its schedule file
// replays exactly and reports the first divergent step of an edited schedule; shrinking gives a shorter
// schedule that breaks the same invariant and replays too. Through the CLI as a user runs it.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, vi } from 'vitest';
import { WORK_BOUNDED, cli } from './harness.js';
import type { ChromeTrace } from '../../src/trace/chrome.js';
import { STEP_US } from '../../src/sim/chrome.js';
import { readSchedule, replaySchedule } from '../../stress/schedule.js';
import { shrinkSchedule } from '../../stress/shrink.js';
import { validateChrome } from '../trace/validate.js';

vi.setConfig({ testTimeout: WORK_BOUNDED });

test('a failing run replays from its printed command and from its schedule, at the same step; shrink', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stress-'));
  const run = await cli([
    'run',
    '--scenario',
    'S5',
    '--fault',
    'check-before-remove',
    '--iterations',
    '10',
    '--failures',
    dir,
    '--quiet',
  ]);
  expect(run.code).toBe(1);
  const fail = run.out.find((l) => l.startsWith('FAIL '))!;
  const replayLine = run.out
    .find((l) => l.trim().startsWith('replay: '))!
    .trim()
    .slice('replay: '.length);
  const file = run.out
    .find((l) => l.trim().startsWith('schedule: '))!
    .trim()
    .split(' ')
    .pop()!;
  expect(fail).toMatch(/^FAIL I2 CancelledNeverWritten at main step \d+/);
  const step = /at main step (\d+)/.exec(fail)![1];

  // The printed command (minus the "hgcm stress" prefix): the same failure, the same step.
  const again = await cli([...replayLine.split(' ').slice(2), '--failures', dir]);
  expect(again.code).toBe(1);
  expect(again.out.find((l) => l.startsWith('FAIL '))).toBe(fail);

  // The schedule file: step for step; --chrome writes the replay for Perfetto, the violation marked.
  const chrome = join(dir, 'replay.json');
  const byFile = await cli(['replay', file, '--chrome', chrome]);
  expect(byFile.out).toContain('the same failure at the same step, as recorded');
  expect(byFile.code).toBe(0);
  const t = JSON.parse(readFileSync(chrome, 'utf8')) as ChromeTrace;
  expect(validateChrome(t)).toBe(1);
  const mark = t.traceEvents.find((e) => e.ph === 'i' && e.name === 'I2 violated')!;
  expect(mark.ts).toBe(Number(step) * STEP_US);
  const lanes = t.traceEvents
    .filter((e) => e.ph === 'M' && e.name === 'thread_name')
    .map((e) => e.args!.name);
  expect(lanes).toEqual(expect.arrayContaining(['device', 'host0']));
  expect(t.traceEvents.some((e) => e.name === 'point device.cancel.mark')).toBe(true);

  // An edited schedule diverges at the first edited step.
  const s = JSON.parse(readFileSync(file, 'utf8')) as { decisions: string[] };
  const at = Math.min(5, s.decisions.length - 1);
  s.decisions[at] = s.decisions[at] === 'device' ? 'host0' : 'device';
  const edited = join(dir, 'edited.schedule.json');
  writeFileSync(edited, JSON.stringify(s));
  const div = await cli(['replay', edited]);
  expect(div.code).toBe(1);
  expect(div.out.join('\n')).toMatch(new RegExp(`DIVERGED schedule diverged at step ${at}`));

  // Shrink: shorter or with fewer switches, the same invariant, and it replays.
  const original = readSchedule(file);
  const small = await shrinkSchedule(original, 200);
  expect(small.schedule.violation?.inv).toBe('I2');
  expect(small.after.steps <= small.before.steps && small.after.switches <= small.before.switches).toBe(true);
  expect(small.after.steps < small.before.steps || small.after.switches < small.before.switches).toBe(true);
  const replayed = await replaySchedule(small.schedule);
  expect(replayed.divergence).toBeUndefined();
  expect(replayed.sameFailure).toBe(true);
  expect(Number(step)).toBeGreaterThan(0);
});

test('the command line: help, usage errors, the mutate flag', async () => {
  expect((await cli(['--help'])).code).toBe(0);
  expect((await cli(['--shard', '3/2'])).code).toBe(2);
  expect((await cli(['nonsense'])).code).toBe(2);
  const m = await cli(['--mutate', '--mutation', 'no-grace,skip-leak', '--budget', '50', '--quiet']);
  expect(m.code).toBe(0);
  // The table is aligned for a terminal: cells are padded to their column's width.
  expect(m.out.join('\n')).toMatch(/\| no-grace +\|.*\| \d+ +\| I5/);
});
