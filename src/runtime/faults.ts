// Switches that make the implementation misbehave on purpose, in shared memory so every thread sees them.
// Two kinds: host faults are things a real host does (lose a request, fail an allocation) that scenarios
// need; mutations break one rule the protocol depends on, so the stress harness can prove it notices.
// No protocol text tests a switch: a protocol calls the steps a fault may replace through FaultSteps,
// and each layer's fault-steps.ts holds the wrong versions, written in terms of the right ones.

/** Faults a real system can have; scenarios turn them on. */
export const HOST_FAULTS = {
  /** The host loses a call: removed from the pending list, never completed (VM reset, allocation failure). */
  'host-drop': 'host/call: a call is taken off the list and never completed',
  /** VbglR0GRAlloc of the Cancel2 request fails (VERR_NO_MEMORY), as on a full guest heap. */
  'cancel2-alloc-fail': 'vcpu/hgcm-cancel: the cancel request cannot be allocated',
  /** An interruptible wait cannot allocate its wait record and returns VERR_INTERRUPTED at once (VBoxGuest). */
  'wait-alloc-fail': 'vcpu/hgcm-wait: interruptible waits end at once as if interrupted',
} as const;

/** Mutations: each breaks one rule; the harness must catch every one. */
export const MUTATIONS = {
  'skip-leak': 'vcpu/hgcm-call: a request whose cancel failed and whose DONE never came is freed, not leaked',
  'host-ignores-cancel': 'host/complete: completion writes back a cancelled command',
  'check-before-remove': 'host/complete: the cancel mark is read before the command leaves the list',
  'cancel-without-lock': 'vmmdev/commands: cancel finds and marks without the list lock',
  'done-before-results': 'host/complete: DONE is set before parameters and result are written',
  'plain-flags-store':
    'vcpu/hgcm-cancel: the legacy fallback stores CANCELLED with a plain write, losing DONE',
  'no-grace': 'vcpu/hgcm-cancel: no grace wait after a failed cancel',
  'wrong-grace': 'vcpu/hgcm-cancel: 2000 ms after VERR_NOT_FOUND and 500 ms otherwise (swapped)',
  'no-recheck-done': 'vcpu/hgcm-wait: the sleep does not re-check DONE (a completion before it is lost)',
  'isr-no-wake':
    'vcpu/hgcm-wait: the ISR acknowledges events but wakes no waiter, and sleepers wait for DONE alone (as Linux)',
  'timeout-as-done': 'vcpu/hgcm-call: a timed-out wait is reported as a completed call, without cancelling',
  'double-complete':
    'host/complete + host/call: a second completion of a call is passed on and runs although the command is no longer on the list',
  'free-before-cancel': 'vcpu/hgcm-call: the request is freed as soon as the wait ends, before the cancel',
  'quarantine-reuse':
    "vcpu/hgcm-call: quarantined blocks go back to the free list (the heap's broken quarantine)",
  'cancel-oldest':
    'vmmdev/commands: cancel marks the oldest command at the address (cancelled or not), not the newest uncancelled one',
  'signal-ignored': 'vcpu/hgcm-wait: interruptible waits ignore signals',
  'irq-no-raise': 'host/complete: completion sets DONE but raises no interrupt',
  'legacy-cancel-no-mark': 'vmmdev/requests/hgcm-cancel: the legacy cancel reports success without marking',
  'start-cancelled':
    'host/call: a call cancelled before a host worker took it is started anyway, its input read from guest memory the guest may have reused',
  'infinite-timeout-expires':
    'vcpu/hgcm-call: the timeout is read as a signed number, so RT_INDEFINITE_WAIT (-1) is a deadline already past',
  'timeout-unit-short':
    'vcpu/hgcm-call: the timeout is converted in the wrong unit, a quarter of what was asked',
  'timeout-unit-long':
    'vcpu/hgcm-call: the timeout is converted in the wrong unit, four times what was asked',
  'uninterruptible-signalled': 'vcpu/hgcm-wait: a pending signal ends every wait, interruptible or not',
  'phantom-signal':
    'vcpu/hgcm-wait: the signal test reads a machine-wide "a wait was interrupted" record, not the vCPU\'s own pending signal',
  'no-fallback':
    'vcpu/hgcm-cancel: on a host without HGCMCancel2 the legacy fallback is skipped, even by a flavour that has it',
  'disconnect-keeps-handle':
    "vmmdev/requests/hgcm-disconnect: the client's handle stays usable until the service's disconnect has run",
  'disconnect-drops-pending':
    "vmmdev/requests/hgcm-disconnect: the client's pending call commands are taken off the list, neither completed nor findable",
  'cancel2-gone-no-mark':
    'vmmdev/requests/hgcm-cancel2: a cancel of a command whose client is gone reports success without marking it',
  'isr-wakes-nobody':
    'vcpu/hgcm-wait: the ISR acknowledges the HGCM event but wakes no waiter (sleepers still see the line)',
  'isr-wrong-waiter':
    'vcpu/hgcm-wait: the ISR wakes the waiters whose requests are not done instead of those that are',
  'isr-coalesced-drop':
    'vcpu/hgcm-wait: when completions coalesce into one interrupt (several waiters done), the ISR drops the HGCM event and wakes nobody',
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

/** The word counting the faults that are on (after one word per fault). */
const ON_COUNT = FAULT_NAMES.length;

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

  /** No fault is on (one atomic load): the protocols run their correct steps. */
  get none(): boolean {
    return Atomics.load(this.words, ON_COUNT) === 0;
  }

  set(name: FaultName, on: boolean): void {
    const i = faultIndex(name);
    // RACE: exchange, so two threads setting the same fault count it once.
    if (Atomics.exchange(this.words, i, on ? 1 : 0) !== (on ? 1 : 0))
      Atomics.add(this.words, ON_COUNT, on ? 1 : -1);
  }

  /** Faults that are on. */
  active(): FaultName[] {
    return FAULT_NAMES.filter((n) => this.on(n));
  }
}

/** A table with every fault off, for code that runs without a machine. */
export const NO_FAULTS = new FaultTable();

/**
 * What each fault replaces in one protocol's steps: a function of the steps in force without it (the correct
 * ones, or those another fault already replaced), so a wrong version may call the right one.
 */
export type FaultVariants<S> = { readonly [F in FaultName]?: (correct: S) => Partial<S> };

/**
 * The steps of one protocol a fault may replace: the protocol calls them through `in(faults)`, so its text
 * holds the correct rule, and while a fault of `variants` is on its wrong steps stand in (faults that
 * replace the same step wrap one another, in FAULT_NAMES order).
 */
export class FaultSteps<S extends object> {
  private readonly correct: S;
  private readonly variants: readonly (readonly [FaultName, (correct: S) => Partial<S>])[];
  /** The steps for the faults last seen on (this thread's copy). */
  private cached: { readonly key: string; readonly steps: S } | undefined;

  constructor(correct: S, variants: FaultVariants<S>) {
    this.correct = correct;
    this.variants = FAULT_NAMES.flatMap((f) => {
      const replace = variants[f];
      return replace === undefined ? [] : [[f, replace] as const];
    });
  }

  /** The steps in force under `faults`: the correct ones, with the steps of every fault that is on replaced. */
  in(faults: FaultTable): S {
    if (faults.none) return this.correct;
    const on = this.variants.filter(([f]) => faults.on(f));
    if (on.length === 0) return this.correct;
    const key = on.map(([f]) => f).join(',');
    if (this.cached?.key !== key) {
      let steps = this.correct;
      for (const [, replace] of on) steps = { ...steps, ...replace(steps) };
      this.cached = { key, steps };
    }
    return this.cached.steps;
  }
}
