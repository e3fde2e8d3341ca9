// The file-history oracle (I12): :ok writes take effect with their count, :fail writes never, :info
// writes at most once; later :ok writes hide earlier ones only when they come after them in real time.
import { describe, expect, test, vi } from 'vitest';
import { WORK_BOUNDED } from './harness.js';
import { checkFileHistory, explainFile, stamped, type FileOp } from '../../src/programs/file-history.js';
import { payloadByte } from '../../stress/workload.js';

vi.setConfig({ testTimeout: WORK_BOUNDED });

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

  test('an :info write that may land late (landsBy) can come back over a later completed one', () => {
    const a = op({ tag: 1, status: 'info', start: 0, end: 1, landsBy: Infinity });
    const b = op({ tag: 2, status: 'ok', start: 2, end: 3 });
    expect(checkFileHistory([a, b], file(16, [{ op: b }, { op: a }]), payloadByte)).toBeUndefined();
    // ...but a completed write never comes back over a later completed one.
    const c = op({ tag: 1, status: 'ok', start: 0, end: 1 });
    expect(checkFileHistory([c, b], file(16, [{ op: b }, { op: c }]), payloadByte)).toMatch(/byte 0/);
  });

  test('a byte no write explains is a violation, wherever it is', () => {
    const a = op({ tag: 1, status: 'ok', offset: 2 });
    const b = op({ tag: 2, status: 'info', offset: 6, start: 2, end: 3 });
    const good = file(16, [{ op: a }, { op: b }]);
    expect(checkFileHistory([a, b], good, payloadByte)).toBeUndefined();
    for (const p of [0, 3, 7, 12]) {
      const bad = good.slice();
      bad[p] = bad[p]! ^ 0x5a;
      expect(checkFileHistory([a, b], bad, payloadByte)).toMatch(new RegExp(`^byte ${p} `));
    }
  });

  test('initial content stays where no completed write covers it; past it, zero', () => {
    const initial = Uint8Array.from({ length: 8 }, (_, i) => 0xa0 + i);
    const a = op({ tag: 1, status: 'ok', offset: 4, len: 8 });
    const f = new Uint8Array(12);
    f.set(initial);
    for (let i = 0; i < 8; i++) f[4 + i] = payloadByte(1, i);
    expect(checkFileHistory([a], f, payloadByte, { initial, whole: true })).toBeUndefined();
    const zeroed = f.slice();
    zeroed[1] = 0;
    expect(checkFileHistory([a], zeroed, payloadByte, { initial })).toMatch(
      /byte 1 is 0 but no write covers it/,
    );
    const junk = f.slice();
    junk[11] = 9;
    expect(checkFileHistory([a], junk, payloadByte, { initial })).toMatch(/byte 11 is 9/);
  });

  test('a whole file is as long as the completed writes reach, at most as far as any write reaches', () => {
    const a = op({ tag: 1, status: 'ok', offset: 0, len: 8 });
    const b = op({ tag: 2, status: 'info', offset: 8, len: 8, start: 2, end: 3 });
    const whole = { whole: true };
    expect(checkFileHistory([a, b], file(8, [{ op: a }]), payloadByte, whole)).toBeUndefined();
    expect(checkFileHistory([a, b], file(16, [{ op: a }, { op: b }]), payloadByte, whole)).toBeUndefined();
    expect(checkFileHistory([a, b], file(4, [{ op: a, n: 4 }]), payloadByte, whole)).toMatch(
      /completed writes reach 8/,
    );
    expect(checkFileHistory([a, b], new Uint8Array(17), payloadByte, whole)).toMatch(
      /no write reaches past 16/,
    );
  });

  test('explainFile: one writer in program order, a cancelled write may land after later ones', () => {
    const w = (
      id: number,
      outcome: 'completed' | 'cancelled' | 'leaked' | 'failed',
      offset = 0,
      length = 8,
    ) => ({
      id,
      offset,
      length,
      outcome,
      count: outcome === 'completed' ? length : 0,
    });
    const f = new Uint8Array(8);
    f.set(stamped(1, 8));
    f.set(stamped(0, 8).subarray(0, 4));
    // Write 0 was cancelled, write 1 completed: 0 may still have landed after 1 (bytes 0-3 of a torn view).
    expect(explainFile(f, [w(0, 'cancelled'), w(1, 'completed')])).toBeUndefined();
    // A completed write cannot: write 0 completed before write 1 was issued.
    expect(explainFile(f, [w(0, 'completed'), w(1, 'completed')])).toMatch(/^byte 0 /);
    // A failed write never lands; a part of the file is checked at its own offset without its size.
    expect(explainFile(stamped(1, 8), [w(1, 'failed')], 0, false)).toMatch(/no write covers it/);
    expect(explainFile(stamped(1, 8), [w(1, 'failed')])).toMatch(/no write reaches past 0/);
    expect(explainFile(stamped(1, 8).subarray(2, 6), [w(1, 'completed')], 2, false)).toBeUndefined();
    expect(explainFile(stamped(1, 8).subarray(2, 6), [w(1, 'completed')], 3, false)).toMatch(/^byte 3 /);
  });
});
