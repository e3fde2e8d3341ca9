// The one flat table from SHFL function number to handler, and the parameter checks every call gets first;
// models the switch of svcCall (VBoxSharedFoldersSvc.cpp). To add a function: a row in abi/shfl.ts, a
// handler in fn/<name>.ts (copy fn/close.ts), and one line here. Runs on a host worker thread.
import {
  SHFL_FUNCTIONS,
  ShflFn,
  Status,
  shflFunction,
  type ShflFunction,
  type StatusCode,
} from '../abi/index.js';
import type { SvcCall, SvcParm } from '../hgcm/service-api.js';
import type { VbsfEnv } from './env.js';
import { Parms, type ShflHandler } from './handler.js';
import cancelMappingsChangesWaits from './fn/cancel-mappings-changes-waits.js';
import close from './fn/close.js';
import closeAndRemove from './fn/close-and-remove.js';
import copyFile from './fn/copy-file.js';
import copyFilePart from './fn/copy-file-part.js';
import create from './fn/create.js';
import flush from './fn/flush.js';
import information from './fn/information.js';
import list from './fn/list.js';
import lock from './fn/lock.js';
import mapFolder from './fn/map-folder.js';
import mapFolderOld from './fn/map-folder-old.js';
import queryFeatures from './fn/query-features.js';
import queryMapInfo from './fn/query-map-info.js';
import queryMapName from './fn/query-map-name.js';
import queryMappings from './fn/query-mappings.js';
import read from './fn/read.js';
import readlink from './fn/readlink.js';
import remove from './fn/remove.js';
import rename from './fn/rename.js';
import setErrorStyle from './fn/set-error-style.js';
import setFileSize from './fn/set-file-size.js';
import setSymlinks from './fn/set-symlinks.js';
import setUtf8 from './fn/set-utf8.js';
import symlink from './fn/symlink.js';
import unmapFolder from './fn/unmap-folder.js';
import waitForMappingsChanges from './fn/wait-for-mappings-changes.js';
import write from './fn/write.js';
import type { SpanName } from '../runtime/index.js';

// SAFETY: each handler is typed with its own argument type; the table only routes by number.
type AnyHandler = ShflHandler<object>;
const h = <A extends object>(x: ShflHandler<A>): AnyHandler => x as unknown as AnyHandler;

/** SHFL function number -> handler, one line each. */
export const HANDLERS: Readonly<Record<number, AnyHandler>> = Object.freeze({
  [ShflFn.QUERY_MAPPINGS]: h(queryMappings),
  [ShflFn.QUERY_MAP_NAME]: h(queryMapName),
  [ShflFn.CREATE]: h(create),
  [ShflFn.CLOSE]: h(close),
  [ShflFn.READ]: h(read),
  [ShflFn.WRITE]: h(write),
  [ShflFn.LOCK]: h(lock),
  [ShflFn.LIST]: h(list),
  [ShflFn.INFORMATION]: h(information),
  [ShflFn.REMOVE]: h(remove),
  [ShflFn.MAP_FOLDER_OLD]: h(mapFolderOld),
  [ShflFn.UNMAP_FOLDER]: h(unmapFolder),
  [ShflFn.RENAME]: h(rename),
  [ShflFn.FLUSH]: h(flush),
  [ShflFn.SET_UTF8]: h(setUtf8),
  [ShflFn.MAP_FOLDER]: h(mapFolder),
  [ShflFn.READLINK]: h(readlink),
  [ShflFn.SYMLINK]: h(symlink),
  [ShflFn.SET_SYMLINKS]: h(setSymlinks),
  [ShflFn.QUERY_MAP_INFO]: h(queryMapInfo),
  [ShflFn.WAIT_FOR_MAPPINGS_CHANGES]: h(waitForMappingsChanges),
  [ShflFn.CANCEL_MAPPINGS_CHANGES_WAITS]: h(cancelMappingsChangesWaits),
  [ShflFn.SET_FILE_SIZE]: h(setFileSize),
  [ShflFn.QUERY_FEATURES]: h(queryFeatures),
  [ShflFn.COPY_FILE]: h(copyFile),
  [ShflFn.COPY_FILE_PART]: h(copyFilePart),
  [ShflFn.CLOSE_AND_REMOVE]: h(closeAndRemove),
  [ShflFn.SET_ERROR_STYLE]: h(setErrorStyle),
});

if (Object.keys(HANDLERS).length !== SHFL_FUNCTIONS.length)
  throw new Error('vbsf: a SHFL function has no handler');

const SVC_TYPE = { u32: [1], u64: [2], ptr: [3], ptrOrPages: [3, 4] } as const;

/**
 * The table's parameter check: the count, then each type, with the status style of the function
 * (VERR_INVALID_PARAMETER for the first protocol's functions, VERR_WRONG_PARAMETER_COUNT/_TYPE later).
 */
export function checkParms(spec: ShflFunction, parms: readonly SvcParm[]): StatusCode {
  if (spec.check === 'unchecked') return Status.VINF_SUCCESS;
  const old = spec.check === 'invalid-parameter';
  if (parms.length !== spec.parms.length)
    return old ? Status.VERR_INVALID_PARAMETER : Status.VERR_WRONG_PARAMETER_COUNT;
  for (let i = 0; i < spec.parms.length; i++) {
    const allowed: readonly number[] = SVC_TYPE[spec.parms[i]!.type];
    // SAFETY: the count matched the table just above.
    if (!allowed.includes(parms[i]!.type))
      return old ? Status.VERR_INVALID_PARAMETER : Status.VERR_WRONG_PARAMETER_TYPE;
  }
  return Status.VINF_SUCCESS;
}

/** svcCall: route a guest call; unknown numbers are VERR_NOT_IMPLEMENTED. */
export function dispatch(env: VbsfEnv, call: SvcCall): StatusCode {
  const spec = shflFunction(call.fn);
  const handler = HANDLERS[call.fn];
  if (spec === undefined || handler === undefined) return Status.VERR_NOT_IMPLEMENTED;
  const rc = checkParms(spec, call.parms);
  if (rc !== Status.VINF_SUCCESS) return rc;
  const args = handler.decode(new Parms(call.parms), env);
  if (typeof args === 'number') return args;
  const span = SPAN_OF[call.fn];
  if (span === undefined) return handler.handle(args, env, call);
  const t = env.ctx.trace;
  t.begin(span, call.fn);
  const result = handler.handle(args, env, call);
  t.end(span, call.fn, result);
  return result;
}

/** The vbsf* function each traced SHFL function runs, for tracing. */
const SPAN_OF: Readonly<Record<number, SpanName>> = {
  [ShflFn.CREATE]: 'vbsfCreate',
  [ShflFn.READ]: 'vbsfRead',
  [ShflFn.WRITE]: 'vbsfWrite',
  [ShflFn.CLOSE]: 'vbsfClose',
  [ShflFn.LIST]: 'vbsfDirList',
};
