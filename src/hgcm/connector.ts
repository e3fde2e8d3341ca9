// The HGCM connector the device talks to (cf. PDMIHGCMCONNECTOR and HGCMGuestConnect / HGCMGuestCall /
// HGCMGuestDisconnect in HGCM.cpp): service lookup and client admission. Handing the admitted work to a
// host thread is the host half's (HostPort, src/host). Runs on the thread handling a port write; never
// blocks.
import { Status, type StatusCode } from '../abi/index.js';
import { ClientState, clientCategory, type ClientInfo, type ClientTable } from './clients.js';
import type { ServiceSpec } from './registry.js';

/** The device's view of host HGCM. */
export class HgcmConnector {
  readonly specs: readonly ServiceSpec[];
  readonly clients: ClientTable;
  private readonly byName: ReadonlyMap<string, ServiceSpec>;

  constructor(specs: readonly ServiceSpec[], clients: ClientTable) {
    this.specs = specs;
    this.clients = clients;
    this.byName = new Map(specs.map((s) => [s.name, s]));
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
   * pending-call limit (its service's, for the client's requestor category). On success the call is counted (ClientTable.endCall undoes it).
   */
  admitCall(clientId: number): ClientInfo | StatusCode {
    if (clientId === 0) return Status.VERR_INVALID_PARAMETER;
    const client = this.clients.lookup(clientId);
    if (client === undefined) return Status.VERR_HGCM_INVALID_CLIENT_ID;
    const spec = this.specs[client.service]!;
    if (!this.clients.beginCall(client.slot, spec.maxCallsPerClient[clientCategory(client.requestor)]))
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
}
