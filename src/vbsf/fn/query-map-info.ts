// SHFL_FN_QUERY_MAP_INFO: name, mount point, flags and version of a root; models the svcCall case and
// vbsfMappingsQueryInfo (mappings.cpp). Every refusal is VERR_INVALID_PARAMETER, counts and types included.
//
// Upstream sets SHFL_MIF_HOST_ICASE when the host is case-*sensitive* and SHFL_MIF_GUEST_ICASE when the
// guest mapped case-*sensitively* (the flags are named for the opposite); here they mean what they say.
import { ShflMapInfo, ShflMapInfoQuery, Status } from '../../abi/index.js';
import type { SvcParmPtr, SvcParmU32, SvcParmU64 } from '../../hgcm/service-api.js';
import { defineFn } from '../handler.js';
import { shflStringValidOut, shflStringWrite } from '../strings.js';

interface Args {
  root: number;
  name: SvcParmPtr;
  mountPoint: SvcParmPtr;
  flags: SvcParmU64;
  version: SvcParmU32;
}

/** QUERY_MAP_INFO: root, name (out), mount point (out), flags (in/out), version (out). */
export default defineFn({
  decode(p) {
    const name = p.ptr(1);
    const mountPoint = p.ptr(2);
    const flags = p.u64(3);
    if (!shflStringValidOut(name.buf) || !shflStringValidOut(mountPoint.buf))
      return Status.VERR_INVALID_PARAMETER;
    if ((flags.u64 & ~(ShflMapInfoQuery.DRIVE_LETTER | ShflMapInfoQuery.PATH)) !== 0n)
      return Status.VERR_INVALID_PARAMETER;
    return { root: p.u32(0).u32, name, mountPoint, flags, version: p.u32(4) };
  },
  handle(a: Args, env) {
    const m = env.w.maps.get(a.root);
    if (m === undefined) return Status.VERR_INVALID_PARAMETER;
    // g_auRootHandleVersions: moves each time the root id is given to a share or taken back, so a guest
    // sees a root id reused for another share.
    a.version.u32 = env.w.maps.rootVersion(a.root);
    let flags = 0n;
    if (m.writable) flags |= ShflMapInfo.WRITABLE;
    if (m.autoMount) flags |= ShflMapInfo.AUTO_MOUNT;
    if (!m.hostCaseSensitive) flags |= ShflMapInfo.HOST_ICASE;
    if (env.w.maps.mapCount(m.root) > 0 && !env.w.maps.guestCaseSensitive(m.root))
      flags |= ShflMapInfo.GUEST_ICASE;
    if (m.createSymlinks) flags |= ShflMapInfo.SYMLINK_CREATION;
    a.flags.u64 = flags;
    const rc = shflStringWrite(a.name.buf, m.name, env.client.utf8);
    const rc2 = shflStringWrite(a.mountPoint.buf, m.mountPoint, env.client.utf8);
    return rc !== Status.VINF_SUCCESS ? rc : rc2;
  },
});
