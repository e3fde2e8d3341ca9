// A controlled machine around its coordinated phase (issue 17): still between phases, the coordinator over
// its threads, and the I6 check it makes when time must pass. Runs on the stress harness's main thread.
import { VMMDevRequestHeader } from '../../src/abi/index.js';
import { machineBuffers, type Machine } from '../../src/machine/index.js';
import { ControlBlock, gpa, PointId } from '../../src/runtime/index.js';
import { DeviceBus } from '../../src/vmmdev/index.js';
import { isCall } from '../oracle/rules.js';
import { World } from '../oracle/world.js';
import type { HoldPlan, Workload } from '../workload.js';
import type { Strategy } from '../../src/sim/index.js';
import { untilStill } from '../still.js';
import { Coordinator, type CoordinatorHold, type CoordinatorOptions, type Decision } from './coordinator.js';

/** How a controlled run's main phase is decided (ThreadsRunOptions.control). */
export interface ControlOptions {
  readonly strategy: Strategy;
  readonly follow?: readonly Decision[] | undefined;
  /** The run's time profile is 'any-order' (Coordinator's anyOrder), else 'realistic'. */
  readonly anyOrder?: boolean | undefined;
  /** The workload's soft holds (its directed prefixes), kept as the sim keeps them. */
  readonly holds?: readonly HoldPlan[] | undefined;
}

/** The coordinator's view of machine `m`'s control block, reading the cells its threads sleep on. */
function blockOf(m: Machine): ControlBlock | undefined {
  const s = m.sharedMemory;
  if (s.control === undefined) return undefined;
  const block = new ControlBlock(s.control);
  block.watch(machineBuffers(s));
  return block;
}

/** How long a controlled machine between phases may show no change before it counts as still (ms). */
const STILL_QUIET_MS = 5000;

/**
 * On a controlled machine (else nothing): wait until no thread runs (free threads finishing what the last
 * phase started), then have every sleeper re-check its word once (ControlBlock.freshen) and wait until all
 * have, so that the next coordinated phase starts with no sleeper already due and no wake on its way: the
 * same start in every run of a seed, and on a fresh machine replaying it. Bounded by progress, not by the
 * clock (a loaded machine may leave a woken thread unscheduled for long): it gives up once no thread has
 * parked, blocked or left for STILL_QUIET_MS, and a thread that never stops is the next phase's business.
 */
export async function stillMachine(m: Machine): Promise<void> {
  const block = blockOf(m);
  if (block === undefined) return;
  const bell = (): number => block.change;
  await untilStill(() => !block.anyRunning(), bell, STILL_QUIET_MS, 1);
  const woken = block.freshen();
  await untilStill(() => block.woken(woken), bell, STILL_QUIET_MS, 1);
}

/** A coordinator over controlled machine `m`'s threads, named as the trace ring names them. */
export function coordinator(
  m: Machine,
  c: ControlOptions,
  run: Pick<CoordinatorOptions, 'signal' | 'hangMs' | 'expect' | 'timed' | 'owes' | 'checkSleepers'>,
): Coordinator {
  const block = blockOf(m);
  if (block === undefined) throw new Error('controlled run on a machine without a control block');
  const { vcpus, hostWorkers } = m.sharedMemory.config;
  const names = [
    'device',
    ...Array.from({ length: vcpus }, (_, i) => `vcpu${i}`),
    ...Array.from({ length: hostWorkers }, (_, i) => `host${i}`),
    'main',
  ];
  const { strategy, follow, anyOrder } = c;
  const world = c.holds === undefined || c.holds.length === 0 ? undefined : new World(m.sharedMemory);
  const holds = world === undefined ? [] : c.holds!.map((h) => threadHold(h, world));
  return new Coordinator({ block, names, strategy, follow, anyOrder, holds, ...run });
}

/**
 * Does a thread of the controlled machine play a sim actor whose id starts with `prefix`? The sim's guest
 * threads (g0, g1...) are vCPU threads here; host workers and the device have the same names. (A sim
 * completion actor, complete#n, runs on the thread that completes: not named by its prefix.)
 */
function plays(name: string, prefix: string): boolean {
  return name.startsWith(prefix) || (prefix === 'g' && name.startsWith('vcpu'));
}

/**
 * A workload's hold over the controlled machine's threads. A counter condition counts from the moment the
 * hold is made (before the phase's first decision), as the sim's counts from the phase's baseline.
 */
function threadHold(h: HoldPlan, world: World): CoordinatorHold {
  const u = h.until;
  const actor = (name: string): boolean => h.actors.some((p) => plays(name, p));
  if (u.k === 'counter') {
    const from = world.counter(u.name);
    return { actor, at: PointId[h.point], until: () => world.counter(u.name) - from >= u.atLeast };
  }
  const point = PointId[u.point];
  return {
    actor,
    at: PointId[h.point],
    until: (parked) => parked.some((p) => p.at === point && plays(p.name, u.actor)),
  };
}

/**
 * I6 as the sim's monitor checks it when time must pass, for a controlled run's coordinator: a thread
 * asleep in the completion wait of a call (the request at its guest.sleep address is an HGCM call) that
 * the caller made interruptible, with a signal pending on its vCPU, sleeps through that signal. A vCPU's
 * call counts as interruptible when every call of every thread on that vCPU is (the coordinator does not
 * know which call a thread is in; a thread with both kinds is not judged).
 */
export function ignoredSignals(
  m: Machine,
  w: Workload,
  world: World,
): (asleep: readonly { name: string; addr: number }[]) => string | undefined {
  const bus = DeviceBus.attach(m.sharedMemory.bus);
  const interruptible = (vcpu: number): boolean =>
    w.threads
      .filter((t) => t.vcpu === vcpu)
      .every((t) => t.steps.every((s) => s.k !== 'call' || s.call.interruptible));
  return (asleep) => {
    for (const { name, addr } of asleep) {
      const vcpu = Number(name.replace(/^vcpu/, ''));
      if (!name.startsWith('vcpu') || !interruptible(vcpu) || !bus.vcpuBus(vcpu).signalPending()) continue;
      if (!isCall(world.mem.readU32(gpa(addr), VMMDevRequestHeader.off.requestType))) continue;
      return `${name}: a signal is pending but the interruptible wait goes on before virtual time passes (the wait of request 0x${addr.toString(16)})`;
    }
    return undefined;
  };
}
