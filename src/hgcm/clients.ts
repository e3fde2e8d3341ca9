// HGCM clients in shared memory (cf. HGCMClient and hgcmObjGenerateHandle in HGCMObjects.cpp): ids are
// handed out from a global counter, increasing from 1 within 1..0x7FFFFFFF, and the slot of a client is
// its id modulo the capacity, so a lookup is one probe. The thread handling a port write (a vCPU or the
// device thread) allocates and deletes; host workers finish connects and disconnects and count pending calls.
//
//   word 0 LOCK   1 NEXT_ID   2 LIVE   16..16+MAX_SERVICES: live clients per service
//   128 + 8*i: slot i = ID, STATE, SERVICE, PENDING, REQUESTOR, STARTING
import { Requestor } from '../abi/index.js';
import { type AtomicCell, lockSync, type SharedWords, SlotTable, unlockSync } from '../runtime/index.js';

const LOCK = 0;
const NEXT_ID = 1;
const LIVE = 2;
const PER_SERVICE = 16;
const HEADER = 128;
const SLOT_WORDS = 8;
/** Most services a machine may register. */
export const MAX_SERVICES = 64;
const MAX_CLIENT_ID = 0x7fffffff;

const F = { ID: 0, STATE: 1, SERVICE: 2, PENDING: 3, REQUESTOR: 4, STARTING: 5 } as const;

/** Client slot states. */
export const ClientState = {
  FREE: 0,
  /** pfnConnect not yet returned: not usable by the guest (makeAccessibleToGuest not done). */
  CONNECTING: 1,
  CONNECTED: 2,
  /** The handle is deleted (guest calls fail) while the service's pfnDisconnect runs. */
  DISCONNECTING: 3,
} as const;

/** A client as the device and the pool see it. */
export interface ClientInfo {
  readonly slot: number;
  readonly id: number;
  readonly service: number;
  readonly requestor: number;
}

/** The client table. */
export class ClientTable extends SlotTable {
  static readonly HEADER = HEADER;
  static readonly SLOT_WORDS = SLOT_WORDS;

  /** The table over a block of its layout (see create and attach). */
  constructor(words: SharedWords) {
    super(words, HEADER, SLOT_WORDS);
  }

  /** Live clients of a service. */
  liveClients(service: number): number {
    return this.words.load(PER_SERVICE + service);
  }

  /**
   * Allocate a client of `service` in state CONNECTING. Undefined when the table is full or the service
   * has `maxClients` clients already.
   */
  allocate(service: number, requestor: number, maxClients: number): ClientInfo | undefined {
    const w = this.words;
    lockSync(w.cell(LOCK));
    try {
      if (w.load(PER_SERVICE + service) >= maxClients) return undefined;
      // NEXT_ID 0: no client yet; ids start at 1.
      let id = w.load(NEXT_ID) || 1;
      for (let tries = 0; tries < this.capacity; tries++) {
        const slot = id % this.capacity;
        if (this.get(slot, F.STATE) === ClientState.FREE) {
          this.set(slot, F.ID, id);
          this.set(slot, F.SERVICE, service);
          this.set(slot, F.PENDING, 0);
          this.set(slot, F.REQUESTOR, requestor | 0);
          this.set(slot, F.STATE, ClientState.CONNECTING);
          w.store(NEXT_ID, nextId(id));
          w.add(LIVE, 1);
          w.add(PER_SERVICE + service, 1);
          return { slot, id, service, requestor };
        }
        id = nextId(id);
      }
      return undefined;
    } finally {
      unlockSync(w.cell(LOCK));
    }
  }

  /** The client with this id in `state` (default CONNECTED: what the guest may use), or undefined. */
  lookup(id: number, state: number = ClientState.CONNECTED): ClientInfo | undefined {
    if (!Number.isInteger(id) || id <= 0 || id > MAX_CLIENT_ID) return undefined;
    const slot = id % this.capacity;
    if (this.get(slot, F.ID) !== id || this.get(slot, F.STATE) !== state) return undefined;
    return {
      slot,
      id,
      service: this.get(slot, F.SERVICE),
      requestor: this.get(slot, F.REQUESTOR) >>> 0,
    };
  }

  /** The client in a slot, whatever its state (for the pool, which is handed slots). */
  at(slot: number): ClientInfo & { state: number } {
    return {
      slot,
      id: this.get(slot, F.ID),
      service: this.get(slot, F.SERVICE),
      requestor: this.get(slot, F.REQUESTOR) >>> 0,
      state: this.get(slot, F.STATE),
    };
  }

  setState(slot: number, state: number): void {
    this.set(slot, F.STATE, state);
  }

  /** Release a slot (after a failed connect or a finished disconnect). */
  free(slot: number): void {
    const w = this.words;
    lockSync(w.cell(LOCK));
    try {
      if (this.get(slot, F.STATE) === ClientState.FREE) return;
      w.add(PER_SERVICE + this.get(slot, F.SERVICE), -1);
      w.add(LIVE, -1);
      this.set(slot, F.STATE, ClientState.FREE);
    } finally {
      unlockSync(w.cell(LOCK));
    }
  }

  /** Count a new pending call; false (nothing counted) if the client already has `max`. */
  beginCall(slot: number, max: number): boolean {
    const prev = this.add(slot, F.PENDING, 1);
    if (prev < max) return true;
    this.add(slot, F.PENDING, -1);
    return false;
  }

  /**
   * A pending call of the client finished. With `id`, only if the slot still holds that client: a call
   * that ends after its client's slot was freed (and perhaps given to a new client) counts for nobody.
   */
  endCall(slot: number, id?: number): void {
    if (id !== undefined && this.get(slot, F.ID) !== id) return;
    if (this.get(slot, F.STATE) === ClientState.FREE) return;
    this.add(slot, F.PENDING, -1);
  }

  /**
   * A host worker is about to check this slot's client and hand it a call. Upstream's one service thread
   * runs a client's calls and its pfnDisconnect in order; with several workers a call whose check passed
   * just before the handle was deleted could reach the service after pfnDisconnect, so the disconnect
   * waits for these starts (startsCell) to end. Never reset: the count is balanced by endStart on every
   * path, whichever client holds the slot by then.
   */
  beginStart(slot: number): void {
    this.add(slot, F.STARTING, 1);
  }

  /** The call counted by beginStart reached its service (or was refused); wakes a waiting disconnect. */
  endStart(slot: number): void {
    // Only the last start can release a waiting disconnect: no notify on the call path otherwise.
    if (this.add(slot, F.STARTING, -1) === 1) this.startsCell(slot).notify();
  }

  /** The word counting the starts in flight on `slot` (a disconnect waits on it for 0). */
  startsCell(slot: number): AtomicCell {
    return this.cell(slot, F.STARTING);
  }

  pendingCalls(slot: number): number {
    return this.get(slot, F.PENDING);
  }

  /** Every client in state CONNECTED or CONNECTING (for shutdown and audits). */
  liveSlots(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.capacity; i++) {
      if (this.get(i, F.STATE) !== ClientState.FREE) out.push(i);
    }
    return out;
  }
}

function nextId(id: number): number {
  const n = id + 1;
  return n > MAX_CLIENT_ID ? 1 : n;
}

/**
 * HGCM_CLIENT_CATEGORY_* of a client, from the requestor of its connect (our reading of HGCMClient's
 * category): the guest's drivers (and a requestor that gives no user, legacy included) are kernel, a root
 * or system process root, any other process user.
 */
export function clientCategory(requestor: number): 'kernel' | 'root' | 'user' {
  if (requestor >>> 0 === Requestor.LEGACY) return 'kernel';
  switch (requestor & Requestor.USR_MASK) {
    case Requestor.USR_NOT_GIVEN:
    case Requestor.USR_DRV:
    case Requestor.USR_DRV_OTHER:
      return 'kernel';
    case Requestor.USR_ROOT:
    case Requestor.USR_SYSTEM:
      return 'root';
    default:
      return 'user';
  }
}
