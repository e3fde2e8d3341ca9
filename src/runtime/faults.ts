// Switches that make the implementation misbehave on purpose, in shared memory so every thread sees them.
// Two kinds: host faults are things a real host does (lose a request, fail an allocation) that scenarios
// need; mutations break one rule the protocol depends on, so the stress harness can prove it notices.
// Each is checked at one place in the code, named in its description (double-complete and isr-no-wake
// at two: either check alone keeps the rule, so switching one alone would change nothing).

/** Faults a real system can have; scenarios turn them on. */
export const HOST_FAULTS = {
  /** The host loses a call: removed from the pending list, never completed (VM reset, allocation failure). */
  'host-drop': 'hgcm/host-loop: a call is taken off the list and never completed',
  /** VbglR0GRAlloc of the Cancel2 request fails (VERR_NO_MEMORY), as on a full guest heap. */
  'cancel2-alloc-fail': 'vcpu/hgcm-cancel: the cancel request cannot be allocated',
  /** An interruptible wait cannot allocate its wait record and returns VERR_INTERRUPTED at once (VBoxGuest). */
  'wait-alloc-fail': 'vcpu/hgcm-wait: interruptible waits end at once as if interrupted',
} as const;

/** Mutations: each breaks one rule; the harness must catch every one. */
export const MUTATIONS = {
  'skip-leak': 'vcpu/hgcm-call: a request whose cancel failed and whose DONE never came is freed, not leaked',
  'host-ignores-cancel': 'vmmdev/complete: completion writes back a cancelled command',
  'check-before-remove': 'vmmdev/complete: the cancel mark is read before the command leaves the list',
  'cancel-without-lock': 'vmmdev/commands: cancel finds and marks without the list lock',
  'done-before-results': 'vmmdev/complete: DONE is set before parameters and result are written',
  'plain-flags-store':
    'vcpu/hgcm-cancel: the legacy fallback stores CANCELLED with a plain write, losing DONE',
  'no-grace': 'vcpu/hgcm-cancel: no grace wait after a failed cancel',
  'wrong-grace': 'vcpu/hgcm-cancel: 2000 ms after VERR_NOT_FOUND and 500 ms otherwise (swapped)',
  'no-recheck-done': 'vcpu/hgcm-wait: the sleep does not re-check DONE (a completion before it is lost)',
  'isr-no-wake':
    'vcpu/hgcm-wait: the ISR acknowledges events but wakes no waiter, and sleepers wait for DONE alone (as Linux)',
  'timeout-as-done': 'vcpu/hgcm-call: a timed-out wait is reported as a completed call, without cancelling',
  'double-complete':
    'vmmdev/complete + hgcm/host-loop: a second completion of a call is passed on and runs although the command is no longer on the list',
  'free-before-cancel': 'vcpu/hgcm-call: the request is freed as soon as the wait ends, before the cancel',
  'quarantine-reuse': 'runtime/shared-heap: quarantined blocks go back to the free list',
  'cancel-oldest':
    'vmmdev/commands: cancel marks the oldest command at the address (cancelled or not), not the newest uncancelled one',
  'signal-ignored': 'vcpu/hgcm-wait: interruptible waits ignore signals',
  'irq-no-raise': 'vmmdev/complete: completion sets DONE but raises no interrupt',
  'legacy-cancel-no-mark': 'vmmdev/requests/hgcm-cancel: the legacy cancel reports success without marking',
} as const;

/** Every fault name. */
export type FaultName = keyof typeof HOST_FAULTS | keyof typeof MUTATIONS;

/** All fault names in a fixed order (the index is the fault's word). */
export const FAULT_NAMES: readonly FaultName[] = [
  ...(Object.keys(HOST_FAULTS) as FaultName[]),
  ...(Object.keys(MUTATIONS) as FaultName[]),
];

const index: Readonly<Record<string, number>> = Object.fromEntries(FAULT_NAMES.map((n, i) => [n, i]));

/** A fault name, or a clear error. */
export function faultIndex(name: string): number {
  const i = index[name];
  if (i === undefined) throw new RangeError(`unknown fault "${name}" (known: ${FAULT_NAMES.join(', ')})`);
  return i;
}

/** The shared fault switches. */
export class FaultTable {
  readonly sab: SharedArrayBuffer;
  private readonly words: Int32Array;

  constructor(sab: SharedArrayBuffer = new SharedArrayBuffer(4 * (FAULT_NAMES.length + 1))) {
    this.sab = sab;
    this.words = new Int32Array(sab);
  }

  /** Is the fault on? (One atomic load: cheap enough for hot paths.) */
  on(name: FaultName): boolean {
    return Atomics.load(this.words, index[name]!) !== 0;
  }

  set(name: FaultName, on: boolean): void {
    Atomics.store(this.words, faultIndex(name), on ? 1 : 0);
  }

  /** Faults that are on. */
  active(): FaultName[] {
    return FAULT_NAMES.filter((n) => this.on(n));
  }
}

/** A table with every fault off, for code that runs without a machine. */
export const NO_FAULTS = new FaultTable();
