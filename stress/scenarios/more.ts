// Scenarios S10-S18 of the catalogue (a host slower than the grace, address reuse, disconnects, many
// cancels, heap and IRQ contention, connect/disconnect, timeout edges), the faithful leak scope's known
// gap (S10f) and the two upstream defects the model reproduces on request (U1, U2). S16 (save state and
// reset) is out of scope: the model has neither.
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
import { INFINITE, type CallPlan, type HoldPlan, type ThreadStep, type Workload } from '../workload.js';

/** A host slower than the grace on an old host with the trunk guest (no fallback: the 2000 ms-class grace). */
function slowHost(id: string, rng: Prng, o: GenOptions, expect: 'pass' | 'fail'): Workload {
  const n = between(rng, 1, 2);
  const clients = range(n).map((t) => ({ service: 'delay' as const, owner: t }));
  const threads = range(n).map((t) => {
    const steps: ThreadStep[] = [{ k: 'connect', client: t }];
    for (let i = between(rng, 1, 2); i > 0; i--)
      steps.push({
        k: 'call',
        call: call({ client: t, ms: between(rng, 80, 200), timeoutMs: timeout(rng, 10), bytes: 64 }),
      });
    steps.push({ k: 'disconnect', client: t });
    return thread(t, steps, chance(rng, 0.6));
  });
  const config = machine(rng, { ...o, flavor: 'vbox-trunk' }, { cancel2: false });
  return workload(id, config, clients, threads, { expect });
}

export const S10: Scenario = {
  id: 'S10',
  title: 'Host slower than the grace period: leaked, the late write lands in quarantine',
  classes: ['leakLateWrite', 'noFallback', 'leak'],
  expect: 'pass',
  generate: (rng, o) => slowHost('S10', rng, { ...o, leakScope: 'strict' }, 'pass'),
};

export const S10f: Scenario = {
  id: 'S10f',
  title: "S10 in faithful leak scope: upstream's gap, the late write hits freed buffers (expect I1)",
  classes: [],
  expect: 'fail',
  generate: (rng, o) => slowHost('S10f', rng, { ...o, leakScope: 'faithful' }, 'fail'),
};

export const S11: Scenario = {
  id: 'S11',
  title: 'Free and reuse while the host may still act (ABA on the address; duplicate completions)',
  classes: ['abaReuse'],
  expect: 'pass',
  generate(rng, o) {
    // Calls of one size so the heap hands the same address out again; client 1 completes twice.
    const steps: CallPlan[] = [call({ ms: between(rng, 100, 200), timeoutMs: between(rng, 0, 3) })];
    for (let i = between(rng, 2, 3); i > 0; i--)
      steps.push(
        call({
          client: rng.int(2),
          ms: between(rng, 5, 60),
          timeoutMs: chance(rng, 0.3) ? INFINITE : timeout(rng, 15),
        }),
      );
    return workload(
      'S11',
      machine(rng, o, { hostWorkers: 2 }),
      [shared('delay'), shared('sloppy')],
      [thread(0, calls(steps))],
    );
  },
};

export const S12: Scenario = {
  id: 'S12',
  title: 'Client disconnect with calls pending',
  classes: ['disconnectPending'],
  expect: 'pass',
  generate(rng, o) {
    const n = between(rng, 1, 2);
    const threads = range(n).map((t) =>
      thread(
        t,
        calls(draw(rng, 1, 2, () => call({ ms: between(rng, 10, 50), timeoutMs: between(rng, 5, 30) }))),
      ),
    );
    threads.push(
      thread(n, [
        { k: 'pause', ms: between(rng, 0, 15) },
        { k: 'disconnect', client: 0 },
      ]),
    );
    return workload('S12', machine(rng, o), [shared('delay')], threads);
  },
};

export const S13: Scenario = {
  id: 'S13',
  title: 'One client cancels many calls at once',
  classes: ['concurrentCancels', 'cancelled'],
  expect: 'pass',
  generate(rng, o) {
    const t0 = between(rng, 2, 8);
    const threads = callThreads(rng, 2, 3, () =>
      draw(rng, 1, 2, () => call({ ms: between(rng, 40, 100), timeoutMs: t0 })),
    );
    const flavor = o.flavor ?? (chance(rng, 0.5) ? 'linux' : oneOf(rng, ['vbox-7.0', 'vbox-trunk'] as const));
    return workload('S13', machine(rng, { ...o, flavor }), [shared('delay')], threads);
  },
};

export const S14: Scenario = {
  id: 'S14',
  title: 'Several vCPUs racing on the request heap',
  classes: ['heapContention'],
  expect: 'pass',
  generate(rng, o) {
    const threads = range(3).map((t) =>
      thread(
        t,
        calls(
          draw(rng, 2, 4, () => {
            const bytes = between(rng, 16, 1500);
            if (chance(rng, 0.3)) return call({ op: 'echo', client: 1, bytes, interruptible: false });
            return call({
              ms: between(rng, 0, 15),
              bytes: chance(rng, 0.5) ? bytes : 0,
              timeoutMs: chance(rng, 0.5) ? INFINITE : timeout(rng, 15),
            });
          }),
        ),
        chance(rng, 0.3),
      ),
    );
    return workload('S14', machine(rng, o), [shared('delay'), shared('echo')], threads);
  },
};

export const S15: Scenario = {
  id: 'S15',
  title: 'IRQ edge cases: coalesced completions, a waiter on another vCPU',
  classes: ['coalescedIrq', 'isrWakesOther'],
  expect: 'pass',
  generate(rng, o) {
    const threads = callThreads(rng, 2, 3, () =>
      draw(rng, 1, 3, () => call({ ms: between(rng, 0, 2), interruptible: false })),
    );
    return workload('S15', machine(rng, o, { hostWorkers: 2 }), [shared('delay')], threads);
  },
};

export const S17: Scenario = {
  id: 'S17',
  title: 'Connect and disconnect are never cancelled (signals while they wait)',
  classes: ['signalDuringConnect'],
  expect: 'pass',
  generate(rng, o) {
    const n = between(rng, 1, 2);
    const clients = range(n).map((t) => ({ service: 'delay' as const, owner: t }));
    const threads = range(n).map((t) =>
      thread(
        t,
        [
          { k: 'connect', client: t },
          { k: 'call', call: call({ client: t, ms: between(rng, 0, 10), timeoutMs: 50 }) },
          { k: 'disconnect', client: t },
        ],
        true,
      ),
    );
    const signals = draw(rng, 2, 4, () => ({ at: between(rng, 0, 5), vcpu: rng.int(n) }));
    return workload('S17', machine(rng, o), clients, threads, { signals });
  },
};

export const S18: Scenario = {
  id: 'S18',
  title: 'Timeout edge values: 0, 1 ms, infinite',
  classes: ['timeoutZero', 'infiniteCompleted'],
  expect: 'pass',
  generate(rng, o) {
    const threads = callThreads(rng, 1, 2, () =>
      draw(rng, 1, 3, () => call({ ms: between(rng, 0, 5), timeoutMs: oneOf(rng, [0, 1, INFINITE]) })),
    );
    return workload('S18', machine(rng, o), [shared('delay')], threads);
  },
};

export const U1: Scenario = {
  id: 'U1',
  title: 'Upstream defect: a cancel by address hits an older, cancelled command (expect I1/I2)',
  classes: [],
  expect: 'fail',
  generate(rng, o) {
    const steps = calls([
      call({ ms: 1000, timeoutMs: 10 }),
      call({ ms: between(rng, 2, 10), timeoutMs: between(rng, 5, 30) }),
    ]);
    const config = machine(rng, o, { hostWorkers: 2, upstreamDefects: true });
    // B's completion waits past its remove step until both cancels were answered (the test's forcing).
    const holds: HoldPlan[] = [
      {
        actors: HOST,
        point: 'host.complete.checkCancelled',
        until: { k: 'counter', name: 'guest.cancelled', atLeast: 2 },
      },
    ];
    return workload('U1', config, [shared('delay')], [thread(0, steps)], { expect: 'fail', holds });
  },
};

export const U2: Scenario = {
  id: 'U2',
  title: "Upstream defect: a lost legacy-cancel race drops the call's outputs (expect I8)",
  classes: [],
  expect: 'fail',
  generate(rng, o) {
    const flavor = o.flavor ?? oneOf(rng, ['linux', 'vbox-7.0'] as const);
    const steps = calls(
      draw(rng, 1, 2, () => call({ ms: between(rng, 0, 10), timeoutMs: between(rng, 0, 10), bytes: 32 })),
    );
    const config = machine(rng, { ...o, flavor }, { cancel2: false, upstreamDefects: true });
    // The completion waits past its remove step until the fallback's cancel came back "not found".
    const holds: HoldPlan[] = [
      {
        actors: HOST,
        point: 'host.complete.readReq',
        until: { k: 'counter', name: 'guest.cancel.notFound', atLeast: 1 },
      },
    ];
    return workload('U2', config, [shared('delay')], [thread(0, steps)], { expect: 'fail', holds });
  },
};

export const S19: Scenario = {
  id: 'S19',
  title: 'Shared Folders writes to one real host file under timeouts and signals (I12 on the file)',
  classes: ['sfWriteOk', 'sfWriteInfo', 'cancelled'],
  expect: 'pass',
  generate(rng, o) {
    // One kernel client (as vboxsf) and one file; the threads' writes overlap each other, the file's
    // initial content and its end, so late cancelled writes, holes and growth all show in the bytes.
    const n = between(rng, 1, 2);
    const threads = range(n).map((t) =>
      thread(
        t,
        calls(
          draw(rng, 2, 4, () =>
            call({
              op: 'write',
              offset: between(rng, 0, 2048),
              bytes: between(rng, 1, 1024),
              timeoutMs: chance(rng, 0.3) ? INFINITE : timeout(rng, 3),
            }),
          ),
        ),
      ),
    );
    const signals = draw(rng, 0, 3, () => ({ at: between(rng, 0, 5), vcpu: rng.int(n) }));
    const share = { initial: oneOf(rng, [0, between(rng, 1, 3072)]) };
    return workload('S19', machine(rng, o, { hostWorkers: 2 }), [shared('sf')], threads, { signals, share });
  },
};
