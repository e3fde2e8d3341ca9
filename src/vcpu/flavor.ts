// Guest library flavours: the three guest implementations of the call/cancel path the model follows
// (reference: cancel-race.md section 1.3) and the knobs they share.

/** Which guest library to behave like. */
export type GuestFlavorName = 'linux' | 'vbox-7.0' | 'vbox-trunk';

/** What differs between the flavours. */
export interface GuestFlavor {
  readonly name: GuestFlavorName;
  /** On VERR_NOT_IMPLEMENTED from Cancel2 (an old host): set CANCELLED, re-submit the call as HGCMCancel. */
  readonly legacyFallback: boolean;
  /** vbox-7.0 sleeps 1 ms after a fallback cancel when the wait had returned success. */
  readonly sleepAfterFallback: boolean;
  /** 'preallocated': one Cancel2 request shared under a mutex (Linux); 'per-cancel': VbglR0GRAlloc each time. */
  readonly cancelRequest: 'preallocated' | 'per-cancel';
  /** Size of the Cancel2 request: 28 (32-bit address) or 32 (7.1+, 64-bit address). */
  readonly cancel2Size: 28 | 32;
  /** Grace wait after a failed cancel: woken by the IRQ (Linux wait_event_timeout) or polling DONE every 1 ms. */
  readonly graceWait: 'irq' | 'poll';
  /** The ISR acknowledges events with an AcknowledgeEvents request (Linux) or the fast port read. */
  readonly isrAck: 'request' | 'fast';
  /**
   * Whom the ISR wakes on VMMDEV_EVENT_HGCM: 'queue', every waiter, each re-checking its condition (Linux:
   * wake_up_all on hgcm_wq); 'done', only the waiters whose request is DONE (VBoxGuest's ISR walks
   * HGCMWaitList and signals those entries).
   */
  readonly isrWake: 'queue' | 'done';
  /** Leak message, LogRel style. */
  readonly leakMessage: (bytes: number, fn: number, cParms: number, rc2: string) => string;
}

/** The flavours. */
export const FLAVORS: Readonly<Record<GuestFlavorName, GuestFlavor>> = {
  linux: {
    name: 'linux',
    legacyFallback: true,
    sleepAfterFallback: false,
    cancelRequest: 'preallocated',
    cancel2Size: 28,
    graceWait: 'irq',
    isrAck: 'request',
    isrWake: 'queue',
    leakMessage: () => 'Call timedout and cancellation failed, leaking the request',
  },
  'vbox-7.0': {
    name: 'vbox-7.0',
    legacyFallback: true,
    sleepAfterFallback: true,
    cancelRequest: 'per-cancel',
    cancel2Size: 28,
    graceWait: 'poll',
    isrAck: 'fast',
    isrWake: 'done',
    leakMessage: (bytes, fn, cParms, rc2) =>
      `Leaking ${bytes} bytes. Pending call to ${fn} with ${cParms} parms. (rc2=${rc2})`,
  },
  'vbox-trunk': {
    name: 'vbox-trunk',
    legacyFallback: false,
    sleepAfterFallback: false,
    cancelRequest: 'per-cancel',
    cancel2Size: 32,
    graceWait: 'poll',
    isrAck: 'fast',
    isrWake: 'done',
    leakMessage: (bytes, fn, cParms, rc2) =>
      `Leaking ${bytes} bytes. Pending call to ${fn} with ${cParms} parms. (rc2=${rc2})`,
  },
};

/** What is quarantined when a call is leaked. */
export type LeakScope =
  /** The request and every buffer it references stay quarantined (default). */
  | 'strict'
  /** Upstream: only the request block; bounce buffers are freed anyway. */
  | 'faithful';

/** The guest library's configuration. */
export interface GuestLibConfig {
  readonly flavor: GuestFlavorName;
  readonly leakScope: LeakScope;
  /** Grace after Cancel2 answered VERR_NOT_FOUND / VERR_SEM_DESTROYED (upstream 500 ms). */
  readonly graceNotFoundMs: number;
  /** Grace after any other cancel failure (upstream 2000 ms). */
  readonly graceOtherMs: number;
}

/** Upstream's defaults. */
export const DEFAULT_GUEST_LIB: GuestLibConfig = {
  flavor: 'vbox-7.0',
  leakScope: 'strict',
  graceNotFoundMs: 500,
  graceOtherMs: 2000,
};
