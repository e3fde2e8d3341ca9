// The Shared Folders service ("VBoxSharedFolders"): what the rest of the project may import from src/vbsf.
export { parseVbsfConfig } from './config.js';
export type { Mapping, SharedFolderConfig, VbsfConfig } from './config.js';
export { HANDLERS, checkParms, dispatch } from './dispatch.js';
export { VBSF_MAX_CALLS_PER_CLIENT, VBSF_MAX_CLIENTS } from './service.js';
export { VBSF_SHARED_BYTES } from './layout.js';

/** The name guests connect to. */
export const VBSF_SERVICE_NAME = 'VBoxSharedFolders';

/** URL of the service module (next to this file in src/ or dist/), for MachineConfig.services. */
export function vbsfServiceModule(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./service${ext}`, import.meta.url).href;
}
