// Scenarios of issue 13's classes: a service that breaks its contract (S20) and clients that go away with
// calls pending, some held by a service that never answers (S21). Both are held to what issue 13 asks of
// the host, beside the usual invariants: every call ends once, and once the guests are gone the host holds
// nothing for them (I18: no command slot, no request copy), unless the loss is counted. Both failed before
// issue 13's host fixes (a bad output threw after the command left the list, a service timer's throw was
// not contained, calls of a gone client kept their slots) and pass with them.
import {
  between,
  call,
  chance,
  machine,
  oneOf,
  range,
  shared,
  thread,
  timeout,
  workload,
  type Scenario,
} from '../scenario.js';
import { INFINITE, type CallPlan, type Misbehaviour, type ThreadStep } from '../workload.js';

/** Every way the faulty service breaks its contract (stress/services/faulty.ts). */
const MISBEHAVIOURS: readonly Misbehaviour[] = [
  'throw',
  'never',
  'twice',
  'badOutput',
  'badStatus',
  'throwLater',
];

export const S20: Scenario = {
  id: 'S20',
  title: 'A service that misbehaves: throws, wrong output types, never completes, completes twice',
  classes: [],
  expect: 'pass',
  generate(rng, o) {
    const threads = range(between(rng, 2, 3)).map((t) => {
      const steps: ThreadStep[] = [];
      for (let i = between(rng, 2, 4); i > 0; i--) {
        const misbehave = chance(rng, 0.7);
        const c: CallPlan = misbehave
          ? call({
              op: 'misbehave',
              client: 1,
              how: oneOf(rng, MISBEHAVIOURS),
              ms: between(rng, 0, 20),
              // A call nobody will answer needs a finite timeout to end at all (upstream's too).
              timeoutMs: timeout(rng, 30),
            })
          : call({ ms: between(rng, 0, 20), timeoutMs: chance(rng, 0.5) ? INFINITE : timeout(rng, 30) });
        steps.push({ k: 'call', call: c });
      }
      return thread(t, steps, chance(rng, 0.3));
    });
    return workload('S20', machine(rng, o), [shared('delay'), shared('faulty')], threads, {
      expect: 'pass',
      reclaim: true,
    });
  },
};

export const S21: Scenario = {
  id: 'S21',
  title: 'Clients that disconnect with calls pending, some held by a service that never answers',
  classes: [],
  expect: 'pass',
  generate(rng, o) {
    // Client 0 (delay) and client 1 (faulty) are shared kernel clients; threads call them with finite
    // timeouts (a call queued for a gone client is never started: only its guest's cancel ends it), and
    // the last thread disconnects one or both while calls are pending.
    const threads = range(between(rng, 1, 2)).map((t) =>
      thread(
        t,
        range(between(rng, 1, 3)).map(() => ({
          k: 'call' as const,
          call: chance(rng, 0.5)
            ? call({ op: 'misbehave', client: 1, how: 'never', ms: 0, timeoutMs: between(rng, 5, 40) })
            : call({ client: 0, ms: between(rng, 5, 50), timeoutMs: between(rng, 1, 40) }),
        })),
      ),
    );
    const gone = oneOf(rng, [[0], [1], [0, 1]] as const);
    threads.push(
      thread(threads.length, [
        { k: 'pause', ms: between(rng, 0, 20) },
        ...gone.map((client) => ({ k: 'disconnect' as const, client })),
      ]),
    );
    return workload('S21', machine(rng, o), [shared('delay'), shared('faulty')], threads, {
      expect: 'pass',
      reclaim: true,
    });
  },
};
