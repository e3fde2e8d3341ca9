// SHFLSTRING validation and conversion; models ShflStringIsValidIn / ShflStringIsValidOut /
// ShflStringIsValidOrNullIn (include/VBox/shflsvc.h) and the string copies of mappings.cpp.
//
// The HGCM buffer size is the only trusted length: u16Size and u16Length are checked against it before a
// single character is read, invalid encodings and embedded NULs are refused, and UTF-16 surrogates are
// checked by hand because Node's decoder would silently replace lone ones (vbsf-semantics.md 2.2, 4.5).
import { SHFLSTRING, SHFLSTRING_HEADER_SIZE, Status, type StatusCode } from '../abi/index.js';

const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const utf16 = new TextDecoder('utf-16le');
const encoder = new TextEncoder();

function u16(buf: Uint8Array, off: number): number {
  return buf[off]! | (buf[off + 1]! << 8);
}

/** u16Size and u16Length, if the buffer holds more than a header and u16Size fits in it. */
function header(buf: Uint8Array): { size: number; length: number } | undefined {
  if (buf.length <= SHFLSTRING_HEADER_SIZE) return undefined;
  const size = u16(buf, 0);
  if (SHFLSTRING_HEADER_SIZE + size > buf.length) return undefined;
  return { size, length: u16(buf, 2) };
}

/** ShflStringIsValidOut: a buffer the service may write a string into. */
export function shflStringValidOut(buf: Uint8Array): boolean {
  const h = header(buf);
  return h !== undefined && h.length < h.size;
}

/** UTF-8 bytes of a UTF-16 string of `units` code units at `off`, or undefined if it is not valid UTF-16. */
function utf16ToUtf8(buf: Uint8Array, off: number, units: number): Uint8Array | undefined {
  for (let i = 0; i < units; i++) {
    const c = u16(buf, off + 2 * i);
    if (c === 0) return undefined;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < units ? u16(buf, off + 2 * i + 2) : 0;
      if (next < 0xdc00 || next > 0xdfff) return undefined;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return undefined;
    }
  }
  return encoder.encode(utf16.decode(buf.subarray(off, off + 2 * units)));
}

/** The content as UTF-8 if it is valid UTF-8 with no NUL, else undefined. */
function validUtf8(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    utf8Strict.decode(bytes);
  } catch {
    return undefined;
  }
  return bytes.slice();
}

/**
 * ShflStringIsValidIn, returning the string as UTF-8 bytes (converted from UTF-16 for UTF-16 clients), or
 * undefined when the string is not valid (the caller answers VERR_INVALID_PARAMETER).
 */
export function shflStringIn(buf: Uint8Array, utf8: boolean): Uint8Array | undefined {
  const h = header(buf);
  if (h === undefined) return undefined;
  const length = h.length;
  const at = SHFLSTRING_HEADER_SIZE;
  if (utf8) {
    if (length >= h.size || buf[at + length] !== 0) return undefined;
    return validUtf8(buf.subarray(at, at + length));
  }
  if (length % 2 !== 0 || length + 2 > h.size || u16(buf, at + length) !== 0) return undefined;
  return utf16ToUtf8(buf, at, length / 2);
}

/** ShflStringIsValidOrNullIn: an empty HGCM buffer is "no string" (null). */
export function shflStringInOrNull(buf: Uint8Array, utf8: boolean): Uint8Array | null | undefined {
  return buf.length === 0 ? null : shflStringIn(buf, utf8);
}

/** Bytes `text` takes in a SHFLSTRING of this encoding, without the terminator. */
function shflStringBytes(text: string, utf8: boolean): Uint8Array {
  return utf8 ? encoder.encode(text) : utf16le(text);
}

/**
 * Write `text` into a validated-out SHFLSTRING buffer as UTF-8 or UTF-16 with its terminator, setting
 * u16Length. When u16Size is too small: VERR_BUFFER_OVERFLOW, the characters untouched and u16Length set to
 * the length needed (without the terminator), as ShflStringCopy / ShflStringCopyUtf16BufAsUtf8 leave it.
 */
export function shflStringWrite(buf: Uint8Array, text: string, utf8: boolean): StatusCode {
  const h = header(buf);
  if (h === undefined) return Status.VERR_INVALID_PARAMETER;
  const bytes = shflStringBytes(text, utf8);
  const term = utf8 ? 1 : 2;
  if (bytes.length > 0xffff) return Status.VERR_TOO_MUCH_DATA;
  setU16(buf, 2, bytes.length);
  if (bytes.length + term > h.size) return Status.VERR_BUFFER_OVERFLOW;
  buf.set(bytes, SHFLSTRING_HEADER_SIZE);
  buf.fill(0, SHFLSTRING_HEADER_SIZE + bytes.length, SHFLSTRING_HEADER_SIZE + bytes.length + term);
  return Status.VINF_SUCCESS;
}

/**
 * MAP_FOLDER's fix-up for old Windows additions, which counted a UTF-16 name's terminator into u16Length:
 * only for a buffer holding a whole SHFLSTRING (6 bytes) and a u16Length of at least 2, the length is made
 * two bytes shorter in the buffer itself and the string validated again; if it still fails the length is
 * put back. The shorter length stays in the buffer (a guest that passed it both ways sees it).
 */
export function shflStringInFixedUp(buf: Uint8Array): Uint8Array | undefined {
  if (buf.length < SHFLSTRING.size) return undefined;
  const length = u16(buf, 2);
  if (length < 2) return undefined;
  setU16(buf, 2, length - 2);
  const s = shflStringIn(buf, false);
  if (s === undefined) setU16(buf, 2, length);
  return s;
}

function setU16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v & 0xff;
  buf[off + 1] = v >> 8;
}

/** UTF-16LE bytes of a string (no terminator). */
export function utf16le(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[2 * i] = c & 0xff;
    out[2 * i + 1] = c >> 8;
  }
  return out;
}

/** The string in valid UTF-8 bytes, or undefined (host names that are not UTF-8 are skipped, not mangled). */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return undefined;
  }
}
