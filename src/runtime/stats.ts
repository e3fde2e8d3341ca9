// Counters every thread bumps in one shared block, so Machine.stats() reads them without messages.

/** Every counter, in a fixed order (the index is its word). */
export const COUNTERS = [
  // device
  'device.requests',
  'device.ignored',
  'device.notSupported',
  'device.unknownType',
  'device.hgcm.accepted',
  'device.hgcm.refused',
  'device.cancel.found',
  'device.cancel.notFound',
  'device.irqs',
  // host
  'host.connects',
  'host.disconnects',
  'host.calls',
  'host.completed',
  'host.completedCancelled',
  'host.serviceErrors',
  'host.cancelNotices',
  // guest
  'guest.calls',
  'guest.sync',
  'guest.async',
  'guest.completed',
  'guest.cancelled',
  'guest.leaked',
  'guest.leakedBytes',
  'guest.timeouts',
  'guest.interrupts',
  'guest.isr',
  'guest.spuriousWakes',
  'guest.cancel.success',
  'guest.cancel.notFound',
  'guest.cancel.notImplemented',
  'guest.cancel.other',
  'guest.cancel.fallback',
  'guest.grace.completed',
  'guest.grace.expired',
  'host.dropped',
  'host.workerDeaths',
  'host.workerRestartsRefused',
  'host.completionErrors',
  'host.freedAtDisconnect',
  'host.budgetRefused',
  // Calls refused because their client had its category's limit of pending calls.
  'host.clientCallsRefused',
  // Disconnects that found a call between its client check and svcCall, and waited for it.
  'host.disconnectWaits',
  // Calls whose input the host captured and whose svcCall began: host.calls less those a cancel got to
  // first (never started, completed VERR_CANCELLED) and those lost before the capture.
  'host.started',
  // oracles
  'audit.checks',
  'audit.writeAfterFree',
] as const;

/** A counter's name. */
export type CounterName = (typeof COUNTERS)[number];

const index: Readonly<Record<string, number>> = Object.fromEntries(COUNTERS.map((n, i) => [n, i]));

/** A block of shared 32-bit counters (wrapping at 2^32; leaked bytes use two words). */
export class StatsBlock {
  readonly sab: SharedArrayBuffer;
  private readonly u32: Uint32Array;

  constructor(sab: SharedArrayBuffer = new SharedArrayBuffer(COUNTERS.length * 4)) {
    this.sab = sab;
    this.u32 = new Uint32Array(sab);
  }

  add(name: CounterName, delta = 1): void {
    Atomics.add(this.u32, index[name]!, delta);
  }

  get(name: CounterName): number {
    return Atomics.load(this.u32, index[name]!);
  }

  /** All counters by name. */
  snapshot(): Record<CounterName, number> {
    const out = {} as Record<CounterName, number>;
    for (const [i, name] of COUNTERS.entries()) out[name] = Atomics.load(this.u32, i);
    return out;
  }
}
