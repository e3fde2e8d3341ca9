// The Shared Folders service on a slow host: a diagnostic wrapper (MachineConfig.hostDelay, `hgcm mount
// --host-delay MS`) that completes the chosen functions' calls (READ and WRITE by default) `ms` after they
// arrive, as a host whose disk or network stalls would. Runs in the host pool. A call the guest cancels
// during the delay completes with VERR_CANCELLED without touching the file; one cancelled after the delay,
// while the service works, behaves as on any host. Everything else is the service itself, host calls
// (shares added and removed) included.
import { ShflFn, Status } from '../abi/index.js';
import { defineService, type ServiceContext } from '../hgcm/service-api.js';
import vbsfService from './service.js';

/** The wrapper's config: the service's own, plus the delay. */
export interface SlowHostConfig {
  readonly mappings: unknown;
  readonly delayMs: number;
  readonly functions?: readonly number[];
}

const DEFAULT_FUNCTIONS: readonly number[] = [ShflFn.READ, ShflFn.WRITE];

function slow(ctx: ServiceContext): { delayMs: number; functions: readonly number[] } {
  // SAFETY: resolveConfig builds this config (SlowHostConfig) for this module only.
  const c = ctx.config as SlowHostConfig;
  return { delayMs: c.delayMs, functions: c.functions ?? DEFAULT_FUNCTIONS };
}

export default defineService({
  sharedBytes: vbsfService.sharedBytes,
  clientStateBytes: vbsfService.clientStateBytes,
  maxCallsPerClient: vbsfService.maxCallsPerClient,
  maxClients: vbsfService.maxClients,
  sharedExtent: vbsfService.sharedExtent,
  init(shared, config) {
    vbsfService.init(shared, config);
  },
  setup(ctx) {
    vbsfService.setup(ctx);
  },
  connect(ctx, client) {
    return vbsfService.connect(ctx, client);
  },
  disconnect(ctx, client) {
    vbsfService.disconnect(ctx, client);
  },
  hostCall(host, fn, parms) {
    return vbsfService.hostCall!(host, fn, parms);
  },
  call(ctx, call) {
    const { delayMs, functions } = slow(ctx);
    if (!functions.includes(call.fn)) return vbsfService.call(ctx, call);
    ctx.setTimer(delayMs, () => {
      if (call.isCancelled()) {
        call.complete(Status.VERR_CANCELLED);
        return;
      }
      let rc: number;
      try {
        rc = vbsfService.call(ctx, call);
      } catch (e) {
        ctx.log(`slow host: the service threw: ${e instanceof Error ? e.message : String(e)}`);
        rc = Status.VERR_INTERNAL_ERROR;
      }
      if (rc !== Status.VINF_HGCM_ASYNC_EXECUTE) call.complete(rc);
    });
    return Status.VINF_HGCM_ASYNC_EXECUTE;
  },
});
