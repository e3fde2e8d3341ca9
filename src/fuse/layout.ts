// The FUSE front's shared memory: what the "guest kernel" keeps for one mount and every vCPU serving it
// sees (created by the mount on the main thread, attached by each vCPU's server):
//
//   words (int32)   header: state, the HGCM client and root of the mount, the test crash switch;
//                   then counters (requests per opcode, interrupts, errors), see FRONT_COUNTERS
//   wide (int64)    bytes read and written; one in-flight word per vCPU (interrupt.ts)
//   nodes           the node table (nodes.ts): slots, hash buckets, name heap
//   files           the open files and directories (files.ts)
//
// `config` is plain data fixed at mount time.
import { SharedWords } from '../runtime/index.js';
import { SharedWords64 } from '../runtime/index.js';
import { FileTable } from './files.js';
import { NodeTable, type NodeTableShared } from './nodes.js';

/** Most vCPUs a front can have (the machine's limit). */
export const FRONT_MAX_VCPUS = 64;

/** Header words. */
export const FrontWord = {
  /** FrontState. */
  STATE: 0,
  /** The mount's HGCM client id (vboxsf_client_id). */
  CLIENT: 1,
  /** The mapped root (sbi->root). */
  ROOT: 2,
  /** Test hook: a vCPU that reads a request with this opcode throws (a server crash); 0 = off. */
  CRASH_OP: 3,
  /** The minor version the kernel offered at INIT. */
  KERNEL_MINOR: 4,
  /** Readers still running. */
  READERS: 5,
} as const;
const HEADER_WORDS = 16;

/** FrontWord.STATE values. */
export const FrontState = { NEW: 0, CONNECTED: 1, INITIALISED: 2, ENDED: 3 } as const;

/** Counters of the front, after the header (one word each), then one per opcode. */
export const FRONT_COUNTERS = [
  'requests',
  'errors',
  'repliesLost',
  'interrupts',
  'interruptsSignalled',
  'interruptsIgnored',
  'interruptsRetried',
  'eintr',
  'forgets',
  'bufferLeaks',
  'tableFull',
  /** The most requests served at once (on different vCPUs): a high-water mark, not a count. */
  'maxInFlight',
] as const;
/** A counter's name. */
export type FrontCounter = (typeof FRONT_COUNTERS)[number];
const OPCODES = 64;

/** 64-bit words. */
const Wide = { BYTES_READ: 0, BYTES_WRITTEN: 1, INFLIGHT: 2 } as const;

/** What a mount fixes at its start. */
export interface FrontConfig {
  /** Attribute and entry timeout (ms), as vboxsf's ttl. */
  readonly ttlMs: number;
  /** Owner reported for every file (vboxsf's uid= / gid= options). */
  readonly uid: number;
  readonly gid: number;
  /** Largest WRITE (and READ) the front takes. */
  readonly maxWrite: number;
  /** Negotiate FUSE_ASYNC_READ (readahead in the background; see docs/mount.md). */
  readonly asyncRead: boolean;
  /** READ and WRITE wait interruptibly, so FUSE_INTERRUPT cancels them. */
  readonly interruptibleIo: boolean;
  /** Grace before an INTERRUPT whose request is in flight nowhere is answered EAGAIN (ms). */
  readonly interruptRetryMs: number;
}

/** The shared memory of one mount's front. */
export interface FrontShared {
  readonly words: SharedArrayBuffer;
  readonly wide: SharedArrayBuffer;
  readonly nodes: NodeTableShared;
  readonly files: SharedArrayBuffer;
  readonly config: FrontConfig;
}

/** Sizes of the tables. */
export interface FrontCapacity {
  readonly nodes: number;
  readonly files: number;
}

/** Create the front's shared memory (main thread, at mount). */
export function createFront(config: FrontConfig, cap: FrontCapacity): FrontShared {
  return {
    words: new SharedArrayBuffer((HEADER_WORDS + FRONT_COUNTERS.length + OPCODES) * 4),
    wide: new SharedArrayBuffer((Wide.INFLIGHT + FRONT_MAX_VCPUS) * 8),
    nodes: NodeTable.create(cap.nodes),
    files: FileTable.create(cap.files),
    config,
  };
}

/** The header and counters of a front, from any thread. */
export class FrontWords {
  readonly words: SharedWords;
  readonly wide: SharedWords64;

  constructor(s: Pick<FrontShared, 'words' | 'wide'>) {
    this.words = new SharedWords(s.words);
    this.wide = new SharedWords64(s.wide);
  }

  get(w: number): number {
    return this.words.load(w);
  }
  set(w: number, v: number): void {
    this.words.store(w, v);
    // ORDER: state changes are waited on (the mount waits for INITIALISED); notify after the store.
    this.words.cell(w).notify();
  }

  /** Count one event (or `n`). */
  count(name: FrontCounter, n = 1): void {
    this.words.add(HEADER_WORDS + FRONT_COUNTERS.indexOf(name), n);
  }
  /** Raise a high-water mark to `value` if it is higher. */
  raise(name: FrontCounter, value: number): void {
    const cell = this.words.cell(HEADER_WORDS + FRONT_COUNTERS.indexOf(name));
    // RACE: another vCPU may raise it at once; the CAS loop keeps the higher of the two.
    for (let cur = cell.load(); value > cur; cur = cell.load()) if (cell.cas(cur, value) === cur) return;
  }

  /** Count a request of `opcode`. */
  countOp(opcode: number): void {
    this.count('requests');
    if (opcode < OPCODES) this.words.add(HEADER_WORDS + FRONT_COUNTERS.length + opcode, 1);
  }
  /** Count bytes moved by READ or WRITE. */
  countBytes(dir: 'read' | 'written', n: number): void {
    this.wide.add(dir === 'read' ? Wide.BYTES_READ : Wide.BYTES_WRITTEN, BigInt(n));
  }

  /** Every counter, requests by opcode, and bytes. */
  snapshot(): {
    counters: Record<FrontCounter, number>;
    ops: Record<number, number>;
    bytesRead: bigint;
    bytesWritten: bigint;
  } {
    // SAFETY: filled for every name of FRONT_COUNTERS just below.
    const counters = {} as Record<FrontCounter, number>;
    for (const [i, name] of FRONT_COUNTERS.entries())
      counters[name] = this.words.load(HEADER_WORDS + i) >>> 0;
    const ops: Record<number, number> = {};
    for (let op = 0; op < OPCODES; op++) {
      const n = this.words.load(HEADER_WORDS + FRONT_COUNTERS.length + op) >>> 0;
      if (n > 0) ops[op] = n;
    }
    return {
      counters,
      ops,
      bytesRead: this.wide.load(Wide.BYTES_READ),
      bytesWritten: this.wide.load(Wide.BYTES_WRITTEN),
    };
  }

  /** Index of vCPU `vcpu`'s in-flight word in `wide`. */
  static inflightWord(vcpu: number): number {
    return Wide.INFLIGHT + vcpu;
  }
}
