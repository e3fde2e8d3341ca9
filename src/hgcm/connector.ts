// The HGCM connector the device talks to (cf. PDMIHGCMCONNECTOR and HGCMGuestConnect / HGCMGuestCall /
// HGCMGuestDisconnect / HGCMGuestCancelled in HGCM.cpp): service lookup, client admission, and posting
// work to the host pool. Runs on the device thread; never blocks.
import { Status, type StatusCode } from '../abi/index.js';
import { InvariantError } from '../runtime/errors.js';
import type { Proc } from '../runtime/proc.js';
import { ClientState, type ClientInfo, type ClientTable } from './clients.js';
import type { ServiceSpec } from './registry.js';
import { Work, type DispatchRing } from './ring.js';

/** Runs the calls of inline services on the device thread (a HostWorker there; see HgcmService.inline). */
export interface InlineHost {
  serve(kind: number, arg: number, arg2: number): Proc<void>;
}

/** The device's view of host HGCM. */
export class HgcmConnector {
  readonly specs: readonly ServiceSpec[];
  readonly clients: ClientTable;
  readonly ring: DispatchRing;
  private readonly byName: ReadonlyMap<string, ServiceSpec>;
  private readonly inline: InlineHost | undefined;

  constructor(specs: readonly ServiceSpec[], clients: ClientTable, ring: DispatchRing, inline?: InlineHost) {
    this.specs = specs;
    this.clients = clients;
    this.ring = ring;
    this.byName = new Map(specs.map((s) => [s.name, s]));
    this.inline = inline;
  }

  /** HGCMService::ResolveService: exact (strcmp) match. */
  resolve(name: string): ServiceSpec | undefined {
    return this.byName.get(name);
  }

  /** A new client of `spec` in state CONNECTING, or undefined when its client limit is reached. */
  newClient(spec: ServiceSpec, requestor: number): ClientInfo | undefined {
    return this.clients.allocate(spec.index, requestor, spec.maxClients);
  }

  /**
   * HGCMGuestCall's admission: the client must exist and be accessible to the guest, and be under its
   * pending-call limit. On success the call is counted (ClientTable.endCall undoes it).
   */
  admitCall(clientId: number): ClientInfo | StatusCode {
    if (clientId === 0) return Status.VERR_INVALID_PARAMETER;
    const client = this.clients.lookup(clientId);
    if (client === undefined) return Status.VERR_HGCM_INVALID_CLIENT_ID;
    const spec = this.specs[client.service]!;
    if (!this.clients.beginCall(client.slot, spec.maxCallsPerClient))
      return Status.VERR_HGCM_TOO_MANY_CLIENT_CALLS;
    return client;
  }

  /**
   * HGCMService::DisconnectClient, first half: the handle is deleted before the service is told (so no
   * new call can reach it). Undefined if the id names no guest-accessible client.
   */
  beginDisconnect(clientId: number): ClientInfo | undefined {
    const client = this.clients.lookup(clientId);
    if (client === undefined) return undefined;
    this.clients.setState(client.slot, ClientState.DISCONNECTING);
    return client;
  }

  /**
   * Post a command slot to the pool. Cannot fail: the ring holds at least twice the command table plus
   * the workers' STOP entries, and cancel notices may use only its first half (see `cancelled`).
   */
  post(kind: number, cmdSlot: number): void {
    if (!this.ring.push(kind, cmdSlot))
      throw new InvariantError('dispatch ring full: sized below the command table');
  }

  /**
   * Hand a listed call to its service: run it here and now if the service is inline (it is complete when
   * this returns), else post it to the pool.
   */
  *dispatchCall(cmdSlot: number, service: number): Proc<void> {
    if (this.inline !== undefined && this.specs[service]?.inline === true) {
      yield* this.inline.serve(Work.CALL, cmdSlot, 0);
    } else {
      this.post(Work.CALL, cmdSlot);
    }
  }

  /**
   * HGCMGuestCancelled: tell the client's service that one of its calls was cancelled. Advisory (the
   * service polls isCancelled), so it is dropped rather than crowd out commands when the ring is half full.
   */
  cancelled(client: ClientInfo): boolean {
    if (this.ring.length >= this.ring.capacity / 2) return false;
    return this.ring.push(Work.CANCELLED, client.slot, client.id);
  }
}
