// Disconnect as upstream defines it (I16) and the cause of every leak (I17). HGCMService::DisconnectClient
// deletes the client's handle first, then tells the service (HGCM.cpp); a call of that client the service
// thread picks up afterwards finds no client and is neither started nor completed, so it stays on the
// device's pending list until the guest's cancel finds it (VMMDevHGCM.cpp keys cancels by address and
// never forgets a command on its own). Calls the service already held are its business (it may complete
// them later; the completion is written back like any other). So:
//   D1 a call picked after its client's disconnect was accepted never reaches the service
//   D2 at the end, a command still listed for a client that is gone was given up by its guest: marked
//      cancelled by a cancel that succeeded, or its call leaked after a cancel that failed for a reason
//      other than "not found" (a not-found cancel means the command had left the list: L2)
//   L1 a call leaks only after a cancel that failed for a reason its flavour and host allow: not found
//      (the completion won the race, or the host dropped it), VERR_NOT_IMPLEMENTED (an old host and a
//      flavour without the legacy fallback), VERR_NO_MEMORY (a flavour that allocates its cancel request,
//      on a full heap)
//   L2 a call command leaves the pending list only by its completion's remove step, or a host drop (so
//      a "not found" cancel, and the leak after it, has a cause)
// The sim checks D1 and L2 online (SessionWatch), the threads executor from its log (offline.ts); D2 and
// L1 are checked at the end on both.
import { RT_SUCCESS, RequestType, Status } from '../../src/abi/index.js';
import { hexAddr as hex } from '../../src/runtime/index.js';
import { ClientState } from '../../src/hgcm/index.js';
import { CmdField, CmdState } from '../../src/vmmdev/index.js';
import { FLAVORS } from '../../src/vcpu/index.js';
import type { CallRecord } from '../workload.js';
import type { Cmd, Stamp } from './model.js';
import { isCall } from './rules.js';
import { World } from './world.js';

/** The drop counter's word (read at every step). */
const DROPPED = World.counterWord('host.dropped');

/** Online disconnect and pending-list checks for the sim's monitor. */
export class SessionWatch {
  /** Clients whose disconnect the device has accepted (handle deleted), and when. */
  readonly gone = new Map<number, Stamp>();
  /** Call commands seen on the pending list and not yet seen leaving it. */
  private readonly listed = new Set<Cmd>();
  /** Call commands created but not yet seen on the list. */
  private readonly fresh = new Set<Cmd>();
  /** Host actors between passing host.complete.remove and their next point: the command they remove. */
  private readonly removing = new Map<string, number>();
  private count = 0;
  private dropped: number;
  private readonly w: World;

  constructor(w: World) {
    this.w = w;
    this.count = w.cmds.listed;
    this.dropped = w.counter('host.dropped');
  }

  /** The device created command `cmd` (at its enlist point). */
  created(cmd: Cmd, at: Stamp): void {
    if (cmd.type === RequestType.HGCMDisconnect) {
      // The disconnect of a client that exists is accepted once enlisted: the device must have deleted
      // the handle first (HGCMService::DisconnectClient). A handle still CONNECTED here is the fault D1
      // is about, not a disconnect that did not happen, so it counts as gone either way.
      const c = this.w.clients;
      if (
        c.lookup(cmd.clientId, ClientState.DISCONNECTING) !== undefined ||
        c.lookup(cmd.clientId) !== undefined
      )
        this.gone.set(cmd.clientId, at);
    } else if (isCall(cmd.type)) this.fresh.add(cmd);
  }

  /** A host actor passed a point; `cmd` is the command it names. */
  hostPassed(actor: string, point: string, cmd: Cmd | undefined): string | undefined {
    this.removing.delete(actor);
    if (cmd === undefined || !isCall(cmd.type)) return undefined;
    // host.pick also passes for a cancel notice, naming a client slot, not a command's: only a command's
    // first pick decides (the monitor marks it picked right after).
    if (point === 'host.pick') {
      if (!cmd.picked) cmd.pickedGone = this.gone.has(cmd.clientId);
    } else if (point === 'host.complete.remove') this.removing.set(actor, cmd.id);
    else if (point === 'host.isCancelled' && cmd.pickedGone)
      return `D1: call command ${cmd.id} of client ${cmd.clientId} reaches the service although the host picked it after the client's disconnect was accepted (the handle was deleted)`;
    return undefined;
  }

  /**
   * After every step: if the pending list's size changed, which commands left it, and how. Returns an L2
   * violation for a command that left without a completion's remove or a drop.
   */
  afterStep(actor: string): string | undefined {
    const n = this.w.cmds.listed;
    const dropped = this.w.counterAt(DROPPED);
    if (n === this.count && this.fresh.size === 0) return undefined;
    const drop = dropped !== this.dropped;
    this.count = n;
    this.dropped = dropped;
    return this.scan(actor, drop);
  }

  /** Check every tracked command against its slot (at a size change, and at the end with actor 'end'). */
  scan(actor: string, drop: boolean): string | undefined {
    const c = this.w.cmds;
    for (const cmd of this.fresh) {
      if (c.get(cmd.slot, CmdField.ID) !== cmd.id) {
        this.fresh.delete(cmd);
        continue;
      }
      if (c.get(cmd.slot, CmdField.STATE) !== CmdState.LISTED) continue;
      this.fresh.delete(cmd);
      this.listed.add(cmd);
    }
    for (const cmd of this.listed) {
      const still =
        c.get(cmd.slot, CmdField.ID) === cmd.id && c.get(cmd.slot, CmdField.STATE) === CmdState.LISTED;
      if (still) continue;
      this.listed.delete(cmd);
      if (this.removing.get(actor) === cmd.id || drop) continue;
      return `L2: call command ${cmd.id} (${hex(cmd.phys)}, client ${cmd.clientId}) left the pending list without a completion or a drop: no completion will come and no cancel can find it`;
    }
    return undefined;
  }
}

/** L1 and D2, on either executor, once the run is over. */
export function sessionProblems(
  w: World,
  faults: readonly string[],
  calls: readonly CallRecord[],
): { inv: 'I16' | 'I17'; actor: string; detail: string }[] {
  const out: { inv: 'I16' | 'I17'; actor: string; detail: string }[] = [];
  const flavor = FLAVORS[w.config.guest.flavor];
  for (const c of calls) {
    if (c.outcome !== 'leaked' || c.cancelRc === undefined) continue;
    const rc = c.cancelRc;
    const ok =
      rc === Status.VERR_NOT_FOUND ||
      (rc === Status.VERR_NOT_IMPLEMENTED && !w.config.cancel2 && !flavor.legacyFallback) ||
      (rc === Status.VERR_NO_MEMORY &&
        faults.includes('cancel2-alloc-fail') &&
        flavor.cancelRequest !== 'preallocated');
    if (!ok)
      out.push({
        inv: 'I17',
        actor: `g${c.thread}`,
        detail: `L1: call ${c.tag} leaked after its cancel failed with ${rc}, a failure the ${flavor.name} guest on this host cannot have`,
      });
  }
  // D2: listed commands of clients that are gone, against the calls that made them.
  const byRequest = new Map<string, CallRecord>();
  for (const c of calls) if (c.request !== undefined) byRequest.set(`${c.request.addr}:${c.request.gen}`, c);
  for (const s of w.cmds.listedSlots()) {
    if (!isCall(w.cmds.get(s, CmdField.TYPE))) continue;
    const clientId = w.cmds.get(s, CmdField.CLIENT_ID) >>> 0;
    const client = w.clients.lookup(clientId);
    if (client !== undefined) continue; // still connected: I14's business
    const key = `${w.cmds.get(s, CmdField.PHYS) >>> 0}:${w.cmds.get(s, CmdField.GEN) >>> 0}`;
    const c = byRequest.get(key);
    if (c === undefined) continue; // not a call of this run (a pooled machine's earlier runs)
    const marked = w.cmds.get(s, CmdField.CANCELLED) === 1;
    const givenUp =
      (marked && c.outcome === 'cancelled') ||
      (c.outcome === 'leaked' &&
        c.cancelRc !== undefined &&
        c.cancelRc !== Status.VERR_NOT_FOUND &&
        !RT_SUCCESS(c.cancelRc));
    if (!givenUp)
      out.push({
        inv: 'I16',
        actor: `g${c.thread}`,
        detail: `D2: call ${c.tag} of disconnected client ${clientId} ended ${c.outcome} (cancel rc ${c.cancelRc}) but its command is still listed${marked ? '' : ' unmarked'}`,
      });
  }
  return out;
}
