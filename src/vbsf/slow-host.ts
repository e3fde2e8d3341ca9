// The Shared Folders service on a slow host: a diagnostic wrapper (MachineConfig.hostDelay, `hgcm mount
// --host-delay MS`) that completes the chosen functions' calls (READ and WRITE by default) `ms` after they
// arrive, as a host whose disk or network stalls would. Runs in the host pool. A call the guest cancels
// during the delay completes with VERR_CANCELLED without touching the file; one cancelled after the delay,
// while the service works, behaves as on any host. Everything else is the service itself, host calls
// (shares added and removed) included.
//
// The delay can change while the machine runs (SLOW_HOST_SET_DELAY, a host call of the wrapper's own:
// Machine.setHostDelay): it lives in a word after the service's shared memory, and every pool worker holding
// delayed calls watches a second word the change bumps, so the calls waiting now are held to the new figure
// (0 lets them go at once). A test can so hold a call for as long as it needs and then let it go, instead
// of waiting out a delay long enough for the slowest machine.
import { ShflFn, Status } from '../abi/index.js';
import { defineService, type ServiceContext, type SvcCall } from '../hgcm/service-api.js';
import { AtomicCell } from '../runtime/index.js';
import { VBSF_SHARED_BYTES } from './layout.js';
import vbsfService from './service.js';

/** The wrapper's config: the service's own, plus the delay. */
export interface SlowHostConfig {
  readonly mappings: unknown;
  readonly delayMs: number;
  readonly functions?: readonly number[];
}

/** The wrapper's host call: the delay from now on, in ms (one u32), for the calls waiting now too. */
export const SLOW_HOST_SET_DELAY = 0x510;
/** The most a delay may be (MachineConfig.hostDelay.ms's bound). */
export const SLOW_HOST_MAX_DELAY_MS = 600_000;

const DEFAULT_FUNCTIONS: readonly number[] = [ShflFn.READ, ShflFn.WRITE];

/** The wrapper's two words, after the service's shared memory: the delay, and a count its changes bump. */
const DELAY_WORD = VBSF_SHARED_BYTES / 4;
const CHANGED_WORD = DELAY_WORD + 1;
const SLOW_HOST_SHARED_BYTES = VBSF_SHARED_BYTES + 8;

function cells(shared: SharedArrayBuffer | undefined): { delay: AtomicCell; changed: AtomicCell } {
  if (shared === undefined || shared.byteLength < SLOW_HOST_SHARED_BYTES)
    throw new RangeError('slow host: shared memory too small');
  const i32 = new Int32Array(shared);
  return { delay: new AtomicCell(i32, DELAY_WORD), changed: new AtomicCell(i32, CHANGED_WORD) };
}

/** A call waiting out the delay on this worker. */
interface Held {
  readonly call: SvcCall;
  readonly since: number;
}

/** One pool worker's delayed calls, released when their delay (as it is now) has passed. */
class Holder {
  private readonly ctx: ServiceContext;
  private readonly delay: AtomicCell;
  private readonly changed: AtomicCell;
  private readonly held = new Set<Held>();
  private watching = false;

  constructor(ctx: ServiceContext, delay: AtomicCell, changed: AtomicCell) {
    this.ctx = ctx;
    this.delay = delay;
    this.changed = changed;
  }

  hold(call: SvcCall): void {
    const h: Held = { call, since: this.ctx.clock.now() };
    this.held.add(h);
    this.timeFor(h);
    this.watch();
  }

  /** A timer for when `h` is due at the delay now; if the delay grows meanwhile, the timer sets another. */
  private timeFor(h: Held): void {
    const left = h.since + this.delay.load() - this.ctx.clock.now();
    this.ctx.setTimer(Math.max(0, left), () => {
      if (!this.held.has(h)) return;
      if (this.ctx.clock.now() - h.since >= this.delay.load()) this.release(h);
      else this.timeFor(h);
    });
  }

  /** While calls are held: a change of the delay looks at all of them at once. */
  private watch(): void {
    if (this.watching || this.held.size === 0) return;
    this.watching = true;
    this.ctx.watch(this.changed, this.changed.load(), () => {
      this.watching = false;
      // ORDER: the watch is armed again (from the count now) before the delay is read: a change from here
      // on fires it.
      this.watch();
      const now = this.ctx.clock.now();
      const delay = this.delay.load();
      for (const h of this.held) if (now - h.since >= delay) this.release(h);
    });
  }

  private release(h: Held): void {
    this.held.delete(h);
    const { call } = h;
    if (call.isCancelled()) {
      call.complete(Status.VERR_CANCELLED);
      return;
    }
    let rc: number;
    try {
      rc = vbsfService.call(this.ctx, call);
    } catch (e) {
      this.ctx.log(`slow host: the service threw: ${e instanceof Error ? e.message : String(e)}`);
      rc = Status.VERR_INTERNAL_ERROR;
    }
    if (rc !== Status.VINF_HGCM_ASYNC_EXECUTE) call.complete(rc);
  }
}

const holders = new WeakMap<ServiceContext, Holder>();

function holder(ctx: ServiceContext): Holder {
  let h = holders.get(ctx);
  if (h === undefined) {
    const { delay, changed } = cells(ctx.shared);
    h = new Holder(ctx, delay, changed);
    holders.set(ctx, h);
  }
  return h;
}

function functionsOf(ctx: ServiceContext): readonly number[] {
  // SAFETY: resolveConfig builds this config (SlowHostConfig) for this module only.
  return (ctx.config as SlowHostConfig).functions ?? DEFAULT_FUNCTIONS;
}

export default defineService({
  sharedBytes: SLOW_HOST_SHARED_BYTES,
  clientStateBytes: vbsfService.clientStateBytes,
  maxCallsPerClient: vbsfService.maxCallsPerClient,
  maxClients: vbsfService.maxClients,
  sharedExtent: (shared) => [
    ...vbsfService.sharedExtent!(shared),
    [VBSF_SHARED_BYTES, SLOW_HOST_SHARED_BYTES],
  ],
  init(shared, config) {
    vbsfService.init!(shared, config);
    // SAFETY: as in functionsOf.
    cells(shared).delay.store((config as SlowHostConfig).delayMs);
  },
  setup(ctx) {
    vbsfService.setup!(ctx);
  },
  connect(ctx, client) {
    return vbsfService.connect!(ctx, client);
  },
  disconnect(ctx, client) {
    vbsfService.disconnect!(ctx, client);
  },
  cancelled(ctx) {
    vbsfService.cancelled!(ctx);
  },
  hostCall(host, fn, parms) {
    if (fn !== SLOW_HOST_SET_DELAY) return vbsfService.hostCall!(host, fn, parms);
    const ms = parms[0];
    if (parms.length !== 1 || ms === undefined) return Status.VERR_WRONG_PARAMETER_COUNT;
    if (ms.type !== 1) return Status.VERR_WRONG_PARAMETER_TYPE;
    if (ms.u32 > SLOW_HOST_MAX_DELAY_MS) return Status.VERR_INVALID_PARAMETER;
    const { delay, changed } = cells(host.shared);
    delay.store(ms.u32);
    changed.bump();
    return Status.VINF_SUCCESS;
  },
  call(ctx, call) {
    if (!functionsOf(ctx).includes(call.fn)) return vbsfService.call(ctx, call);
    holder(ctx).hold(call);
    return Status.VINF_HGCM_ASYNC_EXECUTE;
  },
});
