// The sim monitor's model of a run: the requests and host commands it follows, and when things happened.
import { RequestType } from '../../src/abi/index.js';
import type { Phase } from './invariants.js';

/** When something happened: the phase, its step, virtual time. */
export interface Stamp {
  readonly phase: Phase;
  readonly step: number;
  readonly at: number;
}

/** A guest request (one allocation generation) as the oracles follow it. */
export interface Req {
  readonly addr: number;
  readonly gen: number;
  readonly type: number;
  readonly actor: string;
  /** fu32Flags as last seen (tracked from the port write until the request is freed or leaked). */
  flags: number;
  tracking: boolean;
  doneAt: Stamp | undefined;
  cancelAt: Stamp | undefined;
  /** The guest was told its cancel succeeded. */
  cancelOk: boolean;
  graceStart: Stamp | undefined;
  leakAt: Stamp | undefined;
  freed: boolean;
}

/** A host command as the oracles follow it. */
export interface Cmd {
  readonly id: number;
  /** The command-table slot it was created in (reused once it is released). */
  readonly slot: number;
  readonly phys: number;
  readonly gen: number;
  readonly type: number;
  readonly clientId: number;
  picked: boolean;
  markedAt: Stamp | undefined;
  completion: string | undefined;
  /** Heap blocks of the FROM_HOST buffers at submission (payload, generation). */
  readonly buffers: readonly { readonly payload: number; readonly gen: number }[];
  headers: number;
  dones: number;
  /** The host picked it after its client's disconnect was accepted (it must not start: D1). */
  pickedGone: boolean;
}

/** What the monitor knows of an actor: its current request and where it is in its call. */
export interface ActorState {
  req: Req | undefined;
  phase: 'run' | 'checked' | 'wait' | 'cancel' | 'grace';
}

/** The request types that go through an HGCM wait (connect, disconnect, calls). */
export const HGCM_TYPES = new Set<number>([
  RequestType.HGCMConnect,
  RequestType.HGCMDisconnect,
  RequestType.HGCMCall32,
  RequestType.HGCMCall64,
]);
