// The shares a machine offers and their checking; models what Main hands the service (Console's
// createSharedFolder: the folder made absolute, the flags, the symlink policy) for vbsfMappingsAdd, at load
// and at run time (SHFL_FN_ADD_MAPPING). Runs on the thread that checks them: the Machine's, or init().
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SHFL_MAX_LEN, SHFL_MAX_MAPPINGS, SymlinkPolicy, type SymlinkPolicyValue } from '../abi/index.js';
import { ConfigError } from '../runtime/index.js';

/** VBoxManage sharedfolder add --symlink-policy: the names of SymlinkPolicy_T. */
export const SYMLINK_POLICY_NAMES = {
  forbidden: SymlinkPolicy.FORBIDDEN,
  subtree: SymlinkPolicy.ALLOWED_IN_SHARE_SUBTREE,
  relative: SymlinkPolicy.ALLOWED_TO_RELATIVE_TARGETS,
  any: SymlinkPolicy.ALLOWED_TO_ANY_TARGET,
} as const;
/** A symlink policy by name. */
export type SymlinkPolicyName = keyof typeof SYMLINK_POLICY_NAMES;

/** One shared folder as a Machine is configured with it (MachineConfig.sharedFolders, machine.shares.add). */
export interface SharedFolderConfig {
  /** Share name the guest maps (compared case-insensitively), e.g. "data". */
  readonly name: string;
  /**
   * Absolute path of a host directory. Symlinks in it are resolved once, when the share is added. At run
   * time (machine.shares.add) it may not exist yet: the share is then "missing" (the guest may map it, and
   * every path answers VERR_NOT_FOUND), as Main adds a folder it cannot find.
   */
  readonly hostPath: string;
  /** Guests may change the share (default true, as VBoxManage without --readonly). */
  readonly writable?: boolean;
  /** Guests may create symlinks (default false: VirtualBox's SharedFoldersEnableSymlinksCreate). */
  readonly createSymlinks?: boolean;
  /**
   * The targets a guest may give a new symlink (VirtualBox 7.1's SymlinkPolicy_T, checked on the target's
   * text as vbsfPathEvalSymlinkPolicy does): 'forbidden' none, 'subtree' relative targets without '..',
   * 'relative' relative targets, 'any' anything. Unset: no policy, any target (as before 7.1). Whatever
   * the policy, the service never follows a link out of the share (confine.ts).
   */
  readonly symlinkPolicy?: SymlinkPolicyName;
  /**
   * The host directory is case-sensitive (default true). False makes every client case-insensitive (names
   * are matched ignoring case), as on a case-insensitive host file system.
   */
  readonly caseSensitive?: boolean;
  /** Offered for automounting (SHFL_MF_AUTOMOUNT). */
  readonly autoMount?: boolean;
  /** Where the guest should automount it (QUERY_MAP_INFO), default "". */
  readonly mountPoint?: string;
  /**
   * What READLINK tells the guest (beyond upstream): 'verbatim' (default, as upstream) the host's link
   * text; 'redact' an absolute target inside the share as the equivalent relative one, and VERR_ACCESS_DENIED
   * for a target that leads out of the share, so no host path outside it is ever shown.
   */
  readonly readlink?: 'verbatim' | 'redact';
  /**
   * The largest size CREATE may give a file it replaces or overwrites from Info.cbObject (beyond upstream,
   * which sets any size: a 1 TiB sparse file). Whatever this says, never more than the host file system's
   * free space at that moment. Default: the free space alone.
   */
  readonly maxCreateSize?: number | bigint;
}

/** A share as the mapping table stores it (mapping-table.ts), checked. */
export interface ShareRecord {
  readonly name: string;
  /** realpath of the configured directory, or the absolute path as given for a missing one. */
  readonly hostPath: string;
  readonly writable: boolean;
  readonly createSymlinks: boolean;
  readonly symlinkPolicy: SymlinkPolicyValue;
  readonly hostCaseSensitive: boolean;
  readonly autoMount: boolean;
  readonly mountPoint: string;
  readonly redactLinks: boolean;
  /** Undefined: no cap but the free space. */
  readonly maxCreateSize: bigint | undefined;
  /** The host directory was not there when the share was added (SHFL_ADD_MAPPING_F_MISSING). */
  readonly missing: boolean;
}

/** A mapping as the service uses it: its record and root id; `gen` changes whenever the root id is reused. */
export interface Mapping extends Omit<ShareRecord, 'missing'> {
  readonly root: number;
  readonly gen: number;
}

/** Handles one client may hold open by default (beyond upstream, where one client may take all 4095). */
export const DEFAULT_HANDLE_QUOTA = 1024;

/** The service config the Machine registers ("VBoxSharedFolders" with these mappings). */
export interface VbsfConfig {
  readonly mappings: readonly SharedFolderConfig[];
  /** Handles one client may hold open (default DEFAULT_HANDLE_QUOTA; 4095 is upstream's none). */
  readonly handleQuota?: number;
}

function bool(v: unknown, dflt: boolean, what: string): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new ConfigError(`${what} must be a boolean`);
  return v;
}

/** A share name: 1..255 characters, no NUL or slashes. Throws ConfigError. */
export function checkShareName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length >= SHFL_MAX_LEN)
    throw new ConfigError(`${what} must be 1..${SHFL_MAX_LEN - 1} characters`);
  if (name.includes('\0') || name.includes('/') || name.includes('\\'))
    throw new ConfigError(`${what} must not contain NUL or slashes`);
  return name;
}

function hostDir(p: unknown, what: string, allowMissing: boolean): { hostPath: string; missing: boolean } {
  if (typeof p !== 'string' || !path.isAbsolute(p) || p.includes('\0'))
    throw new ConfigError(`${what} must be an absolute path`);
  try {
    const hostPath = fs.realpathSync(p);
    if (!fs.statSync(hostPath).isDirectory()) throw new Error('not a directory');
    return { hostPath, missing: false };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (allowMissing && code === 'ENOENT') return { hostPath: path.resolve(p), missing: true };
    throw new ConfigError(`${what} ${p}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function maxSize(v: unknown, what: string): bigint | undefined {
  if (v === undefined) return undefined;
  if ((typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) || (typeof v === 'bigint' && v >= 0n))
    return BigInt(v);
  throw new ConfigError(`${what} must be a non-negative integer`);
}

/**
 * Check one share and resolve its host directory. `allowMissing`: a directory that does not exist gives a
 * missing share instead of an error (run-time additions). Throws ConfigError.
 */
export function checkShare(raw: unknown, what: string, allowMissing = false): ShareRecord {
  if (typeof raw !== 'object' || raw === null) throw new ConfigError(`${what} must be an object`);
  const c = raw as Partial<Record<keyof SharedFolderConfig, unknown>>;
  const name = checkShareName(c.name, `${what}.name`);
  const { hostPath, missing } = hostDir(c.hostPath, `${what}.hostPath`, allowMissing);
  const mountPoint = c.mountPoint ?? '';
  if (typeof mountPoint !== 'string' || mountPoint.length >= SHFL_MAX_LEN || mountPoint.includes('\0'))
    throw new ConfigError(`${what}.mountPoint must be a string shorter than ${SHFL_MAX_LEN}`);
  const policy = c.symlinkPolicy;
  if (policy !== undefined && (typeof policy !== 'string' || !Object.hasOwn(SYMLINK_POLICY_NAMES, policy)))
    throw new ConfigError(
      `${what}.symlinkPolicy must be one of ${Object.keys(SYMLINK_POLICY_NAMES).join(', ')}`,
    );
  if (c.readlink !== undefined && c.readlink !== 'verbatim' && c.readlink !== 'redact')
    throw new ConfigError(`${what}.readlink must be 'verbatim' or 'redact'`);
  return {
    name,
    hostPath,
    writable: bool(c.writable, true, `${what}.writable`),
    createSymlinks: bool(c.createSymlinks, false, `${what}.createSymlinks`),
    symlinkPolicy:
      policy === undefined ? SymlinkPolicy.NONE : SYMLINK_POLICY_NAMES[policy as SymlinkPolicyName],
    hostCaseSensitive: bool(c.caseSensitive, true, `${what}.caseSensitive`),
    autoMount: bool(c.autoMount, false, `${what}.autoMount`),
    mountPoint,
    redactLinks: c.readlink === 'redact',
    maxCreateSize: maxSize(c.maxCreateSize, `${what}.maxCreateSize`),
    missing,
  };
}

/** Check a service config and resolve its host paths. Throws ConfigError (at Machine.start). */
export function parseVbsfConfig(config: unknown): { shares: ShareRecord[]; handleQuota: number } {
  const c = config as { mappings?: unknown; handleQuota?: unknown } | undefined;
  const list = c?.mappings;
  if (!Array.isArray(list)) throw new ConfigError('VBoxSharedFolders config needs a mappings array');
  if (list.length > SHFL_MAX_MAPPINGS) throw new ConfigError(`at most ${SHFL_MAX_MAPPINGS} shared folders`);
  const quota = c?.handleQuota ?? DEFAULT_HANDLE_QUOTA;
  if (typeof quota !== 'number' || !Number.isInteger(quota) || quota < 1)
    throw new ConfigError('handleQuota must be a positive integer');
  const seen = new Set<string>();
  const shares = list.map((raw: unknown, i): ShareRecord => {
    const s = checkShare(raw, `sharedFolders[${i}]`);
    const key = s.name.toLowerCase();
    if (seen.has(key)) throw new ConfigError(`shared folder ${s.name} configured twice`);
    seen.add(key);
    return s;
  });
  return { shares, handleQuota: quota };
}
