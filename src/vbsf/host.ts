// The service's host calls; models svcHostCall (VBoxSharedFoldersSvc.cpp): SHFL_FN_ADD_MAPPING and
// SHFL_FN_REMOVE_MAPPING as Main sends them when a shared folder is added to or removed from a running VM,
// and the parameters the host side builds for them. Runs on the thread making the host call (the Machine's
// main thread, or the sim's); everything it changes is in shared memory (mapping-table.ts).
//
// ADD_MAPPING's parameters are upstream's (7.1): host path, share name and auto-mount point as UTF-16
// SHFLSTRINGs, SHFL_ADD_MAPPING_F_* flags, the SymlinkPolicy_T. The model takes two more, optionally, for
// what upstream reads from the host instead or has not: model flags (HOST_ICASE: the host directory is
// case-insensitive, which upstream asks RTFsQueryProperties; REDACT_LINKS) and the CREATE size cap (u64,
// all ones for none).
import * as path from 'node:path';
import {
  SHFL_CPARMS_ADD_MAPPING,
  SHFL_CPARMS_REMOVE_MAPPING,
  ShflAddMapping,
  ShflHostFn,
  Status,
  SymlinkPolicy,
  type StatusCode,
  type SymlinkPolicyValue,
} from '../abi/index.js';
import type { SvcParm, SvcParmPtr } from '../hgcm/service-api.js';
import type { ShareRecord } from './config.js';
import type { MappingState } from './mappings.js';
import { shflStringIn, utf16le, utf8Text } from './strings.js';

/** The model's extra ADD_MAPPING flags (parameter 5). */
export const ModelMappingFlag = { HOST_ICASE: 0x1, REDACT_LINKS: 0x2 } as const;
/** ADD_MAPPING with the model's two extra parameters. */
export const CPARMS_ADD_MAPPING_MODEL = SHFL_CPARMS_ADD_MAPPING + 2;
const NO_MAX = 0xffffffffffffffffn;

/** A UTF-16 SHFLSTRING parameter (Main's strings). */
function str16(text: string): SvcParmPtr {
  const body = utf16le(text);
  const buf = new Uint8Array(4 + body.length + 2);
  buf[0] = (body.length + 2) & 0xff;
  buf[1] = (body.length + 2) >> 8;
  buf[2] = body.length & 0xff;
  buf[3] = body.length >> 8;
  buf.set(body, 4);
  return { type: 3, size: buf.length, buf, dir: 1 };
}

/** SHFL_FN_ADD_MAPPING's parameters for a share (with the model's two extra ones). */
export function addMappingParms(s: ShareRecord): SvcParm[] {
  const flags =
    (s.writable ? ShflAddMapping.WRITABLE : 0) |
    (s.autoMount ? ShflAddMapping.AUTOMOUNT : 0) |
    (s.createSymlinks ? ShflAddMapping.CREATE_SYMLINKS : 0) |
    (s.missing ? ShflAddMapping.MISSING : 0);
  const model =
    (s.hostCaseSensitive ? 0 : ModelMappingFlag.HOST_ICASE) |
    (s.redactLinks ? ModelMappingFlag.REDACT_LINKS : 0);
  return [
    str16(s.hostPath),
    str16(s.name),
    { type: 1, u32: flags },
    str16(s.mountPoint),
    { type: 1, u32: s.symlinkPolicy },
    { type: 1, u32: model },
    { type: 2, u64: s.maxCreateSize ?? NO_MAX },
  ];
}

/** SHFL_FN_REMOVE_MAPPING's parameter. */
export function removeMappingParms(name: string): SvcParm[] {
  return [str16(name)];
}

/** A UTF-16 string parameter as text, if it is one (ShflStringIsValidIn, fUtf8Not16 false). */
function text16(p: SvcParm | undefined): string | undefined {
  if (p?.type !== 3) return undefined;
  const bytes = shflStringIn(p.buf, false);
  return bytes === undefined ? undefined : utf8Text(bytes);
}

const POLICIES: readonly number[] = Object.values(SymlinkPolicy);

function addMapping(maps: MappingState, parms: readonly SvcParm[]): StatusCode {
  if (parms.length !== SHFL_CPARMS_ADD_MAPPING && parms.length !== CPARMS_ADD_MAPPING_MODEL)
    return Status.VERR_INVALID_PARAMETER;
  const [, , flags, , policy, model, max] = parms;
  if (flags?.type !== 1 || policy?.type !== 1) return Status.VERR_INVALID_PARAMETER;
  if (parms.length === CPARMS_ADD_MAPPING_MODEL && (model?.type !== 1 || max?.type !== 2))
    return Status.VERR_INVALID_PARAMETER;
  const hostPath = text16(parms[0]);
  const name = text16(parms[1]);
  const mountPoint = text16(parms[3]);
  if (hostPath === undefined || name === undefined || mountPoint === undefined)
    return Status.VERR_INVALID_PARAMETER;
  // Beyond upstream, which stores any value (and treats an unknown one like "relative").
  if (!POLICIES.includes(policy.u32)) return Status.VERR_INVALID_PARAMETER;
  const m = model?.type === 1 ? model.u32 : 0;
  const f = flags.u32;
  const root = maps.add({
    name,
    // vbsfPathAbs(NULL, folder): made absolute lexically.
    hostPath: path.resolve(hostPath),
    writable: (f & ShflAddMapping.WRITABLE) !== 0,
    createSymlinks: (f & ShflAddMapping.CREATE_SYMLINKS) !== 0,
    // SAFETY: checked against the SymlinkPolicy values just above.
    symlinkPolicy: policy.u32 as SymlinkPolicyValue,
    hostCaseSensitive: (m & ModelMappingFlag.HOST_ICASE) === 0,
    autoMount: (f & ShflAddMapping.AUTOMOUNT) !== 0,
    mountPoint,
    redactLinks: (m & ModelMappingFlag.REDACT_LINKS) !== 0,
    maxCreateSize: max?.type === 2 && max.u64 !== NO_MAX ? max.u64 : undefined,
    missing: (f & ShflAddMapping.MISSING) !== 0,
  });
  return root < 0 ? root : Status.VINF_SUCCESS;
}

/**
 * svcHostCall. ADD_MAPPING: VINF_SUCCESS, VERR_ALREADY_EXISTS (the name is taken), VERR_TOO_MUCH_DATA (64
 * mappings), VERR_INVALID_PARAMETER (count, types, strings). REMOVE_MAPPING: VINF_SUCCESS (gone),
 * VINF_PERMISSION_DENIED (still mapped by a guest: a placeholder until the last unmap), VERR_FILE_NOT_FOUND.
 * SET_STATUS_LED: VERR_NOT_SUPPORTED (the model has no status LED). Anything else VERR_NOT_IMPLEMENTED.
 */
export function svcHostCall(maps: MappingState, fn: number, parms: readonly SvcParm[]): StatusCode {
  switch (fn) {
    case ShflHostFn.ADD_MAPPING:
      return addMapping(maps, parms);
    case ShflHostFn.REMOVE_MAPPING: {
      // Upstream logs the name before checking the count and type; nothing is read here before they are.
      if (parms.length !== SHFL_CPARMS_REMOVE_MAPPING) return Status.VERR_INVALID_PARAMETER;
      const name = text16(parms[0]);
      return name === undefined ? Status.VERR_INVALID_PARAMETER : maps.remove(name);
    }
    case ShflHostFn.SET_STATUS_LED:
      return Status.VERR_NOT_SUPPORTED;
    default:
      return Status.VERR_NOT_IMPLEMENTED;
  }
}
