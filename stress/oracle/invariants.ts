// The invariants every stress run is checked against (reference: cancel-race.md section 5.1), and what a
// violation reports. Where this model needs a different wording than the reference, the table says so
// (see stress/README.md, "Invariants").

/** Invariant ids and names. */
export const INVARIANTS = {
  I1: 'NoWriteAfterFree',
  I2: 'CancelledNeverWritten',
  I3: 'AtMostOnce',
  I4: 'Trichotomy+Accounting',
  I5: 'LeakOnlyWhenJustified',
  I6: 'BoundedReturn',
  I7: 'NoLostWakeup',
  I8: 'ResultIntegrity',
  I9: 'UniqueAddr',
  I10: 'FlagMonotonicity',
  I11: 'CancelTargeting',
  I12: 'FileHistory',
  I13: 'SessionClosure',
  I14: 'Quiescence',
  /** Added by this model: how a call ended against its timeout, interruptibility and the events that reached it. */
  I15: 'CallOutcome',
  /** Added by this model: a disconnect's pending calls as upstream's HGCM treats them. */
  I16: 'DisconnectSemantics',
  /** Added by this model: every leak has a cause the flavour allows, and commands never vanish from the list. */
  I17: 'LeakCause',
  /** Not in the reference's table: a step machine threw (a bug in the model, or a broken assertion in it). */
  X1: 'NoCrash',
} as const;

/** An invariant id. */
export type InvariantId = keyof typeof INVARIANTS;

/** Which part of a sim run a step belongs to. */
export type Phase = 'prelude' | 'main' | 'teardown' | 'end';

/** One broken invariant: where and why. */
export interface Violation {
  readonly inv: InvariantId;
  readonly phase: Phase;
  /** Step within the phase (the schedule's numbering for 'main'); -1 when found after the run. */
  readonly step: number;
  /** Virtual (sim) or wall-clock (threads) time in ms. */
  readonly at: number;
  readonly actor: string;
  readonly detail: string;
}

/** Thrown out of a sim run by the online oracles to stop it at the first violation. */
export class ViolationError extends Error {
  readonly code = 'STRESS_VIOLATION';
  readonly violation: Violation;
  constructor(v: Violation) {
    super(`${v.inv} ${INVARIANTS[v.inv]}: ${v.detail}`);
    this.name = 'ViolationError';
    this.violation = v;
  }
}

/** One line naming a violation, as the reports print it. */
export function describeViolation(v: Violation): string {
  const where = v.step >= 0 ? `${v.phase} step ${v.step}` : v.phase;
  return `${v.inv} ${INVARIANTS[v.inv]} at ${where} (t=${v.at}, ${v.actor}): ${v.detail}`;
}
