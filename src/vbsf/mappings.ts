// Which shares exist and who mapped them; models vbsfMapFolder, vbsfUnmapFolder and the root lookups of
// mappings.cpp, over the shared records of mapping-table.ts (so every pool worker, and host calls that add
// or remove shares while guests run, agree on them).
import { Status, type StatusCode } from '../abi/index.js';
import { withLock } from '../runtime/index.js';
import { MAX_CLIENT_MAPPINGS, type ClientData } from './client.js';
import type { Mapping } from './config.js';
import { MappingTable } from './mapping-table.js';

const SLASH = 0x2f;
const BACKSLASH = 0x5c;

/** The mappings, their counters, and mapping and unmapping. */
export class MappingState extends MappingTable {
  /** vbsfMappingGetByName: names compare case-insensitively; placeholders cannot be mapped. */
  byName(name: string): Mapping | undefined {
    const key = name.toLowerCase();
    for (const r of this.roots()) {
      const m = this.get(r);
      if (m !== undefined && !this.placeholder(r) && m.name.toLowerCase() === key) return m;
    }
    return undefined;
  }

  /** Paths on this mapping are matched ignoring case (host case-insensitive, or the guest mapped it so). */
  icase(m: Mapping): boolean {
    return !m.hostCaseSensitive || !this.guestCaseSensitive(m.root);
  }

  /**
   * vbsfMapFolder: the delimiter must be '/' or '\\' and the client's first one; the name must exist (and not
   * be a placeholder); a client maps a root at most 32K times; while a root is mapped, its case sensitivity
   * cannot change.
   */
  map(client: ClientData, name: string, delimiter: number, caseSensitive: boolean): number | StatusCode {
    if (delimiter !== SLASH && delimiter !== BACKSLASH) return Status.VERR_INVALID_PARAMETER;
    if (!client.claimDelimiter(delimiter)) return Status.VERR_INVALID_PARAMETER;
    const m = this.byName(name);
    if (m === undefined) return Status.VERR_FILE_NOT_FOUND;
    return withLock(this.lock, () => {
      // RACE: removed (or made a placeholder) by the host since byName.
      if (this.get(m.root)?.gen !== m.gen || this.placeholder(m.root)) return Status.VERR_FILE_NOT_FOUND;
      if (client.mappings(m.root) >= MAX_CLIENT_MAPPINGS) return Status.VERR_TOO_MANY_OPENS;
      if (this.mapCount(m.root) > 0 && this.guestCaseSensitive(m.root) !== caseSensitive)
        return Status.VERR_INCOMPATIBLE_CONFIG;
      client.addMapping(m.root, 1);
      this.countLocked(m.root, 1, caseSensitive);
      return m.root;
    });
  }

  /**
   * vbsfUnmapFolder: an unknown root is VERR_FILE_NOT_FOUND, one this client has not mapped VERR_INVALID_HANDLE.
   * The last unmap of a placeholder removes it (and wakes the mapping waiters).
   */
  unmap(client: ClientData, root: number): StatusCode {
    if (this.get(root) === undefined) return Status.VERR_FILE_NOT_FOUND;
    const freed = withLock(this.lock, () => {
      if (client.mappings(root) <= 0) return Status.VERR_INVALID_HANDLE;
      client.addMapping(root, -1);
      if (this.countLocked(root, -1) > 0 || !this.placeholder(root)) return Status.VINF_SUCCESS;
      this.freeLocked(root);
      return true;
    });
    if (freed !== true) return freed;
    this.changed();
    return Status.VINF_SUCCESS;
  }

  /** Undo every map of a client (vbsfDisconnect). */
  unmapAll(client: ClientData): void {
    for (const r of this.roots()) while (client.mappings(r) > 0) this.unmap(client, r);
  }
}
