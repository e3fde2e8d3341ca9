// What a SHFL function handler works with: the calling client, the shared tables, and the checks every
// path or handle operation starts with; models vbsfBuildFullPath's root lookup and vbsfCheckHandleAccess
// (vbsf.cpp). Runs on a host worker thread.
import { Status, type StatusCode } from '../abi/index.js';
import type { ServiceContext } from '../hgcm/service-api.js';
import type { ClientData } from './client.js';
import type { Mapping } from './config.js';
import { Scope } from './confine.js';
import type { HandleRef, HandleTable } from './handles.js';
import type { VbsfMemory } from './layout.js';
import type { MappingState } from './mappings.js';
import { parseGuestPath, type GuestPath } from './path.js';
import type { MappingWaits } from './waits.js';

/** One pool worker's view of the service (built once per ServiceContext). */
export interface VbsfWorker {
  readonly mem: VbsfMemory;
  readonly handles: HandleTable;
  readonly maps: MappingState;
  readonly waits: MappingWaits;
}

/** Read or write access to a handle's mapping (VBSFCHECKACCESS). */
export type Access = 'read' | 'write';

/** The environment of one call. */
export class VbsfEnv {
  readonly ctx: ServiceContext;
  readonly w: VbsfWorker;
  readonly clientId: number;
  readonly client: ClientData;

  constructor(ctx: ServiceContext, w: VbsfWorker, clientId: number, client: ClientData) {
    this.ctx = ctx;
    this.w = w;
    this.clientId = clientId;
    this.client = client;
  }

  log(message: string): void {
    this.ctx.log(message);
  }

  /**
   * The mapping of a path operation. Upstream only checks that the root exists ("Check the client access
   * rights to the root. @todo"); here the client must also have mapped it. Both fail with
   * VERR_INVALID_PARAMETER, upstream's status for an unknown root. A missing mapping (added without its
   * folder, or removed by the host while mapped) is VERR_NOT_FOUND (vbsfMappingsQueryHostRootEx).
   */
  pathMapping(root: number): Mapping | StatusCode {
    const m = this.w.maps.get(root);
    if (m === undefined || this.client.mappings(root) <= 0) return Status.VERR_INVALID_PARAMETER;
    if (this.w.maps.missing(root)) return Status.VERR_NOT_FOUND;
    return m;
  }

  /** A guest path (UTF-8 bytes) in this client's delimiter, normalised against the share root. */
  guestPath(path: Uint8Array): GuestPath | StatusCode {
    return parseGuestPath(path, this.client.delimiter);
  }

  /** Stat and list follow symlinks unless the client sent SET_SYMLINKS (SHFL_RT_LINK). */
  get follow(): boolean {
    return !this.client.symlinks;
  }

  /** Names on this mapping match ignoring case. */
  icase(m: Mapping): boolean {
    return this.w.maps.icase(m);
  }

  /** Run `fn` with the share root open; every fd opened below it is closed afterwards. */
  withScope(m: Mapping, fn: (scope: Scope) => StatusCode): StatusCode {
    const scope = Scope.open(m.hostPath);
    if (typeof scope === 'number') {
      this.log(`mapping ${m.name}: host directory ${m.hostPath} cannot be opened`);
      return scope;
    }
    try {
      return fn(scope);
    } finally {
      scope.close();
    }
  }

  /**
   * vbsfQuery*Handle + vbsfCheckHandleAccess: the caller's open handle of a type in `types`, on `root`
   * (else VERR_INVALID_HANDLE), on a mapping that still exists and is not missing (else VERR_ACCESS_DENIED:
   * vbsfMappingsQueryWritable fails for a removed mapping) and, for `write`, is writable (else
   * VERR_WRITE_PROTECT). A handle of a removed mapping whose root id went to another share is refused the
   * same way. The handle is in use until `fn` returns.
   */
  withHandle(
    handle: bigint,
    root: number,
    types: number,
    access: Access,
    fn: (h: HandleRef, m: Mapping) => StatusCode,
  ): StatusCode {
    const ref = this.w.handles.acquire(handle, this.clientId, types);
    if (ref === undefined) return Status.VERR_INVALID_HANDLE;
    try {
      if (ref.root !== root) return Status.VERR_INVALID_HANDLE;
      const m = this.w.maps.get(root);
      if (m === undefined || m.gen !== ref.mapGen || this.w.maps.missing(root))
        return Status.VERR_ACCESS_DENIED;
      if (access === 'write' && !m.writable) return Status.VERR_WRITE_PROTECT;
      return fn(ref, m);
    } finally {
      this.w.handles.release(ref);
    }
  }
}
