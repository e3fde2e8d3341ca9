// Scenarios S1-S9 of the catalogue (cancel-race.md section 5.2): completion without cancel, the cancel
// races around one call, signals, the old host's fallback, failing cancels and a host that loses calls.
import type { Prng } from '../../src/runtime/index.js';
import {
  between,
  HOST,
  call,
  calls,
  chance,
  machine,
  oneOf,
  range,
  shared,
  thread,
  timeout,
  workload,
  type GenOptions,
  type Scenario,
  callThreads,
  draw,
} from '../scenario.js';
import { INFINITE, type CallPlan, type HoldPlan, type SignalPlan } from '../workload.js';

export const S1: Scenario = {
  id: 'S1',
  title: 'Host answers at once (no ASYNC)',
  classes: ['sync', 'completed'],
  expect: 'pass',
  generate(rng, o) {
    const threads = callThreads(rng, 1, 2, () =>
      draw(rng, 2, 4, () =>
        chance(rng, 0.5) ? call({ op: 'badClient' }) : call({ ms: between(rng, 0, 5), interruptible: false }),
      ),
    );
    return workload('S1', machine(rng, o), [shared('delay')], threads);
  },
};

export const S2: Scenario = {
  id: 'S2',
  title: 'Completion before the guest sleeps (lost-wakeup window)',
  classes: ['doneBeforeSleep', 'completed'],
  expect: 'pass',
  generate(rng, o) {
    const threads = callThreads(rng, 1, 2, () =>
      draw(rng, 2, 3, () =>
        call({ ms: 0, timeoutMs: chance(rng, 0.7) ? INFINITE : 200, interruptible: chance(rng, 0.3) }),
      ),
    );
    // Often forced: the completion runs while the guest is between its DONE check and its sleep.
    const holds: HoldPlan[] = chance(rng, 0.4)
      ? [
          {
            actors: HOST,
            point: 'host.sideEffect',
            until: { k: 'pending', actor: 'g', point: 'guest.sleep' },
          },
        ]
      : [];
    return workload('S2', machine(rng, o), [shared('delay')], threads, { holds });
  },
};

export const S3: Scenario = {
  id: 'S3',
  title: 'Normal asynchronous completion, with buffers',
  classes: ['completed', 'completedData'],
  expect: 'pass',
  generate(rng, o) {
    const threads = range(between(rng, 1, 3)).map((t) => {
      const user = chance(rng, 0.4);
      return thread(
        t,
        calls(
          draw(rng, 1, 3, () => {
            const kind = rng.int(3);
            const bytes = between(rng, 16, 600);
            if (kind === 0) return call({ op: 'echo', client: 1, bytes, interruptible: false });
            if (kind === 1) return call({ op: 'values', client: 1, interruptible: false });
            return call({ ms: between(rng, 0, 20), bytes, timeoutMs: oneOf(rng, [INFINITE, 300]) });
          }),
        ),
        user,
      );
    });
    return workload('S3', machine(rng, o), [shared('delay'), shared('echo')], threads);
  },
};

export const S4: Scenario = {
  id: 'S4',
  title: 'Timeout, the cancel succeeds, the host completes later',
  classes: ['cancelled', 'cancelWhileQueued', 'cancelWhileRunning', 'completedCancelled'],
  expect: 'pass',
  generate(rng, o) {
    const threads = callThreads(
      rng,
      1,
      2,
      () =>
        draw(rng, 1, 3, () =>
          call({ ms: between(rng, 20, 60), timeoutMs: timeout(rng, 15), bytes: chance(rng, 0.5) ? 64 : 0 }),
        ),
      () => chance(rng, 0.3),
    );
    return workload('S4', machine(rng, o, { hostWorkers: 1 }), [shared('delay')], threads);
  },
};

/** Host latency and timeout drawn close together: completion and cancel race. */
function raceCall(rng: Prng): CallPlan {
  // An echo with no time to wait: the host completes at once while the guest is already cancelling.
  if (chance(rng, 0.3)) return call({ op: 'echo', client: 1, bytes: 48, timeoutMs: between(rng, 0, 1) });
  const ms = between(rng, 0, 12);
  // Often the very same instant: which of the two goes first is then up to the schedule alone.
  const timeoutMs = chance(rng, 0.4) ? ms : timeout(rng, 12);
  return call({ ms, timeoutMs, bytes: chance(rng, 0.4) ? 48 : 0 });
}

export const S5: Scenario = {
  id: 'S5',
  title: 'Cancel races completion (the core race): S5a, S5b, S5c',
  classes: ['doneBeforeCancel', 'graceCompleted', 'leak', 'cancelAtRemove'],
  expect: 'pass',
  generate(rng, o) {
    const threads = callThreads(rng, 1, 2, () => draw(rng, 1, 3, () => raceCall(rng)));
    return workload('S5', machine(rng, o), [shared('delay'), shared('echo')], threads, {
      holds: raceHolds(rng),
    });
  },
};

/**
 * Half the time force one of the narrow orders: S5c (the completion waits at its remove step until the
 * cancel is about to mark) or S5b's leak (the completion, past its remove, waits until the grace ran out).
 */
function raceHolds(rng: Prng): HoldPlan[] {
  const r = rng.float();
  if (r < 0.25)
    return [
      {
        actors: HOST,
        point: 'host.complete.remove',
        until: { k: 'pending', actor: 'device', point: 'device.cancel.mark' },
      },
    ];
  if (r < 0.45)
    return [
      {
        actors: HOST,
        point: 'host.complete.checkCancelled',
        until: { k: 'counter', name: 'guest.grace.expired', atLeast: 1 },
      },
    ];
  return [];
}

/** Signals at random moments to random vCPUs. */
function signals(rng: Prng, vcpus: number, lo: number, hi: number, until: number): SignalPlan[] {
  return draw(rng, lo, hi, () => ({ at: between(rng, 0, until), vcpu: rng.int(vcpus) }));
}

export const S6: Scenario = {
  id: 'S6',
  title: 'Signals instead of timeouts (and a file write split across calls)',
  classes: ['signal', 'signalInfinite', 'signalInGrace', 'fileOk', 'fileInfo'],
  expect: 'pass',
  generate(rng, o: GenOptions) {
    const n = between(rng, 1, 2);
    const threads = range(n).map((t) => {
      let offset = t * 4096;
      return thread(
        t,
        calls(
          draw(rng, 2, 4, () => {
            if (chance(rng, 0.4)) {
              const bytes = between(rng, 32, 400);
              const c = call({ op: 'write', client: 1, ms: between(rng, 0, 30), offset, bytes });
              // Successive writes of one thread overlap now and then (a rewrite of the same range).
              offset += chance(rng, 0.3) ? 0 : bytes;
              return c;
            }
            return call({
              ms: between(rng, 0, 60),
              timeoutMs: chance(rng, 0.7) ? INFINITE : between(rng, 5, 40),
            });
          }),
        ),
      );
    });
    return workload('S6', machine(rng, o), [shared('delay'), shared('histfile')], threads, {
      signals: signals(rng, n, 2, 5, 60),
    });
  },
};

export const S7: Scenario = {
  id: 'S7',
  title: 'Old host: no Cancel2 (the legacy fallback, or none)',
  classes: ['fallback', 'fallbackNotFound', 'noFallback'],
  expect: 'pass',
  generate(rng, o) {
    const threads = callThreads(rng, 1, 2, () =>
      draw(rng, 1, 3, () =>
        // The echo's completion races the fallback at once (its lost race: fallbackNotFound).
        chance(rng, 0.3)
          ? call({ op: 'echo', client: 1, bytes: 32, timeoutMs: between(rng, 0, 1) })
          : call({
              ms: between(rng, 0, 40),
              timeoutMs: timeout(rng, 20),
              bytes: chance(rng, 0.5) ? 32 : 0,
            }),
      ),
    );
    return workload('S7', machine(rng, o, { cancel2: false }), [shared('delay'), shared('echo')], threads);
  },
};

export const S8: Scenario = {
  id: 'S8',
  title: 'The cancel fails for another reason (allocation failures)',
  classes: ['cancelOther', 'waitAllocFail'],
  expect: 'pass',
  generate(rng, o) {
    const fault = chance(rng, 0.5) ? 'cancel2-alloc-fail' : 'wait-alloc-fail';
    const flavor = o.flavor ?? oneOf(rng, ['vbox-7.0', 'vbox-trunk'] as const);
    const threads = callThreads(rng, 1, 2, () =>
      draw(rng, 1, 3, () =>
        fault === 'wait-alloc-fail'
          ? call({ ms: between(rng, 0, 30), timeoutMs: chance(rng, 0.5) ? INFINITE : 50 })
          : call({ ms: between(rng, 5, 90), timeoutMs: timeout(rng, 20) }),
      ),
    );
    return workload('S8', machine(rng, { ...o, flavor }, { faults: [fault] }), [shared('delay')], threads);
  },
};

export const S9: Scenario = {
  id: 'S9',
  title: 'The host loses the request',
  classes: ['hostDrop', 'leak'],
  expect: 'pass',
  generate(rng, o) {
    const threads = callThreads(
      rng,
      1,
      2,
      () => draw(rng, 1, 2, () => call({ ms: between(rng, 0, 20), timeoutMs: timeout(rng, 20), bytes: 32 })),
      () => chance(rng, 0.3),
    );
    return workload('S9', machine(rng, o, { faults: ['host-drop'] }), [shared('delay')], threads);
  },
};
