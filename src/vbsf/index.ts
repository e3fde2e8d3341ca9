// The Shared Folders service ("VBoxSharedFolders"): what the rest of the project may import from src/vbsf.
import { HandleTable } from './handles.js';
import { VbsfMemory } from './layout.js';
import { MappingTable, type ShareState } from './mapping-table.js';
export {
  DEFAULT_HANDLE_QUOTA,
  SYMLINK_POLICY_NAMES,
  checkShare,
  checkShareName,
  parseVbsfConfig,
} from './config.js';
export type { Mapping, ShareRecord, SharedFolderConfig, SymlinkPolicyName, VbsfConfig } from './config.js';
export { addMappingParms, removeMappingParms } from './host.js';
export type { ShareState } from './mapping-table.js';
export { HANDLERS, checkParms, dispatch } from './dispatch.js';
export { default as vbsfService, VBSF_MAX_CALLS_PER_CLIENT, VBSF_MAX_CLIENTS } from './service.js';
export { VBSF_SHARED_BYTES } from './layout.js';
export { SLOW_HOST_MAX_DELAY_MS, SLOW_HOST_SET_DELAY } from './slow-host.js';

/** The shares of a running service, read from its shared memory (any thread). */
export function vbsfShares(shared: SharedArrayBuffer | undefined): ShareState[] {
  return new MappingTable(VbsfMemory.attach(shared)).shares();
}

/** Handles open now in the service's shared memory (audits and statistics: a mount's leak check). */
export function vbsfOpenHandles(shared: SharedArrayBuffer | undefined): number {
  return new HandleTable(VbsfMemory.attach(shared)).open;
}

/** The name guests connect to. */
export const VBSF_SERVICE_NAME = 'VBoxSharedFolders';

/** URL of the service module (next to this file in src/ or dist/), for MachineConfig.services. */
export function vbsfServiceModule(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./service${ext}`, import.meta.url).href;
}

/** URL of the slow-host wrapper of the service (MachineConfig.hostDelay), for MachineConfig.services. */
export function slowHostModule(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./slow-host${ext}`, import.meta.url).href;
}
