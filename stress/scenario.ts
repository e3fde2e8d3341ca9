// What a scenario is (a seeded generator of workloads around one race of the catalogue, with the
// coverage classes it must reach) and the small vocabulary the generators share.
import type { MachineConfig } from '../src/machine/index.js';
import type { Prng } from '../src/runtime/index.js';
import type { GuestFlavorName } from '../src/vcpu/index.js';
import {
  INFINITE,
  type CallPlan,
  type ClientPlan,
  type ThreadPlan,
  type ThreadStep,
  type Workload,
} from './workload.js';

/** Knobs a campaign may pin; a generator draws what is left from its seed. */
export interface GenOptions {
  readonly flavor?: GuestFlavorName;
  readonly leakScope?: 'strict' | 'faithful';
}

/** A catalogued scenario. */
export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** Coverage classes a campaign over this scenario must reach (see coverage.ts). */
  readonly classes: readonly string[];
  /** 'fail': runs are expected to break an invariant (a known gap or an upstream defect to find). */
  readonly expect: 'pass' | 'fail';
  /** Build one workload from the workload stream of a run's seed. */
  generate(rng: Prng, o: GenOptions): Workload;
}

/** Grace lengths the harness uses (upstream's 500 / 2000 ms cost thousands of polling steps). */
export const GRACE = { graceNotFoundMs: 30, graceOtherMs: 60 } as const;

export const FLAVORS: readonly GuestFlavorName[] = ['linux', 'vbox-7.0', 'vbox-trunk'];

/** Uniform integer in [lo, hi]. */
export function between(rng: Prng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

/** 0, 1, ..., n - 1. */
export function range(n: number): number[] {
  // (A loop: Array.from with a mapping function is a slow path, and every run's workload calls this.)
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(i);
  return out;
}

/** One of the values. */
export function oneOf<T>(rng: Prng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)]!;
}

/** True with probability p. */
export function chance(rng: Prng, p: number): boolean {
  return rng.float() < p;
}

/** A call with defaults: a 10 ms delay SLEEP on client 0, no buffers, forever, interruptible. */
export function call(c: Partial<CallPlan>): CallPlan {
  return {
    op: 'sleep',
    client: 0,
    ms: 10,
    bytes: 0,
    offset: 0,
    timeoutMs: INFINITE,
    interruptible: true,
    ...c,
  };
}

/** Steps that make each call in turn. */
export function calls(cs: readonly CallPlan[]): ThreadStep[] {
  return cs.map((c) => ({ k: 'call', call: c }));
}

/** Thread t on vCPU t. */
export function thread(t: number, steps: readonly ThreadStep[], user = false): ThreadPlan {
  return { vcpu: t, user, steps };
}

/** Between `lo` and `hi` items (calls, signals; the count drawn first), each drawn by `f`. */
export function draw<T>(rng: Prng, lo: number, hi: number, f: () => T): T[] {
  return range(between(rng, lo, hi)).map(() => f());
}

/**
 * Between `lo` and `hi` guest threads (the count drawn first), thread t making the calls `make(t)` draws,
 * then, with `user`, drawing whether it runs as a user caller.
 */
export function callThreads(
  rng: Prng,
  lo: number,
  hi: number,
  make: (t: number) => readonly CallPlan[],
  user?: () => boolean,
): ThreadPlan[] {
  return range(between(rng, lo, hi)).map((t) => {
    const steps = calls(make(t));
    return thread(t, steps, user?.() ?? false);
  });
}

/** A machine config: the flavour (pinned or drawn), strict scope unless pinned, the harness's graces. */
export function machine(rng: Prng, o: GenOptions, c: MachineConfig = {}): MachineConfig {
  return {
    hostWorkers: between(rng, 1, 2),
    ...c,
    guest: {
      flavor: o.flavor ?? oneOf(rng, FLAVORS),
      leakScope: o.leakScope ?? 'strict',
      ...GRACE,
      ...c.guest,
    },
  };
}

/** A workload with the common parts filled in. */
export function workload(
  id: string,
  config: MachineConfig,
  clients: readonly ClientPlan[],
  threads: readonly ThreadPlan[],
  extra: Partial<Pick<Workload, 'signals' | 'expect' | 'holds' | 'share' | 'reclaim'>> = {},
): Workload {
  return {
    scenario: id,
    config,
    clients,
    threads,
    signals: extra.signals ?? [],
    holds: extra.holds ?? [],
    expect: extra.expect ?? 'pass',
    ...(extra.share === undefined ? {} : { share: extra.share }),
    ...(extra.reclaim === undefined ? {} : { reclaim: extra.reclaim }),
  };
}

/** The shared kernel client of a service (connected before the threads start). */
export function shared(service: ClientPlan['service']): ClientPlan {
  return { service, owner: -1 };
}

/** A timeout drawn around `around` ms: 0 sometimes (straight to the cancel path). */
export function timeout(rng: Prng, around: number): number {
  return chance(rng, 0.15) ? 0 : between(rng, 1, around);
}

/** Host-side actors: pool workers and the completions they spawn. */
export const HOST = ['host', 'complete'] as const;
