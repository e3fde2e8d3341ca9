// The shares a machine offers and their checking; models the host side of mappings.cpp (vbsfMappingsAdd:
// what the VM settings give the service at load; the guest can never add or remove a mapping).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SHFL_MAX_LEN, SHFL_MAX_MAPPINGS } from '../abi/index.js';
import { ConfigError } from '../runtime/index.js';

/** One shared folder as a Machine is configured with it (MachineConfig.sharedFolders). */
export interface SharedFolderConfig {
  /** Share name the guest maps (compared case-insensitively), e.g. "data". */
  readonly name: string;
  /** Absolute path of an existing host directory. Symlinks in it are resolved once, at start. */
  readonly hostPath: string;
  /** Guests may change the share (default true, as VBoxManage without --readonly). */
  readonly writable?: boolean;
  /** Guests may create symlinks (default false: VirtualBox's SharedFoldersEnableSymlinksCreate). */
  readonly createSymlinks?: boolean;
  /**
   * The host directory is case-sensitive (default true). False makes every client case-insensitive (names
   * are matched ignoring case), as on a case-insensitive host file system.
   */
  readonly caseSensitive?: boolean;
  /** Offered for automounting (SHFL_MF_AUTOMOUNT). */
  readonly autoMount?: boolean;
  /** Where the guest should automount it (QUERY_MAP_INFO), default "". */
  readonly mountPoint?: string;
}

/** The service config the Machine registers ("VBoxSharedFolders" with these mappings). */
export interface VbsfConfig {
  readonly mappings: readonly SharedFolderConfig[];
}

/** A mapping as the service uses it; its root id is its index. */
export interface Mapping {
  readonly root: number;
  readonly name: string;
  /** realpath of the configured host directory. */
  readonly hostPath: string;
  readonly writable: boolean;
  readonly createSymlinks: boolean;
  readonly hostCaseSensitive: boolean;
  readonly autoMount: boolean;
  readonly mountPoint: string;
}

function bool(v: unknown, dflt: boolean, what: string): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new ConfigError(`${what} must be a boolean`);
  return v;
}

/** Check a service config and resolve its host paths. Throws ConfigError (at Machine.start). */
export function parseVbsfConfig(config: unknown): Mapping[] {
  const list = (config as { mappings?: unknown } | undefined)?.mappings;
  if (!Array.isArray(list)) throw new ConfigError('VBoxSharedFolders config needs a mappings array');
  if (list.length > SHFL_MAX_MAPPINGS) throw new ConfigError(`at most ${SHFL_MAX_MAPPINGS} shared folders`);
  const seen = new Set<string>();
  return list.map((raw: unknown, root): Mapping => {
    const c = raw as Partial<SharedFolderConfig>;
    const what = `sharedFolders[${root}]`;
    if (typeof c.name !== 'string' || c.name.length === 0 || c.name.length >= SHFL_MAX_LEN)
      throw new ConfigError(`${what}.name must be 1..${SHFL_MAX_LEN - 1} characters`);
    if (c.name.includes('\0') || c.name.includes('/') || c.name.includes('\\'))
      throw new ConfigError(`${what}.name must not contain NUL or slashes`);
    const key = c.name.toLowerCase();
    if (seen.has(key)) throw new ConfigError(`shared folder ${c.name} configured twice`);
    seen.add(key);
    if (typeof c.hostPath !== 'string' || !path.isAbsolute(c.hostPath))
      throw new ConfigError(`${what}.hostPath must be an absolute path`);
    let hostPath: string;
    try {
      hostPath = fs.realpathSync(c.hostPath);
      if (!fs.statSync(hostPath).isDirectory()) throw new Error('not a directory');
    } catch (e) {
      throw new ConfigError(`${what}.hostPath ${c.hostPath}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const mountPoint = c.mountPoint ?? '';
    if (typeof mountPoint !== 'string' || mountPoint.length >= SHFL_MAX_LEN)
      throw new ConfigError(`${what}.mountPoint must be a string shorter than ${SHFL_MAX_LEN}`);
    return Object.freeze({
      root,
      name: c.name,
      hostPath,
      writable: bool(c.writable, true, `${what}.writable`),
      createSymlinks: bool(c.createSymlinks, false, `${what}.createSymlinks`),
      hostCaseSensitive: bool(c.caseSensitive, true, `${what}.caseSensitive`),
      autoMount: bool(c.autoMount, false, `${what}.autoMount`),
      mountPoint,
    });
  });
}
