// The service's shared memory (HgcmService.sharedBytes): the state upstream keeps in globals of the one
// service thread (g_FolderMapping and its counters, the handle table of shflhandle.cpp, the mapping-change
// waiters) lives here, so every pool worker, and the thread making host calls, sees the same state;
// formatted once by init().
//
//   word 0    MAGIC        'VBSF' once formatted
//   word 1    TABLE_LOCK   handle table lock (sealed: never held across I/O)
//   word 2    LAST_INDEX   where the next handle allocation starts scanning (shflhandle.cpp's lastHandleIndex)
//   word 3    OPEN         handles in use
//   word 4    VERSION      folder mappings version (g_uFolderMappingsVersion)
//   word 5    MAP_LOCK     guards the mapping records (their state, counters and flags)
//   word 6    WAIT_LOCK    guards the waiter slots
//   word 7    WAITERS      waiter slots in use (at most 64)
//   word 8    WAKE         bumped when a mapping waiter may have to end (a version change, a cancel)
//   word 9    QUOTA        handles one client may hold open (0: no quota)
//   word 10   HANDLES_USED handle entries 0..n-1 hold all that was ever written to any (the extent)
//   word 11   MAPS_USED    mapping records 0..n-1 likewise
//   word 160 + 4*i         waiter i: STATE, CLIENT, SEQ
//   byte 2048 + 1024*h     handle entry h (handles.ts)
//   byte MAP_BASE + 8192*r mapping record r (mapping-table.ts): words, then name, host path, mount point
import { SHFLHANDLE_MAX, SHFL_MAX_MAPPINGS } from '../abi/index.js';
import { SharedWords, SlotTable } from '../runtime/index.js';

/** 'VBSF' little-endian. */
export const VBSF_MAGIC = 0x46534256;

/** Header words. */
export const H = {
  MAGIC: 0,
  TABLE_LOCK: 1,
  LAST_INDEX: 2,
  OPEN: 3,
  VERSION: 4,
  MAP_LOCK: 5,
  WAIT_LOCK: 6,
  WAITERS: 7,
  WAKE: 8,
  QUOTA: 9,
  HANDLES_USED: 10,
  MAPS_USED: 11,
} as const;

/** Mapping-change waiters at once (vbsfMappingsWaitForChanges's limit). */
export const MAX_WAITERS = 64;
/** First word of the waiter slots; four words each. */
export const WAITER_BASE = 160;
/** Waiter words. */
export const W = { STATE: 0, CLIENT: 1, SEQ: 2 } as const;

/** Byte offset of handle entry 0 (a multiple of 4). */
export const HANDLE_BASE = 2048;
/** Bytes per handle entry. */
export const HANDLE_BYTES = 1024;

/** Byte offset of mapping record 0 (the mapping whose root id is 0). */
export const MAP_BASE = HANDLE_BASE + HANDLE_BYTES * SHFLHANDLE_MAX;
/** Bytes per mapping record. */
export const MAP_BYTES = 8192;

/** Total shared bytes. */
export const VBSF_SHARED_BYTES = MAP_BASE + MAP_BYTES * SHFL_MAX_MAPPINGS;

if (WAITER_BASE + 4 * MAX_WAITERS > HANDLE_BASE / 4) throw new Error('vbsf layout: header overflows');

/** Views over the service's shared memory. */
export class VbsfMemory {
  readonly sab: SharedArrayBuffer;
  /** Every word of the block (Atomics only). */
  readonly words: Int32Array;
  /** Every byte (plain access, only under the lock that owns the bytes). */
  readonly bytes: Uint8Array;

  constructor(sab: SharedArrayBuffer) {
    if (sab.byteLength < VBSF_SHARED_BYTES) throw new RangeError('vbsf shared memory too small');
    this.sab = sab;
    this.words = new Int32Array(sab);
    this.bytes = new Uint8Array(sab);
  }

  /** The table of `capacity` slots of `slotWords` words from word `base` (handles, waiters, mappings). */
  slots(base: number, slotWords: number, capacity: number): SlotTable {
    return new SlotTable(new SharedWords(this.sab), base, slotWords, capacity);
  }

  /**
   * Format a fresh block (init, on the thread that creates the machine); no mapping yet. The block is a
   * new SharedArrayBuffer (buildRegistry makes one per machine), zeroed by the language: only the header
   * words are written. (Clearing it again touched all of its 4.6 MB at every machine start: a page fault
   * per 4 KiB page, ~12 us each on the 2-core VMs, where most of it is never used.)
   */
  static format(sab: SharedArrayBuffer, handleQuota: number): VbsfMemory {
    const m = new VbsfMemory(sab);
    Atomics.store(m.words, H.LAST_INDEX, 1);
    Atomics.store(m.words, H.QUOTA, handleQuota);
    Atomics.store(m.words, H.MAGIC, VBSF_MAGIC);
    return m;
  }

  /**
   * What of the block may hold anything but zeros (HgcmService.sharedExtent): the header, the handle
   * entries up to the last one ever reserved, the mapping records up to the last one ever written. The
   * rest (most of the 4.6 MB: 4095 handle entries of 1 KiB and 64 records of 8 KiB, a few used) was
   * never written. Entries are reserved from the last allocation on, as upstream's lastHandleIndex, so
   * on a running machine the used prefix grows with every allocation until it has gone round the table
   * (then it is all of it); a machine restored to a saved point gets that point's prefix back, so under
   * the sim it reaches only as far as one run's handles from there.
   */
  extent(): readonly (readonly [number, number])[] {
    const handles = Atomics.load(this.words, H.HANDLES_USED);
    const maps = Atomics.load(this.words, H.MAPS_USED);
    return [
      [0, HANDLE_BASE + HANDLE_BYTES * handles],
      [MAP_BASE, MAP_BASE + MAP_BYTES * maps],
    ];
  }

  /**
   * Entry `index` (a handle entry or a mapping record, by `word`) is about to be written: extend. An
   * atomic maximum, so that it holds without the table's lock too.
   */
  used(word: typeof H.HANDLES_USED | typeof H.MAPS_USED, index: number): void {
    for (let seen = Atomics.load(this.words, word); seen <= index;) {
      const was = Atomics.compareExchange(this.words, word, seen, index + 1);
      if (was === seen) return;
      seen = was;
    }
  }

  /** A block formatted by init(); throws if it was not. */
  static attach(sab: SharedArrayBuffer | undefined): VbsfMemory {
    if (sab === undefined) throw new RangeError('vbsf service has no shared memory');
    const m = new VbsfMemory(sab);
    if (Atomics.load(m.words, H.MAGIC) !== VBSF_MAGIC)
      throw new RangeError('vbsf shared memory not formatted');
    return m;
  }
}
