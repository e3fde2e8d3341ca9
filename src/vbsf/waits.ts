// Waiting for mapping changes; models vbsfMappingsWaitForChanges, vbsfMappingsCancelChangesWaits and
// vbsfMappingsWakeupAllWaiters (mappings.cpp), the only asynchronous Shared Folders call. Runs on the pool
// worker that received the wait, and (wake-ups) on whichever thread changed the mappings.
//
// Upstream keeps the waiters in a list on its one service thread, so a change or a cancel simply completes
// them. Here the waiting call belongs to the pool worker that received it (its completion handle lives
// there), while a change comes from any thread (a host call on the Machine's thread, an unmap on another
// worker) and a cancel from any worker. So the waiters are slots in shared memory (at most 64, as upstream),
// a cancel marks the client's slots, and every such event bumps the WAKE word; each worker holding waiters
// watches it (ServiceContext.watch) and completes its own: those whose version is stale with the new
// version, the marked ones and those the guest itself cancelled with VERR_CANCELLED. A slow timer also
// looks, for a guest's cancel whose notice the ring dropped (HGCM cancel notices are advisory).
import { Status, type StatusCode } from '../abi/index.js';
import type { ServiceContext, SvcCall, SvcParmU32 } from '../hgcm/service-api.js';
import { AtomicCell, type SlotTable, withLock } from '../runtime/index.js';
import { ClientFlag, type ClientData } from './client.js';
import { H, MAX_WAITERS, W, WAITER_BASE, type VbsfMemory } from './layout.js';

const S = { FREE: 0, WAITING: 1, CANCEL: 2 } as const;
/** How often a worker holding waiters looks at them without being woken (ms): guest cancels only. */
export const WAIT_POLL_MS = 5;

interface LocalWait {
  readonly call: SvcCall;
  readonly parm: SvcParmU32;
  readonly seq: number;
  /** The mappings version this waiter is waiting to see change. */
  readonly version: number;
}

/** The waiters: shared slots, and the calls this worker holds. */
export class MappingWaits {
  private readonly mem: VbsfMemory;
  private readonly lock: AtomicCell;
  private readonly slots: SlotTable;
  private readonly wake: AtomicCell;
  private readonly local = new Map<number, LocalWait>();
  private watching = false;
  private polling = false;

  constructor(mem: VbsfMemory) {
    this.mem = mem;
    this.lock = new AtomicCell(mem.words, H.WAIT_LOCK);
    this.slots = mem.slots(WAITER_BASE, 4, MAX_WAITERS);
    this.wake = new AtomicCell(mem.words, H.WAKE);
  }

  private get(slot: number, field: number): number {
    return this.slots.get(slot, field);
  }
  private set(slot: number, field: number, v: number): void {
    this.slots.set(slot, field, v);
  }
  private version(): number {
    return Atomics.load(this.mem.words, H.VERSION) >>> 0;
  }

  /** Mapping waits pending in the whole service. */
  get pending(): number {
    return Atomics.load(this.mem.words, H.WAITERS);
  }

  /**
   * WAIT_FOR_MAPPINGS_CHANGES: answer at once if the guest's version is stale (VINF_SUCCESS) or a cancel
   * came first (VERR_CANCELLED); otherwise hold the call (VINF_HGCM_ASYNC_EXECUTE).
   */
  wait(
    ctx: ServiceContext,
    client: ClientData,
    clientId: number,
    call: SvcCall,
    parm: SvcParmU32,
  ): StatusCode {
    // ORDER: WAKE is read before the version, so a change after this point wakes the watch armed below.
    const seen = this.wake.load();
    const version = this.version();
    const cancelNext = client.takeFlag(ClientFlag.CANCEL_NEXT_WAIT);
    if (cancelNext || parm.u32 !== version) {
      parm.u32 = version;
      return cancelNext ? Status.VERR_CANCELLED : Status.VINF_SUCCESS;
    }
    const slot = withLock(this.lock, () => {
      if (Atomics.load(this.mem.words, H.WAITERS) >= MAX_WAITERS) return -1;
      for (let i = 0; i < MAX_WAITERS; i++) {
        if (this.get(i, W.STATE) !== S.FREE) continue;
        this.set(i, W.CLIENT, clientId);
        this.set(i, W.SEQ, this.get(i, W.SEQ) + 1);
        this.set(i, W.STATE, S.WAITING);
        Atomics.add(this.mem.words, H.WAITERS, 1);
        return i;
      }
      return -1;
    });
    if (slot < 0) return Status.VERR_OUT_OF_RESOURCES;
    this.local.set(slot, { call, parm, seq: this.get(slot, W.SEQ), version });
    this.arm(ctx, seen);
    return Status.VINF_HGCM_ASYNC_EXECUTE;
  }

  /** CANCEL_MAPPINGS_CHANGES_WAITS (and disconnect): end every wait of the client with VERR_CANCELLED. */
  cancelClient(client: ClientData, clientId: number): void {
    withLock(this.lock, () => {
      for (let i = 0; i < MAX_WAITERS; i++) {
        if (this.get(i, W.STATE) === S.WAITING && this.get(i, W.CLIENT) === clientId)
          this.set(i, W.STATE, S.CANCEL);
      }
    });
    // Like upstream: the next wait of this client returns at once, closing the race with a wait on its way.
    client.setFlag(ClientFlag.CANCEL_NEXT_WAIT);
    this.wake.bump();
  }

  /** A guest cancelled one of its calls (pfnCancelled): the worker holding it should look. */
  guestCancelled(): void {
    if (this.pending > 0) this.wake.bump();
  }

  /** Watch WAKE (from `seen`) and keep a slow poll going while this worker holds waiters. */
  private arm(ctx: ServiceContext, seen: number): void {
    if (!this.watching) {
      this.watching = true;
      ctx.watch(this.wake, seen, () => {
        this.watching = false;
        // ORDER: WAKE is read before the waiters are looked at: a bump from now on fires the next watch.
        const next = this.wake.load();
        this.poll();
        if (this.local.size > 0) this.arm(ctx, next);
      });
    }
    if (!this.polling) {
      this.polling = true;
      ctx.setTimer(WAIT_POLL_MS, () => {
        this.polling = false;
        this.poll();
        if (this.local.size > 0) this.arm(ctx, this.wake.load());
      });
    }
  }

  /** Complete this worker's waiters that have something to answer. */
  private poll(): void {
    const version = this.version();
    for (const [slot, wt] of this.local) {
      const cancelled = this.get(slot, W.STATE) === S.CANCEL || wt.call.isCancelled();
      if (!cancelled && wt.version === version) continue;
      withLock(this.lock, () => {
        if (this.get(slot, W.SEQ) !== wt.seq || this.get(slot, W.STATE) === S.FREE) return;
        this.set(slot, W.STATE, S.FREE);
        Atomics.sub(this.mem.words, H.WAITERS, 1);
      });
      this.local.delete(slot);
      wt.parm.u32 = version;
      // A change is VINF_SUCCESS, as upstream documents it (its wake-up completes with VERR_CANCELLED).
      wt.call.complete(cancelled ? Status.VERR_CANCELLED : Status.VINF_SUCCESS);
    }
  }
}
