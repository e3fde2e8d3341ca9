// A call from the host side to a service (HGCMHostCall in HGCM.cpp, which Main uses to add and remove
// shared folders): run on the calling thread, the machine's, never on the pool. A service without host
// calls answers VERR_NOT_SUPPORTED; a throw is the service's bug, logged and answered VERR_INTERNAL_ERROR.
import { Status, type StatusCode } from '../abi/index.js';
import type { ServiceSpec } from './registry.js';
import type { HgcmService, SvcParm } from './service.js';

/** pfnHostCall of a loaded service. */
export function hostCall(
  spec: ServiceSpec,
  svc: HgcmService,
  fn: number,
  parms: SvcParm[],
  log: (line: string) => void,
): StatusCode {
  if (svc.hostCall === undefined) return Status.VERR_NOT_SUPPORTED;
  const host = {
    name: spec.name,
    config: spec.config,
    shared: spec.shared,
    log: (m: string) => log(`${spec.name}: ${m}`),
  };
  try {
    return svc.hostCall(host, fn, parms);
  } catch (e) {
    log(`${spec.name}.hostCall threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return Status.VERR_INTERNAL_ERROR;
  }
}
