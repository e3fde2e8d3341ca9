// A controlled machine around its coordinated phase (issue 17): still between phases, and the coordinator
// over its threads. Runs on the stress harness's main thread.
import { machineBuffers, type Machine } from '../../src/machine/index.js';
import { ControlBlock } from '../../src/runtime/index.js';
import type { Strategy } from '../../src/sim/index.js';
import { Coordinator, type CoordinatorOptions, type Decision } from './coordinator.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How a controlled run's main phase is decided (ThreadsRunOptions.control). */
export interface ControlOptions {
  readonly strategy: Strategy;
  readonly follow?: readonly Decision[] | undefined;
  /** The run's time profile is 'any-order' (Coordinator's anyOrder), else 'realistic'. */
  readonly anyOrder?: boolean | undefined;
}

/** The coordinator's view of machine `m`'s control block, reading the cells its threads sleep on. */
function blockOf(m: Machine): ControlBlock | undefined {
  const s = m.sharedMemory;
  if (s.control === undefined) return undefined;
  const block = new ControlBlock(s.control);
  block.watch(machineBuffers(s));
  return block;
}

/**
 * On a controlled machine (else nothing): wait until no thread runs (free threads finishing what the last
 * phase started), then have every sleeper re-check its word once (ControlBlock.freshen), so that the next
 * coordinated phase starts with no sleeper already due and no wake on its way: the same start in every run
 * of a seed. Bounded: a thread that never stops is the next phase's watchdog's business.
 */
export async function stillMachine(m: Machine): Promise<void> {
  const block = blockOf(m);
  if (block === undefined) return;
  for (let i = 0; i < 200 && block.anyRunning(); i++) await sleep(1);
  const woken = block.freshen();
  for (let i = 0; i < 200 && !block.woken(woken); i++) await sleep(1);
}

/** A coordinator over controlled machine `m`'s threads, named as the trace ring names them. */
export function coordinator(
  m: Machine,
  c: ControlOptions,
  run: Pick<CoordinatorOptions, 'signal' | 'hangMs' | 'expect' | 'timed' | 'owes'>,
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
  return new Coordinator({ block, names, strategy, follow, anyOrder, ...run });
}
