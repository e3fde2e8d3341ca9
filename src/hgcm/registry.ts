// The service registry (cf. HGCMService::LoadService / ResolveService in HGCM.cpp): what services a machine
// has, where their modules are, their limits and shared memory. Built on the main thread, handed to the
// device and the pool as plain data; each thread imports the modules itself.
import { ConfigError, importModule, moduleHref } from '../runtime/index.js';
import { MAX_SERVICES } from './clients.js';
import type { CallsPerCategory, HgcmService } from './service.js';

/** How a machine config names a service. */
export interface ServiceConfig {
  /** Name guests connect to (HGCMServiceLocation.achName), e.g. "VBoxSharedFolders". */
  readonly name: string;
  /**
   * The module exporting the service: a URL, an absolute path, or a path relative to the current
   * directory. A TypeScript module needs tsx installed beside hgcm-runtime (docs/services.md).
   */
  readonly module: string | URL;
  /** Export holding the service (default: "default"). */
  readonly export?: string;
  /** Passed to the service as ServiceContext.config (must be structured-cloneable). */
  readonly config?: unknown;
  /** Where its calls run (default 'pool'; MachineConfig.servicePlacement sets it for every service). */
  readonly placement?: ServicePlacement;
}

/**
 * Where a service's calls run: 'pool', a host pool worker (one wake-up of a worker per call, as upstream's
 * svcCall on the service's own thread costs a thread switch); 'emt', on the thread handling the port
 * write (the writing vCPU with device 'emt'), for the functions the service says finish inside the call
 * (HgcmService.completesInCall), the rest in the pool.
 */
export type ServicePlacement = 'pool' | 'emt';

/** Default acMaxClients (upstream's kernel-category default). */
export const DEFAULT_MAX_CLIENTS = 2048;
/** Default acMaxCallsPerClient, per requestor category (upstream's). */
export const DEFAULT_MAX_CALLS_PER_CLIENT: CallsPerCategory = { kernel: 8192, root: 4096, user: 2048 };

/** A registered service, as data every thread can receive. */
export interface ServiceSpec {
  readonly index: number;
  readonly name: string;
  readonly module: string;
  readonly export: string;
  readonly config: unknown;
  readonly maxClients: number;
  readonly maxCallsPerClient: CallsPerCategory;
  /** Every call runs on the device thread (HgcmService.inline). */
  readonly inline: boolean;
  /**
   * The thread handling port writes loads the service: every call runs there (`inline`), or, placed on
   * the EMT, the calls of the functions that finish inside the call (HgcmService.completesInCall).
   */
  readonly onDevice: boolean;
  readonly clientStateBytes: number;
  /** ServiceContext.shared, or undefined. */
  readonly shared: SharedArrayBuffer | undefined;
  /** Per-client state: clientStateBytes for each client-table slot. */
  readonly clientState: SharedArrayBuffer | undefined;
}

const loaded = new Map<string, Promise<Record<string, unknown>>>();

/** Import a service module and return the service it exports. */
export async function loadService(module: string, exportName: string): Promise<HgcmService> {
  // A module imports once per thread anyway; remembering the promise skips the loader's resolve round
  // trip, which dominates building a sim machine (the stress harness builds thousands).
  let p = loaded.get(module);
  if (p === undefined) {
    p = importModule(module, 'service module');
    loaded.set(module, p);
    // A module that failed to load may be fixed and tried again.
    p.catch(() => loaded.delete(module));
  }
  const mod = await p;
  const svc = mod[exportName];
  if (typeof svc !== 'object' || svc === null || typeof (svc as { call?: unknown }).call !== 'function') {
    throw new ConfigError(`${module} does not export a service as "${exportName}" (an object with call())`);
  }
  return svc as HgcmService;
}

/**
 * Load the services `which` selects, by spec index (undefined for the rest): pool workers load every
 * service, the device only the inline ones.
 */
export function loadServices(
  specs: readonly ServiceSpec[],
  which: (spec: ServiceSpec) => boolean = () => true,
): Promise<(HgcmService | undefined)[]> {
  return Promise.all(specs.map((s) => (which(s) ? loadService(s.module, s.export) : undefined)));
}

/**
 * Load every configured service on this thread, run its init() on fresh shared memory, and return the
 * specs to hand to the workers. `clientSlots` is the client table's capacity.
 */
export async function buildRegistry(
  configs: readonly ServiceConfig[],
  clientSlots: number,
): Promise<ServiceSpec[]> {
  if (configs.length > MAX_SERVICES) throw new ConfigError(`at most ${MAX_SERVICES} services`);
  const seen = new Set<string>();
  const specs: ServiceSpec[] = [];
  for (const [index, c] of configs.entries()) {
    if (typeof c.name !== 'string' || c.name.length === 0 || Buffer.byteLength(c.name) >= 128) {
      throw new ConfigError(`service name must be 1..127 bytes: ${String(c.name)}`);
    }
    if (c.placement !== undefined && c.placement !== 'pool' && c.placement !== 'emt')
      throw new ConfigError(
        `service ${c.name}: placement must be 'pool' or 'emt', got ${String(c.placement)}`,
      );
    if (seen.has(c.name)) throw new ConfigError(`service ${c.name} registered twice`);
    seen.add(c.name);
    const module = moduleHref(c.module);
    const exportName = c.export ?? 'default';
    const svc = await loadService(module, exportName);
    const sharedBytes = svc.sharedBytes ?? 0;
    const clientStateBytes = svc.clientStateBytes ?? 0;
    const shared = sharedBytes > 0 ? new SharedArrayBuffer(sharedBytes) : undefined;
    svc.init?.(shared, c.config);
    specs.push({
      index,
      name: c.name,
      module,
      export: exportName,
      config: c.config,
      maxClients: svc.maxClients ?? DEFAULT_MAX_CLIENTS,
      maxCallsPerClient: perCategory(svc.maxCallsPerClient ?? DEFAULT_MAX_CALLS_PER_CLIENT),
      inline: svc.inline === true,
      onDevice: svc.inline === true || (c.placement === 'emt' && svc.completesInCall !== undefined),
      clientStateBytes,
      shared,
      clientState: clientStateBytes > 0 ? new SharedArrayBuffer(clientStateBytes * clientSlots) : undefined,
    });
  }
  return specs;
}

/** URL of a built-in service module (echo, noop, delay), next to this file in src/ or dist/. */
export function builtinServiceModule(name: 'echo' | 'noop' | 'delay'): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./services/${name}${ext}`, import.meta.url).href;
}

/** A service's pending-call limit, per category (one figure: the same for all). */
function perCategory(limit: number | CallsPerCategory): CallsPerCategory {
  if (typeof limit === 'number') return { kernel: limit, root: limit, user: limit };
  return { kernel: limit.kernel, root: limit.root, user: limit.user };
}
