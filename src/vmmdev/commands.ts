// The pending HGCM command list (cf. listHGCMCmd and VBOXHGCMCMD in VMMDevHGCM.cpp), in shared memory so
// the thread handling a port write (enlist, cancel) and the host workers (completion) meet under one lock.
//
// Upstream's rule, kept here in one place: cancel = lock, find (first match by guest-physical address,
// newest first), mark cancelled, unlock; completion = lock, remove, unlock, THEN check the mark, and a
// cancelled command is never written back. The lock is a step-machine lock: its holder yields points, so
// the sim explores every interleaving around it.
//
//   word 0 LOCK (the list lock)   1 SEQ (enlist counter)   2 LISTED   4 NEXT_ID
//        6 ALLOC_LOCK (slot reservation)   7 CAPTURE_BELL   8 HOST_BYTES   9 HOST_BUDGET
//   16 + 32*i: slot i, fields CmdField below
import {
  type AtomicCell,
  FaultSteps,
  type FaultTable,
  lock,
  lockSync,
  point,
  type Proc,
  type SharedWords,
  SlotTable,
  unlock,
  unlockSync,
  waitFor,
} from '../runtime/index.js';
import { CmdField, CmdState } from './command-fields.js';
import { LIST_FAULTS } from './fault-steps.js';

export { CmdField, CmdState };

const LOCK = 0;
const SEQ = 1;
const LISTED = 2;
const NEXT_ID = 4;
const ALLOC_LOCK = 6;
/** Bumped when a command's capture window closes; a cancel waiting for it sleeps here. */
const CAPTURE_BELL = 7;
/** Host buffer bytes the listed calls hold, and the machine's budget for them (0: none). */
const HOST_BYTES = 8;
const HOST_BUDGET = 9;
const HEADER = 16;
const SLOT_WORDS = 32;

/**
 * Which listed command a cancel at an address hits. 'first' is upstream's: the newest command at that
 * address, cancelled or not. That has a race: a cancelled command stays listed until its service
 * completes it, so once the guest frees its request and a new call B reuses the address, a cancel of B
 * arriving after B's completion removed it finds the old command, "succeeds", and the guest frees B while
 * B's completion is still writing it. 'uncancelled' (the default) skips commands already cancelled, so B's
 * cancel answers VERR_NOT_FOUND and the guest waits for B's DONE. A second cancel of one command then
 * answers VERR_NOT_FOUND instead of VINF_SUCCESS, which no guest library relies on.
 */
export type CancelMatch = 'first' | 'uncancelled';

/** The command table. */
export class CommandTable extends SlotTable {
  static readonly HEADER = HEADER;
  static readonly SLOT_WORDS = SLOT_WORDS;
  /** The list lock (step-machine lock). */
  readonly lockCell: AtomicCell;

  /** The table over a block of its layout (see create and attach). */
  constructor(words: SharedWords) {
    super(words, HEADER, SLOT_WORDS);
    this.lockCell = words.cell(LOCK);
  }

  /** Commands on the list now. */
  get listed(): number {
    return this.words.load(LISTED);
  }

  /** Set the machine's budget of host buffer bytes (below 2^31; 0: no budget). */
  setHostBudget(bytes: number): void {
    this.words.store(HOST_BUDGET, bytes);
  }

  /** Host buffer bytes charged now, and the budget. */
  get hostBytes(): { readonly inUse: number; readonly budget: number } {
    return { inUse: this.words.load(HOST_BYTES), budget: this.words.load(HOST_BUDGET) };
  }

  /**
   * Charge `bytes` of host buffers to command `slot` (the heap budget VMMDev checks when it allocates a
   * command). False, nothing charged, when that would take the machine past its budget: VERR_NO_MEMORY.
   */
  chargeHost(slot: number, bytes: number): boolean {
    if (bytes === 0) return true;
    const budget = this.words.load(HOST_BUDGET);
    const cell = this.words.cell(HOST_BYTES);
    for (;;) {
      const used = cell.load();
      if (budget !== 0 && used + bytes > budget) return false;
      // RACE: another thread charges or gives back between the load and here; the exchange then fails.
      if (cell.cas(used, used + bytes) === used) break;
    }
    this.set(slot, CmdField.HOST_BYTES, bytes);
    return true;
  }

  /** Give back what command `slot` was charged (its end, on every path). */
  unchargeHost(slot: number): void {
    const bytes = this.get(slot, CmdField.HOST_BYTES);
    if (bytes === 0) return;
    this.set(slot, CmdField.HOST_BYTES, 0);
    this.words.add(HOST_BYTES, -bytes);
  }

  /** Take a free slot (state RESERVED, fresh id), or undefined if all are in use. Sealed; never yields. */
  reserve(): number | undefined {
    const w = this.words;
    lockSync(w.cell(ALLOC_LOCK));
    try {
      for (let i = 0; i < this.capacity; i++) {
        if (this.get(i, CmdField.STATE) !== CmdState.FREE) continue;
        this.clear(i, CmdField.STATE + 1);
        // NEXT_ID counts the ids handed out: the first is 1.
        this.set(i, CmdField.ID, w.add(NEXT_ID, 1) + 1);
        this.set(i, CmdField.STATE, CmdState.RESERVED);
        return i;
      }
      return undefined;
    } finally {
      unlockSync(w.cell(ALLOC_LOCK));
    }
  }

  /** Return a slot that was never listed, or one completion has finished with. */
  release(slot: number): void {
    this.set(slot, CmdField.STATE, CmdState.FREE);
  }

  /** vmmdevR3HgcmAddCommand: put a reserved command on the list (newest first). */
  *enlist(slot: number): Proc<void> {
    yield* lock(this.lockCell);
    this.set(slot, CmdField.SEQ, this.words.add(SEQ, 1) + 1);
    this.set(slot, CmdField.STATE, CmdState.LISTED);
    this.words.add(LISTED, 1);
    unlock(this.lockCell);
  }

  /**
   * vmmdevR3HgcmFindCommandLocked: the newest listed command at `phys`, or undefined. The caller holds
   * the list lock. (`oldest`: the cancel-oldest mutation's order; the protocol never asks for it.)
   */
  findLocked(phys: number, skipCancelled = false, oldest = false): number | undefined {
    let best: number | undefined;
    let bestSeq = 0;
    for (let i = 0; i < this.capacity; i++) {
      if (this.get(i, CmdField.STATE) !== CmdState.LISTED) continue;
      if (this.get(i, CmdField.PHYS) >>> 0 !== phys >>> 0) continue;
      if (skipCancelled && this.get(i, CmdField.CANCELLED) === 1) continue;
      const seq = this.get(i, CmdField.SEQ);
      // Sequence numbers are compared by signed difference so they may wrap.
      const newer = ((seq - bestSeq) | 0) > 0;
      if (best === undefined || newer !== oldest) {
        best = i;
        bestSeq = seq;
      }
    }
    return best;
  }

  /**
   * Cancel by address (vmmdevR3HgcmCancel2's locked part): lock, find, mark, unlock. Returns the slot that
   * was marked, or undefined if no listed command has that address.
   */
  *cancel(
    phys: number,
    faults: FaultTable,
    match: CancelMatch,
    onMarked?: (slot: number) => void,
  ): Proc<number | undefined> {
    const s = LIST.in(faults);
    yield point('device.cancel.lock', phys);
    yield* s.lockList(this);
    yield point('device.cancel.find', phys);
    let slot = s.find(this, phys, match);
    while (slot !== undefined && this.get(slot, CmdField.CAPTURING) === 1) {
      // The host is reading the call's input from guest memory right now. Upstream copied it at
      // submission, so a guest whose cancel succeeds may reuse its buffers at once; wait for the copy to
      // finish (it is short and never blocks) rather than let the host read reused memory.
      const bell = this.words.cell(CAPTURE_BELL);
      const seen = bell.load();
      s.unlockList(this);
      yield waitFor(bell, () => bell.load() !== seen || this.get(slot!, CmdField.CAPTURING) !== 1, {
        hint: 'short',
      });
      yield* s.lockList(this);
      slot = s.find(this, phys, match);
    }
    if (slot !== undefined) {
      yield point('device.cancel.mark', phys, this.get(slot, CmdField.ID));
      this.set(slot, CmdField.CANCELLED, 1);
      onMarked?.(slot);
    }
    yield point('device.cancel.unlock', phys);
    s.unlockList(this);
    return slot;
  }

  /**
   * Open the capture window of a call: under the list lock, refuse if the call (`id`, when given) is off
   * the list or cancelled (the service never starts work a cancel got to first), else mark it CAPTURING so a cancel
   * waits until the host has copied the call's input out of guest memory.
   */
  *beginCapture(slot: number, id?: number): Proc<boolean> {
    yield* lock(this.lockCell);
    const ok = this.holds(slot, id) && this.get(slot, CmdField.CANCELLED) === 0;
    if (ok) this.set(slot, CmdField.CAPTURING, 1);
    unlock(this.lockCell);
    return ok;
  }

  /** Close the capture window; a cancel waiting for it goes on. */
  endCapture(slot: number): void {
    this.set(slot, CmdField.CAPTURING, 0);
    this.words.cell(CAPTURE_BELL).bump();
  }

  /** Has the guest's cancel marked the command? (Completion reads it only once the command is off the list.) */
  isCancelled(slot: number): boolean {
    return this.get(slot, CmdField.CANCELLED) === 1;
  }

  /**
   * vmmdevR3HgcmRemoveCommand: take a listed command off the list under the lock. False if not listed.
   * `id`: only that command; a slot freed and listed again for another command is left alone (a late
   * completion of a call its client's disconnect already ended).
   */
  *remove(slot: number, id?: number): Proc<boolean> {
    yield* lock(this.lockCell);
    const listed = this.holds(slot, id);
    if (listed) {
      this.set(slot, CmdField.STATE, CmdState.REMOVED);
      this.words.add(LISTED, -1);
    }
    unlock(this.lockCell);
    return listed;
  }

  /** Is `slot` listed (and, with `id`, for that command)? */
  private holds(slot: number, id: number | undefined): boolean {
    if (this.get(slot, CmdField.STATE) !== CmdState.LISTED) return false;
    return id === undefined || this.get(slot, CmdField.ID) === id;
  }

  /** Slots on the list (audits, quiescence checks). */
  listedSlots(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.capacity; i++) if (this.get(i, CmdField.STATE) === CmdState.LISTED) out.push(i);
    return out;
  }
}

/** Take the list lock (a step-machine lock: its holder yields points). */
function lockList(t: CommandTable): Proc<void> {
  return lock(t.lockCell);
}

function unlockList(t: CommandTable): void {
  unlock(t.lockCell);
}

/** The command a cancel at `phys` hits: the newest listed one, skipping those already cancelled unless 'first'. */
function find(t: CommandTable, phys: number, match: CancelMatch): number | undefined {
  return t.findLocked(phys, match === 'uncancelled');
}

/** The steps of a cancel that faults replace (their wrong versions: fault-steps.ts). */
export interface ListSteps {
  readonly lockList: typeof lockList;
  readonly unlockList: typeof unlockList;
  readonly find: typeof find;
}

const LIST = new FaultSteps<ListSteps>({ lockList, unlockList, find }, LIST_FAULTS);
