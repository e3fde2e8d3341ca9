// Which shares exist and who mapped them; models vbsfMapFolder, vbsfUnmapFolder and the root lookups of
// mappings.cpp. The mappings are fixed by the Machine config; the counters live in shared memory so every
// pool worker agrees on them.
import { SHFL_MAX_MAPPINGS, Status, type StatusCode } from '../abi/index.js';
import { AtomicCell, type SlotTable, withLock } from '../runtime/index.js';
import { MAX_CLIENT_MAPPINGS, type ClientData } from './client.js';
import type { Mapping } from './config.js';
import { H, M, MAPPING_BASE, type VbsfMemory } from './layout.js';

const SLASH = 0x2f;
const BACKSLASH = 0x5c;

/** The mappings and their counters. Counter changes are protected by MAP_LOCK. */
export class MappingState {
  readonly list: readonly Mapping[];
  private readonly mem: VbsfMemory;
  private readonly lock: AtomicCell;
  /** Per root: MAPPINGS, GUEST_CS. */
  private readonly counters: SlotTable;

  constructor(mem: VbsfMemory, list: readonly Mapping[]) {
    this.mem = mem;
    this.list = list;
    this.lock = new AtomicCell(mem.words, H.MAP_LOCK);
    this.counters = mem.slots(MAPPING_BASE, 2, SHFL_MAX_MAPPINGS);
  }

  /** vbsfMappingGetByRoot: the mapping with this root id, if any. */
  get(root: number): Mapping | undefined {
    return Number.isInteger(root) ? this.list[root] : undefined;
  }

  /** vbsfMappingGetByName: names compare case-insensitively. */
  byName(name: string): Mapping | undefined {
    const key = name.toLowerCase();
    return this.list.find((m) => m.name.toLowerCase() === key);
  }

  /** g_uFolderMappingsVersion. */
  get version(): number {
    return Atomics.load(this.mem.words, H.VERSION) >>> 0;
  }

  /** Clients mapping `root` now (cMappings). */
  mapCount(root: number): number {
    return this.counters.get(root, M.MAPPINGS);
  }

  /** fGuestCaseSensitive as the mappers asked for it. */
  guestCaseSensitive(root: number): boolean {
    return this.counters.get(root, M.GUEST_CS) !== 0;
  }

  /** Paths on this mapping are matched ignoring case (host case-insensitive, or the guest mapped it so). */
  icase(m: Mapping): boolean {
    return !m.hostCaseSensitive || !this.guestCaseSensitive(m.root);
  }

  /**
   * vbsfMapFolder: the delimiter must be '/' or '\\' and the client's first one; the name must exist; a
   * client maps a root at most 32K times; while a root is mapped, its case sensitivity cannot change.
   */
  map(client: ClientData, name: string, delimiter: number, caseSensitive: boolean): number | StatusCode {
    if (delimiter !== SLASH && delimiter !== BACKSLASH) return Status.VERR_INVALID_PARAMETER;
    if (!client.claimDelimiter(delimiter)) return Status.VERR_INVALID_PARAMETER;
    const m = this.byName(name);
    if (m === undefined) return Status.VERR_FILE_NOT_FOUND;
    return withLock(this.lock, () => {
      if (client.mappings(m.root) >= MAX_CLIENT_MAPPINGS) return Status.VERR_TOO_MANY_OPENS;
      const count = this.mapCount(m.root);
      if (count > 0 && this.guestCaseSensitive(m.root) !== caseSensitive)
        return Status.VERR_INCOMPATIBLE_CONFIG;
      client.addMapping(m.root, 1);
      this.counters.set(m.root, M.MAPPINGS, count + 1);
      this.counters.set(m.root, M.GUEST_CS, caseSensitive ? 1 : 0);
      return m.root;
    });
  }

  /** vbsfUnmapFolder: an unknown root is VERR_FILE_NOT_FOUND, one this client has not mapped VERR_INVALID_HANDLE. */
  unmap(client: ClientData, root: number): StatusCode {
    if (this.get(root) === undefined) return Status.VERR_FILE_NOT_FOUND;
    return withLock(this.lock, () => {
      if (client.mappings(root) <= 0) return Status.VERR_INVALID_HANDLE;
      client.addMapping(root, -1);
      const count = this.mapCount(root);
      if (count > 0) this.counters.set(root, M.MAPPINGS, count - 1);
      return Status.VINF_SUCCESS;
    });
  }

  /** Undo every map of a client (vbsfDisconnect). */
  unmapAll(client: ClientData): void {
    for (const m of this.list) while (client.mappings(m.root) > 0) this.unmap(client, m.root);
  }
}
