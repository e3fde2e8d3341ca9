// Guest path -> the share-relative components the walker resolves; models the lexical part of
// vbsfPathGuestToHost (vbsfpath.cpp): leading delimiters stripped, the client's delimiter is the separator,
// a host slash inside a component is refused, '.' and '..' are normalised against the share root and a
// path that climbs above it is VERR_INVALID_NAME. Unlike upstream no host path string is ever built: the
// components go to confine.ts, which looks them up one at a time below an open directory.
import { Status, SymlinkPolicy, type StatusCode, type SymlinkPolicyValue } from '../abi/index.js';

const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const STAR = 0x2a;
const QUESTION = 0x3f;

/** A normalised share-relative path: no empty, '.' or '..' components. */
export interface GuestPath {
  readonly comps: readonly Uint8Array[];
  /** The last component has '*' or '?' (only LIST's filter gives them meaning). */
  readonly wildcard: boolean;
  /**
   * The path ends with a delimiter after a name ("file/"). Upstream keeps it in the host path it builds, so
   * POSIX decides: the name must be a directory (following a final symlink). See WalkOptions.dirSlash.
   */
  readonly dirSlash: boolean;
}

function isDot(c: Uint8Array): boolean {
  return c.length === 1 && c[0] === DOT;
}
function isDotDot(c: Uint8Array): boolean {
  return c.length === 2 && c[0] === DOT && c[1] === DOT;
}

/** Split on `sep`, dropping empty parts. */
function split(bytes: Uint8Array, sep: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === sep) {
      if (i > start) out.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

/**
 * Parse a guest path (UTF-8 bytes, already validated: no NUL) for a client whose delimiter is `delimiter`
 * ('/' or '\\'; 0 before any MAP_FOLDER, treated as '/').
 */
export function parseGuestPath(path: Uint8Array, delimiter: number): GuestPath | StatusCode {
  const sep = delimiter === BACKSLASH ? BACKSLASH : SLASH;
  const out: Uint8Array[] = [];
  for (const c of split(path, sep)) {
    // With '\\' as the delimiter a '/' would be a host separator inside one guest name.
    if (sep === BACKSLASH && c.includes(SLASH)) return Status.VERR_INVALID_NAME;
    if (isDot(c)) continue;
    if (isDotDot(c)) {
      if (out.length === 0) return Status.VERR_INVALID_NAME;
      out.pop();
      continue;
    }
    out.push(c);
  }
  const last = out[out.length - 1];
  const wildcard = last !== undefined && (last.includes(STAR) || last.includes(QUESTION));
  const dirSlash = last !== undefined && path[path.length - 1] === sep;
  return { comps: out, wildcard, dirSlash };
}

/**
 * A symlink target as the host stores it: the client's delimiter becomes '/', nothing is stripped or
 * normalised (the text is opaque to the service, which never follows a link out of the share anyway).
 * With '\\' clients a '/' in the text is refused like in a path (VERR_INVALID_NAME).
 */
export function symlinkTarget(text: Uint8Array, delimiter: number): Uint8Array | StatusCode {
  if (text.length === 0) return Status.VERR_INVALID_NAME;
  if (delimiter !== BACKSLASH) return text;
  if (text.includes(SLASH)) return Status.VERR_INVALID_NAME;
  return text.map((b) => (b === BACKSLASH ? SLASH : b));
}

/**
 * vbsfPathEvalSymlinkPolicy: may a new symlink get this target (host form, after symlinkTarget)? A check on
 * the text, as upstream: no policy and "any target" allow anything; otherwise an absolute target is refused,
 * "forbidden" refuses all, and "in the share's subtree" refuses any target containing ".." (even inside a
 * name, as RTStrStr finds it). The caller answers a refusal with VERR_WRITE_PROTECT. Where a link leads is
 * not decided here: the service never follows one out of the share, whatever its text (confine.ts).
 */
export function symlinkPolicyAllows(target: Uint8Array, policy: SymlinkPolicyValue): boolean {
  if (policy === SymlinkPolicy.NONE || policy === SymlinkPolicy.ALLOWED_TO_ANY_TARGET) return true;
  if (target[0] === SLASH || policy === SymlinkPolicy.FORBIDDEN) return false;
  if (policy !== SymlinkPolicy.ALLOWED_IN_SHARE_SUBTREE) return true;
  for (let i = 0; i + 1 < target.length; i++) if (target[i] === DOT && target[i + 1] === DOT) return false;
  return true;
}

/**
 * READLINK with redaction (SharedFolderConfig.readlink 'redact', beyond upstream): the target text as the
 * guest may see it, or undefined when it would show the host outside the share. `linkDir` is the link's
 * directory as the guest named it, `hostRoot` the share's host directory. An absolute target inside the
 * share becomes the relative text that names the same place from the link; a relative one stays as it is
 * unless, taken from the link's directory, it climbs above the share's root.
 */
export function redactLinkTarget(
  target: Uint8Array,
  linkDir: readonly Uint8Array[],
  hostRoot: Uint8Array,
): Uint8Array | undefined {
  if (target[0] !== SLASH) {
    let depth = linkDir.length;
    for (const c of split(target, SLASH)) {
      if (isDotDot(c)) depth--;
      else if (!isDot(c)) depth++;
      if (depth < 0) return undefined;
    }
    return target;
  }
  const rootComps = split(hostRoot, SLASH);
  const comps = split(target, SLASH);
  if (comps.length < rootComps.length || comps.some((c) => isDot(c) || isDotDot(c))) return undefined;
  if (!rootComps.every((c, i) => Buffer.compare(c, comps[i]!) === 0)) return undefined;
  const inside = comps.slice(rootComps.length);
  let common = 0;
  while (
    common < linkDir.length &&
    common < inside.length &&
    Buffer.compare(linkDir[common]!, inside[common]!) === 0
  )
    common++;
  const up = Array.from({ length: linkDir.length - common }, () => Uint8Array.of(DOT, DOT));
  const rel = [...up, ...inside.slice(common)];
  return rel.length === 0 ? Uint8Array.of(DOT) : joinComps(rel);
}

/** Join components with '/' (for storing a LIST filter). */
export function joinComps(comps: readonly Uint8Array[]): Uint8Array {
  const total = comps.reduce((n, c) => n + c.length, 0) + Math.max(0, comps.length - 1);
  const out = new Uint8Array(total);
  let at = 0;
  for (const [i, c] of comps.entries()) {
    if (i > 0) out[at++] = SLASH;
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Inverse of joinComps. */
export function splitComps(bytes: Uint8Array): Uint8Array[] {
  return split(bytes, SLASH);
}

export { isDot, isDotDot };
