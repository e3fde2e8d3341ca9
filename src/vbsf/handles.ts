// The handle table in shared memory; models shflhandle.cpp (4096 entries shared by all clients, entry 0
// never used, each bound to its owner client and type) plus the root binding of vbsfCheckHandleAccess.
//
// File descriptors belong to the process, so any pool worker can use an fd another worker opened; what
// must be shared is the table. Differences from upstream, on purpose:
// - A handle is index | generation << 32, so a closed handle that is used again (or guessed) does not reach
//   a newer object in the same entry; upstream handles are bare indices.
// - Entries are reference counted: a close while another worker is inside a READ on the same handle marks
//   the entry CLOSING, and the last user closes the fd. Without it the fd number could be reused by an open
//   elsewhere in the process between the check and the read (upstream's one service thread never races).
// - A handle remembers the generation of its mapping (MAP_GEN), so once the host removed the share and its
//   root id went to another one, the handle does not reach the newcomer.
// - One client holds at most QUOTA handles (header word; VERR_TOO_MANY_OPEN_FILES beyond), so no client can
//   take all 4095 and lock the others out. Counted only when the table holds QUOTA or more in all.
//
//   entry words: 0 STATE  1 TYPE  2 OWNER  3 ROOT  4 FD  5 FLAGS  6 REFS  7 GEN  8 LOCK
//                9 CURSOR_PHASE  10 CURSOR_LEN  11 FILTER_BOUND  12 FILTER_LEN  13 MAP_GEN
//   entry bytes: 64..319 the listing cursor (a name), 320..1023 a bound LIST filter (a path)
import { SHFLHANDLE_MAX, SHFL_HANDLE_NIL, Status, type StatusCode } from '../abi/index.js';
import { AtomicCell, type SlotTable, withLock } from '../runtime/index.js';
import { rtFileClose } from '../runtime/iprt/index.js';
import { H, HANDLE_BASE, HANDLE_BYTES, type VbsfMemory } from './layout.js';

/** SHFL_HF_TYPE_*: what a handle refers to. */
export const HandleType = { DIR: 1, FILE: 2, ANY: 3 } as const;
/** How a file handle was opened. */
export const FileFlag = { READ: 1, WRITE: 2, APPEND: 4 } as const;

const S = { FREE: 0, RESERVED: 1, OPEN: 2, CLOSING: 3 } as const;
const E = {
  STATE: 0,
  TYPE: 1,
  OWNER: 2,
  ROOT: 3,
  FD: 4,
  FLAGS: 5,
  REFS: 6,
  GEN: 7,
  LOCK: 8,
  CURSOR_PHASE: 9,
  CURSOR_LEN: 10,
  FILTER_BOUND: 11,
  FILTER_LEN: 12,
  MAP_GEN: 13,
} as const;
const CURSOR_OFF = 64;
/** Longest name a listing cursor holds (host names are at most 255 bytes). */
export const CURSOR_MAX = 256;
const FILTER_OFF = CURSOR_OFF + CURSOR_MAX;
/** Longest LIST filter path (bytes of its components) a directory handle can bind. */
export const FILTER_MAX = HANDLE_BYTES - FILTER_OFF;
const MAX_GEN = 0x7fffffff;

/** A handle in use by one call: released with HandleTable.release. */
export interface HandleRef {
  readonly index: number;
  readonly type: number;
  readonly fd: number;
  readonly root: number;
  /** Mapping.gen of the root when the handle was opened. */
  readonly mapGen: number;
  readonly flags: number;
}

/** The service's handles. Protected by TABLE_LOCK (state changes only; I/O happens outside it). */
export class HandleTable {
  private readonly mem: VbsfMemory;
  private readonly lockCell: AtomicCell;
  private readonly entries: SlotTable;

  constructor(mem: VbsfMemory) {
    this.mem = mem;
    this.lockCell = new AtomicCell(mem.words, H.TABLE_LOCK);
    this.entries = mem.slots(HANDLE_BASE / 4, HANDLE_BYTES / 4, SHFLHANDLE_MAX);
  }

  private get(index: number, field: number): number {
    return this.entries.get(index, field);
  }
  private set(index: number, field: number, v: number): void {
    this.entries.set(index, field, v);
  }
  private locked<T>(fn: () => T): T {
    return withLock(this.lockCell, fn);
  }

  /** Handles open now (all clients). */
  get open(): number {
    return Atomics.load(this.mem.words, H.OPEN);
  }

  /** Entries below this were ever reserved; every one from it on is FREE (never written). */
  private get used(): number {
    return Atomics.load(this.mem.words, H.HANDLES_USED);
  }

  /** Entries `owner` holds (any state but FREE). Under the lock. */
  private owned(owner: number): number {
    let n = 0;
    for (let i = 1, used = this.used; i < used; i++)
      if (this.get(i, E.STATE) !== S.FREE && this.get(i, E.OWNER) === owner) n++;
    return n;
  }

  /**
   * vbsfAllocFileHandle/vbsfAllocDirHandle, first half: take a free entry for `owner` on the mapping
   * `root`/`mapGen`, scanning from the last allocation. VERR_TOO_MANY_OPEN_FILES when the owner holds its
   * quota, VERR_NO_MEMORY when all 4095 are in use (upstream's status for an exhausted table).
   */
  reserve(owner: number, root: number, mapGen: number, type: number): number | StatusCode {
    return this.locked(() => {
      const quota = Atomics.load(this.mem.words, H.QUOTA);
      if (quota > 0 && this.open >= quota && this.owned(owner) >= quota)
        return Status.VERR_TOO_MANY_OPEN_FILES;
      const start = Atomics.load(this.mem.words, H.LAST_INDEX);
      for (let n = 0; n < SHFLHANDLE_MAX - 1; n++) {
        const index = 1 + ((start - 1 + n) % (SHFLHANDLE_MAX - 1));
        if (this.get(index, E.STATE) !== S.FREE) continue;
        // The first write an entry ever gets is here (every other is to an entry reserved): the extent.
        this.mem.used(H.HANDLES_USED, index);
        const gen = this.get(index, E.GEN);
        this.set(index, E.GEN, gen >= MAX_GEN ? 1 : gen + 1);
        this.set(index, E.TYPE, type);
        this.set(index, E.OWNER, owner);
        this.set(index, E.ROOT, root);
        this.set(index, E.MAP_GEN, mapGen);
        this.set(index, E.FD, -1);
        this.set(index, E.FLAGS, 0);
        this.set(index, E.REFS, 0);
        this.set(index, E.CURSOR_PHASE, 0);
        this.set(index, E.CURSOR_LEN, 0);
        this.set(index, E.FILTER_BOUND, 0);
        this.set(index, E.STATE, S.RESERVED);
        Atomics.store(this.mem.words, H.LAST_INDEX, index + 1 < SHFLHANDLE_MAX ? index + 1 : 1);
        Atomics.add(this.mem.words, H.OPEN, 1);
        return index;
      }
      return Status.VERR_NO_MEMORY;
    });
  }

  /** Second half: the object is open; returns the guest's handle value. */
  activate(index: number, fd: number, flags: number): bigint {
    return this.locked(() => {
      this.set(index, E.FD, fd);
      this.set(index, E.FLAGS, flags);
      this.set(index, E.REFS, 1);
      this.set(index, E.STATE, S.OPEN);
      return (BigInt(this.get(index, E.GEN)) << 32n) | BigInt(index);
    });
  }

  /** Give back a reserved entry whose open failed. */
  unreserve(index: number): void {
    this.locked(() => {
      if (this.get(index, E.STATE) !== S.RESERVED) return;
      this.set(index, E.STATE, S.FREE);
      Atomics.sub(this.mem.words, H.OPEN, 1);
    });
  }

  /** The entry a guest handle value names if it is open, or undefined (no lock: a hint for decoding). */
  private indexOf(handle: bigint): number | undefined {
    if (handle <= 0n || handle === SHFL_HANDLE_NIL || handle >> 63n !== 0n) return undefined;
    const index = Number(handle & 0xffffffffn);
    const gen = Number(handle >> 32n);
    if (index < 1 || index >= SHFLHANDLE_MAX || gen < 1) return undefined;
    return this.get(index, E.GEN) === gen ? index : undefined;
  }

  /**
   * vbsfQueryHandleType + vbsfQuery*Handle: the handle if it is open, owned by `owner` and of a type in
   * `types`; counted as in use until `release`. Undefined for anything else (forged, foreign, closed, stale).
   */
  acquire(handle: bigint, owner: number, types: number): HandleRef | undefined {
    const index = this.indexOf(handle);
    if (index === undefined) return undefined;
    return this.locked(() => {
      // RACE: re-check under the lock; the entry may have been closed and reused since indexOf.
      if (this.indexOf(handle) !== index || this.get(index, E.STATE) !== S.OPEN) return undefined;
      if (this.get(index, E.OWNER) !== owner || (this.get(index, E.TYPE) & types) === 0) return undefined;
      this.set(index, E.REFS, this.get(index, E.REFS) + 1);
      return this.refOf(index);
    });
  }

  private refOf(index: number): HandleRef {
    return {
      index,
      type: this.get(index, E.TYPE),
      fd: this.get(index, E.FD),
      root: this.get(index, E.ROOT),
      mapGen: this.get(index, E.MAP_GEN),
      flags: this.get(index, E.FLAGS),
    };
  }

  /** End a use; the last use of a closing handle closes its fd. */
  release(ref: HandleRef): void {
    this.drop(ref.index);
  }

  private drop(index: number): void {
    const fd = this.locked(() => {
      const refs = this.get(index, E.REFS) - 1;
      this.set(index, E.REFS, refs);
      if (refs > 0 || this.get(index, E.STATE) !== S.CLOSING) return -1;
      this.set(index, E.STATE, S.FREE);
      Atomics.sub(this.mem.words, H.OPEN, 1);
      return this.get(index, E.FD);
    });
    // ORDER: the entry is FREE before the fd is closed, so no new user can pick up the fd number.
    if (fd >= 0) rtFileClose(fd);
  }

  /** vbsfQueryHandleType: SHFL_HF_TYPE_* of the caller's open handle, 0 if it has none by that value. */
  typeOf(handle: bigint, owner: number): number {
    const index = this.indexOf(handle);
    if (index === undefined) return 0;
    return this.locked(() =>
      this.get(index, E.STATE) === S.OPEN && this.get(index, E.OWNER) === owner ? this.get(index, E.TYPE) : 0,
    );
  }

  /** vbsfClose: only the owner, naming the handle's root, may close it; else VERR_INVALID_HANDLE. */
  close(handle: bigint, owner: number, root: number): StatusCode {
    const index = this.indexOf(handle);
    if (index === undefined) return Status.VERR_INVALID_HANDLE;
    const ok = this.locked(() => {
      if (this.indexOf(handle) !== index || this.get(index, E.STATE) !== S.OPEN) return false;
      if (this.get(index, E.OWNER) !== owner || this.get(index, E.ROOT) !== root) return false;
      this.set(index, E.STATE, S.CLOSING);
      return true;
    });
    if (!ok) return Status.VERR_INVALID_HANDLE;
    this.drop(index);
    return Status.VINF_SUCCESS;
  }

  /** Close every handle of a client (vbsfDisconnect). Returns how many. */
  closeAll(owner: number): number {
    let n = 0;
    // Only the entries ever reserved: the table's 4095 entries were read at every disconnect, most of them
    // never used, and that was most of a short client's disconnect.
    for (let index = 1, used = this.used; index < used; index++) {
      // A look without the lock first: all but a few of the entries are someone else's or free, and
      // a lock per entry made a disconnect cost more than the calls before it. RACE: an entry that turns
      // OPEN for this owner after the look (or is reserved past `used` after it was read) is missed, as it
      // would be had the locked check passed it by.
      if (!this.openFor(index, owner)) continue;
      const mine = this.locked(() => {
        if (!this.openFor(index, owner)) return false;
        this.set(index, E.STATE, S.CLOSING);
        return true;
      });
      if (mine) {
        this.drop(index);
        n++;
      }
    }
    return n;
  }

  /** Is entry `index` an open handle of `owner`? */
  private openFor(index: number, owner: number): boolean {
    return this.get(index, E.STATE) === S.OPEN && this.get(index, E.OWNER) === owner;
  }

  /** The per-entry lock a LIST holds while it reads and moves the cursor (may be held across I/O). */
  entryLock(ref: HandleRef): AtomicCell {
    return this.entries.cell(ref.index, E.LOCK);
  }

  /** Listing cursor: phase (0 start, 1 after '.', 2 after '..', 3 after `name`). Under entryLock. */
  cursor(ref: HandleRef): { phase: number; name: Uint8Array } {
    const len = this.get(ref.index, E.CURSOR_LEN);
    const at = this.entries.byteOffset(ref.index, CURSOR_OFF);
    return { phase: this.get(ref.index, E.CURSOR_PHASE), name: this.mem.bytes.slice(at, at + len) };
  }

  /** Move the cursor (name at most CURSOR_MAX bytes). Under entryLock. */
  setCursor(ref: HandleRef, phase: number, name: Uint8Array = new Uint8Array(0)): void {
    const n = Math.min(name.length, CURSOR_MAX);
    this.mem.bytes.set(name.subarray(0, n), this.entries.byteOffset(ref.index, CURSOR_OFF));
    this.set(ref.index, E.CURSOR_LEN, n);
    this.set(ref.index, E.CURSOR_PHASE, phase);
  }

  /** The LIST filter bound to a directory handle (a path, components joined by '/'), if any. */
  filter(ref: HandleRef): Uint8Array | undefined {
    if (this.get(ref.index, E.FILTER_BOUND) === 0) return undefined;
    const at = this.entries.byteOffset(ref.index, FILTER_OFF);
    return this.mem.bytes.slice(at, at + this.get(ref.index, E.FILTER_LEN));
  }

  /** Bind a filter (false if longer than FILTER_MAX). Under entryLock. */
  bindFilter(ref: HandleRef, filter: Uint8Array): boolean {
    if (filter.length > FILTER_MAX) return false;
    this.mem.bytes.set(filter, this.entries.byteOffset(ref.index, FILTER_OFF));
    this.set(ref.index, E.FILTER_LEN, filter.length);
    this.set(ref.index, E.FILTER_BOUND, 1);
    return true;
  }
}
