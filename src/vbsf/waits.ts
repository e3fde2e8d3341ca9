// Waiting for mapping changes; models vbsfMappingsWaitForChanges and vbsfMappingsCancelChangesWaits
// (mappings.cpp), the only asynchronous Shared Folders call.
//
// Upstream keeps the waiters in a list on its one service thread, so a cancel simply completes them. Here
// the waiting call belongs to the pool worker that received it (its completion handle lives there), while
// the cancel may arrive on any worker. So the waiters are slots in shared memory (at most 64, as upstream),
// a cancel marks the client's slots, and each worker polls its own waiters on a service timer (a few ms)
// and completes the marked ones, and those the guest itself cancelled. The mappings never change after
// start (the host cannot add or remove shares at run time here), so a wait otherwise lasts until cancelled.
import { Status, type StatusCode } from '../abi/index.js';
import type { ServiceContext, SvcCall, SvcParmU32 } from '../hgcm/service-api.js';
import { AtomicCell, type SlotTable, withLock } from '../runtime/index.js';
import { ClientFlag, type ClientData } from './client.js';
import { H, MAX_WAITERS, W, WAITER_BASE, type VbsfMemory } from './layout.js';

const S = { FREE: 0, WAITING: 1, CANCEL: 2 } as const;
/** How often a worker looks at its waiters (ms). */
export const WAIT_POLL_MS = 5;

interface LocalWait {
  readonly call: SvcCall;
  readonly parm: SvcParmU32;
  readonly seq: number;
}

/** The waiters: shared slots, and the calls this worker holds. */
export class MappingWaits {
  private readonly mem: VbsfMemory;
  private readonly lock: AtomicCell;
  private readonly slots: SlotTable;
  private readonly local = new Map<number, LocalWait>();
  private polling = false;

  constructor(mem: VbsfMemory) {
    this.mem = mem;
    this.lock = new AtomicCell(mem.words, H.WAIT_LOCK);
    this.slots = mem.slots(WAITER_BASE, 4, MAX_WAITERS);
  }

  private get(slot: number, field: number): number {
    return this.slots.get(slot, field);
  }
  private set(slot: number, field: number, v: number): void {
    this.slots.set(slot, field, v);
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
    version: number,
    call: SvcCall,
    parm: SvcParmU32,
  ): StatusCode {
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
    this.local.set(slot, { call, parm, seq: this.get(slot, W.SEQ) });
    this.schedule(ctx, version);
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
  }

  private schedule(ctx: ServiceContext, version: number): void {
    if (this.polling) return;
    this.polling = true;
    ctx.setTimer(WAIT_POLL_MS, () => {
      this.polling = false;
      this.poll(version);
      if (this.local.size > 0) this.schedule(ctx, version);
    });
  }

  private poll(version: number): void {
    for (const [slot, wt] of this.local) {
      const cancelled = this.get(slot, W.STATE) === S.CANCEL || wt.call.isCancelled();
      if (!cancelled) continue;
      withLock(this.lock, () => {
        if (this.get(slot, W.SEQ) !== wt.seq || this.get(slot, W.STATE) === S.FREE) return;
        this.set(slot, W.STATE, S.FREE);
        Atomics.sub(this.mem.words, H.WAITERS, 1);
      });
      this.local.delete(slot);
      wt.parm.u32 = version;
      wt.call.complete(Status.VERR_CANCELLED);
    }
  }
}
