// The "VBoxSharedFolders" HGCM service on real host directories; models VBoxSharedFoldersSvc.cpp: the
// limits set at load, svcConnect, svcDisconnect, svcCall and svcHostCall. Every call runs synchronously on
// the pool worker that picked it up (only WAIT_FOR_MAPPINGS_CHANGES completes later); host calls run on the
// thread that makes them; the state they all share is in `sharedBytes` and the clients' slots, formatted by
// init(). Runs on a host worker thread (host calls: on the caller's).
import { ShflFn, Status, statusName } from '../abi/index.js';
import { defineService, type ServiceContext } from '../hgcm/service-api.js';
import { ConfigError } from '../runtime/index.js';
import { procFdAvailable, setIprtLog } from '../runtime/iprt/index.js';
import { CLIENT_STATE_BYTES, ClientData } from './client.js';
import { parseVbsfConfig } from './config.js';
import { dispatch } from './dispatch.js';
import { VbsfEnv, type VbsfWorker } from './env.js';
import { HandleTable } from './handles.js';
import { svcHostCall } from './host.js';
import { VBSF_SHARED_BYTES, VbsfMemory } from './layout.js';
import { MappingState } from './mappings.js';
import { MappingWaits } from './waits.js';

/** Pending calls per client, per requestor category: upstream's (64K kernel, 16K root, 1K user). */
export const VBSF_MAX_CALLS_PER_CLIENT = { kernel: 0x10000, root: 0x4000, user: 0x400 } as const;
/** Clients at once: SHFL_MAX_MAPPINGS + 2, upstream's per-category limit. */
export const VBSF_MAX_CLIENTS = 66;

const workers = new WeakMap<ServiceContext, VbsfWorker>();

/**
 * Each worker's ClientData views by client id: a view is two typed arrays over the client's slot, and a
 * call needs one, so they are made once per client, not per call. The slot a client id names never
 * changes, so a cached view stays right; the cache is dropped whole when it grows past this (a client
 * disconnected through another worker leaves its entry here).
 */
const clientViews = new WeakMap<ServiceContext, Map<number, ClientData>>();
const MAX_CLIENT_VIEWS = 4 * VBSF_MAX_CLIENTS;

/** This worker's view of the service, built on first use (setup normally). */
function worker(ctx: ServiceContext): VbsfWorker {
  let w = workers.get(ctx);
  if (w === undefined) {
    const mem = VbsfMemory.attach(ctx.shared);
    w = {
      mem,
      handles: new HandleTable(mem),
      maps: new MappingState(mem),
      waits: new MappingWaits(mem),
    };
    workers.set(ctx, w);
  }
  return w;
}

function clientOf(ctx: ServiceContext, clientId: number): ClientData {
  let views = clientViews.get(ctx);
  if (views === undefined) clientViews.set(ctx, (views = new Map()));
  let data = views.get(clientId);
  if (data === undefined) {
    if (views.size >= MAX_CLIENT_VIEWS) views.clear();
    data = new ClientData(ctx.clientState(clientId));
    views.set(clientId, data);
  }
  return data;
}

/** The Shared Folders service. Its config is a VbsfConfig (MachineConfig.sharedFolders builds it). */
export default defineService({
  sharedBytes: VBSF_SHARED_BYTES,
  clientStateBytes: CLIENT_STATE_BYTES,
  maxCallsPerClient: VBSF_MAX_CALLS_PER_CLIENT,
  maxClients: VBSF_MAX_CLIENTS,
  sharedExtent: (shared) => VbsfMemory.attach(shared).extent(),
  init(shared, config) {
    if (!procFdAvailable()) throw new ConfigError('VBoxSharedFolders needs /proc/self/fd (a Linux host)');
    const { shares, handleQuota } = parseVbsfConfig(config);
    if (shared === undefined) throw new ConfigError('VBoxSharedFolders got no shared memory');
    // The VM settings' folders, added at load as Main does: each one moves the mappings version.
    const maps = new MappingState(VbsfMemory.format(shared, handleQuota));
    for (const s of shares) {
      const rc = maps.add(s);
      if (rc < 0) throw new ConfigError(`shared folder ${s.name}: ${statusName(rc)}`);
    }
  },
  setup(ctx) {
    setIprtLog((line) => ctx.log(line));
    worker(ctx);
  },
  connect(ctx, client) {
    clientOf(ctx, client.clientId).reset();
    return Status.VINF_SUCCESS;
  },
  disconnect(ctx, client) {
    // svcDisconnect: end the client's mapping waits, close its handles, undo its maps.
    const w = worker(ctx);
    const data = clientOf(ctx, client.clientId);
    w.waits.cancelClient(data, client.clientId);
    w.handles.closeAll(client.clientId);
    w.maps.unmapAll(data);
    clientViews.get(ctx)?.delete(client.clientId);
  },
  // Every function answers inside the call except a mapping wait, which is held until a change or a cancel.
  completesInCall: (fn) => fn !== ShflFn.WAIT_FOR_MAPPINGS_CHANGES,
  call(ctx, call) {
    return dispatch(new VbsfEnv(ctx, worker(ctx), call.clientId, clientOf(ctx, call.clientId)), call);
  },
  cancelled(ctx) {
    worker(ctx).waits.guestCancelled();
  },
  hostCall(host, fn, parms) {
    return svcHostCall(new MappingState(VbsfMemory.attach(host.shared)), fn, parms);
  },
});
