// Tracing: spans named after the upstream functions a call crosses, recorded per thread into the shared
// trace ring. A guest thread decides at its outermost call whether the call is traced (1 in `sample`),
// and the decision travels with the request to the device and the host; when tracing is off, every
// span costs one boolean test.
import type { PointEffect, Proc } from './proc.js';
import { RecordKind, type TraceRing } from './trace-ring.js';

/** Span and instant names, by layer. The index is the name's code in the ring. */
export const SPANS = [
  // guest: Shared Folders wrappers and the file API (arg a: SHFL function)
  'vboxCall',
  // guest: VBoxGuest and VbglR0
  'VbglR0HGCMCall',
  'VBoxGuestCommonIOCtl_HGCMCall',
  'VbglR0HGCMInternalCall',
  'vbglR0HGCMInternalDoCall',
  'VbglR0GRAlloc',
  'VbglR0GRPerform',
  'vgdrvHgcmAsyncWaitCallback',
  'VGDrvCommonISR',
  'vbglR0HGCMInternalCancel',
  'HGCMCancel2',
  'HGCMCancel',
  'graceWait',
  'leak',
  'wake',
  // device
  'vmmdevRequestHandler',
  'vmmdevReqHandler',
  // host HGCM
  'hgcmServiceThread',
  'svcCall',
  'hgcmCompletedWorker',
  'DONE',
  'IRQ',
  // Shared Folders service and IPRT (arg a: bytes, where it applies)
  'vbsfCreate',
  'vbsfRead',
  'vbsfWrite',
  'vbsfClose',
  'vbsfDirList',
  'RTFileOpen',
  'RTFileRead',
  'RTFileWrite',
  'RTFileClose',
  // guest, appended (ids are positions): VbglR0HGCMFastCall, the 7.x no-bounce path (arg a: function)
  'VbglR0HGCMFastCall',
  // guest, appended: one request of the FUSE front, read from /dev/fuse and answered (arg a: opcode)
  'fuseRequest',
] as const;

/** A span's name. */
export type SpanName = (typeof SPANS)[number];

const SPAN_ID: Readonly<Record<string, number>> = Object.fromEntries(SPANS.map((n, i) => [n, i]));

/** What a layer traces through: one per thread. */
export class Tracer {
  private readonly ring: TraceRing | undefined;
  /** The ring slot of this thread. */
  readonly slot: number;
  /** Record spans now (this thread works on a traced call). */
  active = false;
  private depth = 0;
  private calls = 0;

  constructor(ring: TraceRing | undefined, slot: number) {
    this.ring = ring;
    this.slot = slot;
  }

  /** Is recording possible at all (a ring, enabled)? */
  get enabled(): boolean {
    return this.ring !== undefined && this.ring.enabled;
  }

  /**
   * A guest thread enters a call. At the outermost level, decide whether it is traced (every
   * `sample`-th call while the ring is enabled). Pair with `leaveCall`.
   */
  enterCall(): void {
    if (this.depth++ > 0) return;
    const ring = this.ring;
    this.active = ring !== undefined && ring.enabled && this.calls++ % ring.sample === 0;
  }

  /** Forget any call left open (a program that threw mid-call): the next call decides afresh. */
  reset(): void {
    this.depth = 0;
    this.active = false;
  }

  /** The guest thread leaves a call; at the outermost level tracing for it stops. */
  leaveCall(): void {
    if (--this.depth === 0) this.active = false;
  }

  begin(name: SpanName, a = 0, b = 0): void {
    if (this.active) this.ring!.record(this.slot, RecordKind.BEGIN, SPAN_ID[name]!, a, b);
  }

  end(name: SpanName, a = 0, b = 0): void {
    if (this.active) this.ring!.record(this.slot, RecordKind.END, SPAN_ID[name]!, a, b);
  }

  instant(name: SpanName, a = 0, b = 0): void {
    if (this.active) this.ring!.record(this.slot, RecordKind.INSTANT, SPAN_ID[name]!, a, b);
  }

  /** Record an interleaving point (used as the step log). */
  point(p: PointEffect): void {
    if (this.active) this.ring!.record(this.slot, RecordKind.POINT, p.id, p.addr, p.gen);
  }

  /** Record an interleaving point whether or not a call is traced (the stress harness's step log). */
  step(p: PointEffect): void {
    this.ring?.record(this.slot, RecordKind.POINT, p.id, p.addr, p.gen);
  }

  /** Run `fn` inside a span. */
  span<T>(name: SpanName, a: number, fn: () => T): T {
    if (!this.active) return fn();
    this.begin(name, a);
    try {
      return fn();
    } finally {
      this.end(name, a);
    }
  }
}

/** A tracer that never records (for code running without a machine). */
export const NO_TRACER = new Tracer(undefined, 0);

/**
 * How a step machine shows in the trace: the span named after the upstream function it models, BEGIN's two
 * numbers from its arguments, and END's: BEGIN's first and the result's status (a status code, or a small
 * outcome number the tree labels).
 */
export interface SpanOf<A extends unknown[], T> {
  readonly span: SpanName;
  /** This thread's tracer, from the arguments. */
  tracer(...args: A): Tracer;
  /** BEGIN's numbers (default 0, 0). */
  begin?(...args: A): readonly [number, number];
  /** END's second number (default 0). */
  status?(r: T): number;
  /**
   * For work a thread takes on for a call (a request, a command): true when that call is traced, whatever
   * the thread did before; tracing is on for the span's duration. Decided when the step machine first runs.
   */
  joins?(...args: A): boolean;
}

/** The most arguments a traced step machine takes (traced() refuses a body declaring more). */
const MAX_ARGS = 8;

/** A function of up to MAX_ARGS arguments, called with all of them (those not given are undefined). */
type Fixed<R> = (
  a: unknown,
  b: unknown,
  c: unknown,
  d: unknown,
  e: unknown,
  f: unknown,
  g: unknown,
  h: unknown,
) => R;

/**
 * `fn` called with a fixed argument list. The wrappers below forward their arguments one by one, not as
 * a rest array spread into each call: they run on every call of every traced step machine, and a rest
 * array is an allocation per call. Trailing arguments are undefined, which a default parameter treats as
 * not given, so the body sees what its caller passed.
 */
function fixed<A extends unknown[], R>(fn: (...args: A) => R): Fixed<R> {
  if (fn.length > MAX_ARGS) throw new RangeError(`traced: ${fn.name} takes more than ${MAX_ARGS} arguments`);
  // SAFETY: fn takes at most MAX_ARGS declared parameters (checked) and is only ever called through the
  // returned wrapper with the arguments of a call typed (...args: A), padded with undefined.
  return fn as unknown as Fixed<R>;
}

/** A wrapper built over fixed() bodies, typed as the body it wraps (it takes the same arguments). */
function unfixed<A extends unknown[], R>(w: Fixed<R>): (...args: A) => R {
  // SAFETY: the wrapper forwards its arguments one by one to bodies taking (...args: A) (see fixed) and
  // returns what they return.
  return w as unknown as (...args: A) => R;
}

/**
 * `body` recorded as a span wherever it is called: the decorator protocol functions are defined through,
 * so there is one function per upstream name and no tracing in its text. When the thread's tracer is not
 * recording, the call is `body`'s own generator (no frame added).
 */
export function traced<A extends unknown[], T>(
  s: SpanOf<A, T>,
  body: (...args: A) => Proc<T>,
): (...args: A) => Proc<T> {
  const run = fixed(body);
  const tracer = fixed(s.tracer.bind(s));
  if (s.joins !== undefined)
    return unfixed<A, Proc<T>>((a, b, c, d, e, f, g, h) =>
      tracer(a, b, c, d, e, f, g, h).enabled
        ? joined(s, [a, b, c, d, e, f, g, h] as unknown as A, body)
        : run(a, b, c, d, e, f, g, h),
    );
  return unfixed<A, Proc<T>>((a, b, c, d, e, f, g, h) => {
    const t = tracer(a, b, c, d, e, f, g, h);
    return t.active
      ? recorded(s, t, [a, b, c, d, e, f, g, h] as unknown as A, run(a, b, c, d, e, f, g, h))
      : run(a, b, c, d, e, f, g, h);
  });
}

/**
 * `traced` for a guest's outermost call (VbglR0HGCMCall, VbglR0HGCMFastCall, a vboxCall*): it decides
 * whether this call is traced (Tracer.enterCall) and ends that decision when the call returns or throws.
 * While the machine records no spans at all it is `body` itself.
 */
export function tracedCall<A extends unknown[], T>(
  s: SpanOf<A, T>,
  body: (...args: A) => Proc<T>,
): (...args: A) => Proc<T> {
  const run = fixed(body);
  const tracer = fixed(s.tracer.bind(s));
  return unfixed<A, Proc<T>>((a, b, c, d, e, f, g, h) => {
    const t = tracer(a, b, c, d, e, f, g, h);
    return t.enabled
      ? entered(s, t, [a, b, c, d, e, f, g, h] as unknown as A, body)
      : run(a, b, c, d, e, f, g, h);
  });
}

function* entered<A extends unknown[], T>(
  s: SpanOf<A, T>,
  t: Tracer,
  args: A,
  body: (...args: A) => Proc<T>,
): Proc<T> {
  t.enterCall();
  try {
    return yield* t.active ? recorded(s, t, args, body(...args)) : body(...args);
  } finally {
    t.leaveCall();
  }
}

function* joined<A extends unknown[], T>(s: SpanOf<A, T>, args: A, body: (...args: A) => Proc<T>): Proc<T> {
  const t = s.tracer(...args);
  const was = t.active;
  t.active = was || s.joins!(...args);
  try {
    return yield* t.active ? recorded(s, t, args, body(...args)) : body(...args);
  } finally {
    t.active = was;
  }
}

function* recorded<A extends unknown[], T>(s: SpanOf<A, T>, t: Tracer, args: A, body: Proc<T>): Proc<T> {
  const [a, b] = s.begin?.(...args) ?? [0, 0];
  t.begin(s.span, a, b);
  const r = yield* body;
  t.end(s.span, a, s.status?.(r) ?? 0);
  return r;
}
