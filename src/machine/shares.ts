// Adding and removing shared folders while a machine runs, as Main does for a running VM (VBoxManage
// sharedfolder add/remove --transient: Console::addSharedFolder and removeSharedFolder send
// SHFL_FN_ADD_MAPPING / SHFL_FN_REMOVE_MAPPING to the service). Runs on the thread that owns the machine
// (Machine or SimMachine); the service does the work in its shared memory and wakes the guests waiting in
// WAIT_FOR_MAPPINGS_CHANGES.
import { ShflHostFn, Status, statusName, type StatusCode } from '../abi/index.js';
import type { SvcParm } from '../hgcm/index.js';
import { ConfigError } from '../runtime/index.js';
import {
  addMappingParms,
  checkShare,
  checkShareName,
  removeMappingParms,
  SLOW_HOST_MAX_DELAY_MS,
  SLOW_HOST_SET_DELAY,
  vbsfShares,
  type SharedFolderConfig,
  type ShareState,
} from '../vbsf/index.js';

/** A share added at run time. */
export interface ShareAdded {
  readonly name: string;
  readonly root: number;
  /** The host directory as the share uses it (realpath, or the absolute path of a missing one). */
  readonly hostPath: string;
  /** The directory does not exist: guests may map the share, and every path answers VERR_NOT_FOUND. */
  readonly missing: boolean;
}

/**
 * What removing did: 'removed', or 'in-use' when guests still map the share: it stays as a missing
 * placeholder (paths VERR_NOT_FOUND, handles VERR_ACCESS_DENIED, no new maps) until the last unmaps it.
 */
export type ShareRemoved = 'removed' | 'in-use';

/** A machine's shares: HGCM host calls to "VBoxSharedFolders", checked at this edge. */
export class Shares {
  private readonly call: (fn: number, parms: SvcParm[]) => Promise<StatusCode>;
  private readonly shared: () => SharedArrayBuffer | undefined;

  /** `call` makes a host call to the service; `shared` is its shared memory (undefined: no service). */
  constructor(
    call: (fn: number, parms: SvcParm[]) => Promise<StatusCode>,
    shared: () => SharedArrayBuffer | undefined,
  ) {
    this.call = call;
    this.shared = shared;
  }

  private service(): SharedArrayBuffer {
    const s = this.shared();
    if (s === undefined)
      throw new ConfigError('this machine has no Shared Folders service (MachineConfig.sharedFolders)');
    return s;
  }

  /** The shares now, placeholders included. */
  list(): ShareState[] {
    return vbsfShares(this.service());
  }

  /**
   * Add a share (SHFL_FN_ADD_MAPPING). Throws a ConfigError for a bad config, a name already in use, or a
   * full table (64 shares).
   */
  async add(config: SharedFolderConfig): Promise<ShareAdded> {
    this.service();
    const s = checkShare(config, 'share', true);
    const rc = await this.call(ShflHostFn.ADD_MAPPING, addMappingParms(s));
    if (rc === Status.VERR_ALREADY_EXISTS) throw new ConfigError(`a share named ${s.name} exists`);
    if (rc === Status.VERR_TOO_MUCH_DATA) throw new ConfigError(`no room for ${s.name}: 64 shares at most`);
    if (rc < 0) throw new ConfigError(`adding ${s.name} failed: ${statusName(rc)}`);
    const key = s.name.toLowerCase();
    const added = this.list().find((x) => !x.placeholder && x.name.toLowerCase() === key);
    if (added === undefined) throw new ConfigError(`${s.name} was removed as soon as it was added`);
    return { name: s.name, root: added.root, hostPath: s.hostPath, missing: s.missing };
  }

  /** Remove a share (SHFL_FN_REMOVE_MAPPING). Throws a ConfigError if there is none by that name. */
  async remove(name: string): Promise<ShareRemoved> {
    this.service();
    checkShareName(name, 'share name');
    const rc = await this.call(ShflHostFn.REMOVE_MAPPING, removeMappingParms(name));
    if (rc === Status.VERR_FILE_NOT_FOUND) throw new ConfigError(`no share named ${name}`);
    if (rc < 0) throw new ConfigError(`removing ${name} failed: ${statusName(rc)}`);
    return rc === Status.VINF_PERMISSION_DENIED ? 'in-use' : 'removed';
  }

  /**
   * The slow host's delay from now on (MachineConfig.hostDelay), in ms, for the calls waiting out the old
   * one too: 0 lets them go at once, more holds them longer. A ConfigError on a machine without a slow host.
   */
  async setHostDelay(ms: number): Promise<void> {
    this.service();
    if (!Number.isInteger(ms) || ms < 0 || ms > SLOW_HOST_MAX_DELAY_MS)
      throw new RangeError(`host delay ${ms}: an integer number of ms in [0, ${SLOW_HOST_MAX_DELAY_MS}]`);
    const rc = await this.call(SLOW_HOST_SET_DELAY, [{ type: 1, u32: ms }]);
    if (rc === Status.VERR_NOT_IMPLEMENTED)
      throw new ConfigError('this machine has no slow host (MachineConfig.hostDelay)');
    if (rc < 0) throw new ConfigError(`setting the host delay failed: ${statusName(rc)}`);
  }
}
