// The FUSE front (a layer above the guest's Shared Folders library): what the rest of the project may use.
// The guest programs (serve.ts, session.ts) run on vCPUs and are reached by module URL; the rest runs on
// the main thread of the process that mounts.
export {
  abortConnection,
  connectionMountpoints,
  findMount,
  fuseUnavailable,
  FUSE_FS_TYPE,
  isMounted,
  mountFuse,
  openFuseDevice,
  setReadahead,
  unmountFuse,
} from './device.js';
export type { FuseMountOptions, MountInfo } from './device.js';
export { FileTable } from './files.js';
export { Inflight } from './inflight.js';
export { createFront, FRONT_COUNTERS, FrontState, FrontWord, FrontWords } from './layout.js';
export type { FrontCapacity, FrontConfig, FrontCounter, FrontShared } from './layout.js';
export { NodeTable } from './nodes.js';
export type { ServeArgs, ServeReport } from './serve.js';
export type { ConnectArgs, DisconnectReport } from './session.js';
export { Watchdog } from './watchdog.js';

/** URL of a guest program module of the front ('serve' or 'session'), next to this file in src/ or dist/. */
export function fuseProgram(name: 'serve' | 'session'): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${ext}`, import.meta.url).href;
}
