// The file-history oracle (I12): :ok writes take effect with their count, :fail writes never, :info
// writes at most once; later :ok writes hide earlier ones only when they come after them in real time.
import { describe, expect, test } from 'vitest';
import { checkFileHistory, type FileOp } from '../../stress/oracle/file-history.js';
import { payloadByte } from '../../stress/workload.js';

const op = (o: Partial<FileOp> & Pick<FileOp, 'tag' | 'status'>): FileOp => ({
  offset: 0,
  len: 8,
  written: o.status === 'ok' ? (o.len ?? 8) : 0,
  start: 0,
  end: 1,
  ...o,
});

/** The file after applying `ops` (their first `n` bytes each, in order). */
function file(size: number, apply: { op: FileOp; n?: number }[]): Uint8Array {
  const f = new Uint8Array(size);
  for (const { op: o, n } of apply)
    for (let i = 0; i < (n ?? o.len); i++) f[o.offset + i] = payloadByte(o.tag, i);
  return f;
}

describe('file history (I12)', () => {
  test('completed writes, in order, explain the file', () => {
    const a = op({ tag: 1, status: 'ok', start: 0, end: 1 });
    const b = op({ tag: 2, status: 'ok', offset: 4, start: 2, end: 3 });
    expect(checkFileHistory([a, b], file(16, [{ op: a }, { op: b }]), payloadByte)).toBeUndefined();
  });

  test('a completed write that left no trace is a violation', () => {
    const a = op({ tag: 1, status: 'ok' });
    expect(checkFileHistory([a], new Uint8Array(16), payloadByte)).toMatch(/byte 0 is 0/);
  });

  test('an indeterminate (cancelled, leaked) write may or may not be there', () => {
    const a = op({ tag: 1, status: 'info' });
    expect(checkFileHistory([a], new Uint8Array(16), payloadByte)).toBeUndefined();
    expect(checkFileHistory([a], file(16, [{ op: a }]), payloadByte)).toBeUndefined();
  });

  test('a write that never reached the host must not be there', () => {
    const a = op({ tag: 1, status: 'fail' });
    expect(checkFileHistory([a], file(16, [{ op: a }]), payloadByte)).toMatch(/no write covers it/);
  });

  test('an earlier write cannot come back over a later completed one; overlapping in time, either may win', () => {
    const a = op({ tag: 1, status: 'info', start: 0, end: 1 });
    const b = op({ tag: 2, status: 'ok', start: 2, end: 3 });
    expect(checkFileHistory([a, b], file(16, [{ op: b }, { op: a }]), payloadByte)).toMatch(/byte 0/);
    const c = op({ tag: 2, status: 'ok', start: 0.5, end: 3 });
    expect(checkFileHistory([a, c], file(16, [{ op: c }, { op: a }]), payloadByte)).toBeUndefined();
  });

  test('a completed write counts exactly the bytes the host reported', () => {
    const a = op({ tag: 1, status: 'ok', len: 8, written: 4 });
    expect(checkFileHistory([a], file(16, [{ op: a, n: 4 }]), payloadByte)).toBeUndefined();
    expect(checkFileHistory([a], file(16, [{ op: a, n: 8 }]), payloadByte)).toMatch(/byte 4/);
  });
});
