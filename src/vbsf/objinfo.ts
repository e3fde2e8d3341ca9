// SHFLFSOBJINFO, SHFLVOLINFO and SHFLCREATEPARMS byte for byte in host buffers; models
// vbfsCopyFsObjInfoFromIprt and vbfsCopyFsPropertiesFromIprt (vbsf.cpp) and the struct accesses of vbsfCreate.
import {
  RtFs,
  RtFsObjAttrAdd,
  SHFLCREATEPARMS,
  SHFLFSOBJATTR,
  SHFLFSOBJINFO,
  SHFLFSPROPERTIES,
  SHFLVOLINFO,
} from '../abi/index.js';
import { ByteView } from '../runtime/index.js';
import type { FsObjInfo, FsSizes } from '../runtime/iprt/index.js';

const I = SHFLFSOBJINFO.off;
const A = SHFLFSOBJATTR.off;

/**
 * Write a SHFLFSOBJINFO at `off` (92 bytes must fit). SUID, SGID and sticky are never reported (as
 * upstream), and the UNIX additional attributes are filled.
 */
export function writeObjInfo(buf: Uint8Array, off: number, info: FsObjInfo): void {
  const v = new ByteView(buf);
  v.setI64(off + I.cbObject, info.cbObject);
  v.setI64(off + I.cbAllocated, info.cbAllocated);
  v.setI64(off + I.AccessTime, info.accessTime);
  v.setI64(off + I.ModificationTime, info.modificationTime);
  v.setI64(off + I.ChangeTime, info.changeTime);
  v.setI64(off + I.BirthTime, info.birthTime);
  const a = off + I.Attr;
  v.setU32(a + A.fMode, info.mode & ~(RtFs.UNIX_ISUID | RtFs.UNIX_ISGID | RtFs.UNIX_ISTXT));
  v.setU32(a + A.enmAdditional, RtFsObjAttrAdd.UNIX);
  v.setU32(a + A.uid, info.uid);
  v.setU32(a + A.gid, info.gid);
  v.setU32(a + A.cHardlinks, info.hardlinks);
  v.setU32(a + A.INodeIdDevice, info.device);
  v.setU64(a + A.INodeId, info.inode);
  v.setU32(a + A.fFlags, 0);
  v.setU32(a + A.GenerationId, 0);
  v.setU32(a + A.Device, info.rdev);
}

/** The fields of a SHFLFSOBJINFO a guest sets (INFORMATION SET, CREATE). */
export interface ObjInfoIn {
  readonly cbObject: bigint;
  readonly accessTime: bigint;
  readonly modificationTime: bigint;
  readonly changeTime: bigint;
  readonly birthTime: bigint;
  readonly mode: number;
}

/** Read what a guest sent in a SHFLFSOBJINFO at `off`. */
export function readObjInfo(buf: Uint8Array, off: number): ObjInfoIn {
  const v = new ByteView(buf);
  return {
    cbObject: v.i64(off + I.cbObject),
    accessTime: v.i64(off + I.AccessTime),
    modificationTime: v.i64(off + I.ModificationTime),
    changeTime: v.i64(off + I.ChangeTime),
    birthTime: v.i64(off + I.BirthTime),
    mode: v.u32(off + I.Attr + A.fMode),
  };
}

/** Volume properties the service reports for a mapping. */
export interface VolumeProps {
  readonly caseSensitive: boolean;
  readonly readOnly: boolean;
}

/**
 * Write a SHFLVOLINFO at offset 0 (40 bytes must fit): all 40 bytes, the two padding bytes after the
 * properties too (upstream zeroes them in vbfsCopyFsPropertiesFromIprt; a reply byte left alone would hand
 * the guest whatever the buffer held).
 */
export function writeVolInfo(buf: Uint8Array, sizes: FsSizes, props: VolumeProps): void {
  buf.fill(0, 0, SHFLVOLINFO.size);
  const v = new ByteView(buf);
  const V = SHFLVOLINFO.off;
  v.setI64(V.ullTotalAllocationBytes, sizes.totalBytes);
  v.setI64(V.ullAvailableAllocationBytes, sizes.availableBytes);
  v.setU32(V.ulBytesPerAllocationUnit, sizes.bytesPerAllocationUnit);
  v.setU32(V.ulBytesPerSector, sizes.bytesPerSector);
  v.setU32(V.ulSerial, sizes.serial);
  const p = V.fsProperties;
  const P = SHFLFSPROPERTIES.off;
  v.setU32(p + P.cbMaxComponent, 255);
  v.setU8(p + P.fRemote, 0);
  v.setU8(p + P.fCaseSensitive, props.caseSensitive ? 1 : 0);
  v.setU8(p + P.fReadOnly, props.readOnly ? 1 : 0);
  v.setU8(p + P.fSupportsUnicode, 1);
  v.setU8(p + P.fCompressed, 0);
  v.setU8(p + P.fFileCompression, 0);
}

/** SHFLCREATEPARMS in a 108-byte host buffer. */
export class CreateParms {
  private readonly v: ByteView;
  readonly buf: Uint8Array;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.v = new ByteView(buf);
  }
  get handle(): bigint {
    return this.v.u64(SHFLCREATEPARMS.off.Handle);
  }
  set handle(h: bigint) {
    this.v.setU64(SHFLCREATEPARMS.off.Handle, h);
  }
  get result(): number {
    return this.v.u32(SHFLCREATEPARMS.off.Result);
  }
  set result(r: number) {
    this.v.setU32(SHFLCREATEPARMS.off.Result, r);
  }
  get flags(): number {
    return this.v.u32(SHFLCREATEPARMS.off.CreateFlags);
  }
  set flags(f: number) {
    this.v.setU32(SHFLCREATEPARMS.off.CreateFlags, f);
  }
  /** The Info the guest sent (mode and size for a new file). */
  get infoIn(): ObjInfoIn {
    return readObjInfo(this.buf, SHFLCREATEPARMS.off.Info);
  }
  set info(info: FsObjInfo) {
    writeObjInfo(this.buf, SHFLCREATEPARMS.off.Info, info);
  }
}
