// Tracing on real threads: the path of a Shared Folders write and of a cancelled call as call trees, a
// Chrome trace file that follows the trace event format with properly nested spans per thread, sampling,
// and nothing recorded when tracing is off.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import type { CallNode } from '../../src/trace/tree.js';
import { validateChrome } from './validate.js';

const program = new URL('../../src/programs/trace-ops.ts', import.meta.url);

function labels(n: CallNode): string[] {
  return [n.label, ...n.children.flatMap(labels)];
}

describe('tracing', () => {
  let share: string;
  let m: Machine;
  beforeAll(async () => {
    share = mkdtempSync(join(tmpdir(), 'hgcm-trace-test-'));
    m = await Machine.start({
      vcpus: 1,
      hostWorkers: 1,
      sharedFolders: [{ name: 'share', hostPath: share, writable: true }],
      // In the pool, so one call's tree spans two threads (on the EMT, the default, all of it is vcpu0's).
      servicePlacement: 'pool',
      trace: { capacity: 1 << 14 },
    });
  });
  afterAll(async () => {
    await m?.stop();
    rmSync(share, { recursive: true, force: true });
  });

  test('off by default: nothing is recorded', async () => {
    await m.run({ module: program, export: 'echo', args: { bytes: 64 } });
    expect(m.trace.records()).toEqual([]);
  });

  test('a fast call (the no-bounce page-list write) is a traced call of its own', async () => {
    m.trace.clear();
    m.trace.set(true, 1);
    const fast = new URL('./programs/fast.ts', import.meta.url);
    expect(await m.run({ module: fast, export: 'fastWrite', args: { share: 'share', bytes: 4096 } })).toBe(
      4096,
    );
    m.trace.set(false);
    const call = m.trace.calls().find((c) => c.label === 'VbglR0HGCMFastCall (fn 6)');
    expect(call).toBeDefined();
    const path = labels(call!);
    for (const step of ['VbglR0GRPerform', 'svcCall SHFL_FN_WRITE', 'RTFileWrite (4096 bytes)', 'DONE'])
      expect(
        path.some((l) => l.startsWith(step)),
        step,
      ).toBe(true);
    // No ioctl layer on this path.
    expect(path.some((l) => l.startsWith('VBoxGuestCommonIOCtl_HGCMCall'))).toBe(false);
  });

  test('a Shared Folders write: the whole path, guest to IPRT and back, as one tree', async () => {
    m.trace.clear();
    m.trace.set(true, 1);
    await m.run({ module: program, export: 'write', args: { share: 'share', bytes: 4096 } });
    m.trace.set(false);
    const write = m.trace.calls().find((c) => c.label === 'vboxCallWrite');
    expect(write).toBeDefined();
    const path = labels(write!);
    const order = [
      'vboxCallWrite',
      'VbglR0HGCMCall (fn 6)',
      'VBoxGuestCommonIOCtl_HGCMCall',
      'VbglR0HGCMInternalCall',
      'vbglR0HGCMInternalDoCall',
      'vmmdevReqHandler_HGCMCall64',
      'svcCall SHFL_FN_WRITE',
      'vbsfWrite',
      'RTFileWrite (4096 bytes)',
      'hgcmCompletedWorker',
      'DONE',
    ];
    for (const step of order) expect(path, step).toContain(step);
    // Depth-first order follows the call: the service's work comes after the device accepted the request.
    const at = (label: string): number => path.indexOf(label);
    expect(at('vmmdevReqHandler_HGCMCall64')).toBeLessThan(at('svcCall SHFL_FN_WRITE'));
    expect(at('svcCall SHFL_FN_WRITE')).toBeLessThan(at('RTFileWrite (4096 bytes)'));
    expect(path.some((l) => l.startsWith('VbglR0GRPerform (outl 0x'))).toBe(true);
    // Threads and layers are named.
    const threads = new Set<string>();
    const walk = (n: CallNode): void => {
      threads.add(`${n.thread}/${n.layer}`);
      n.children.forEach(walk);
    };
    walk(write!);
    expect([...threads]).toEqual(
      expect.arrayContaining([
        'vcpu0/vboxsf',
        'vcpu0/guest',
        'vcpu0/vmmdev', // the request handler runs on the vCPU that wrote the port (device 'emt')
        'host0/hgcm',
        'host0/vbsf',
        'host0/iprt',
      ]),
    );
  });

  test('the Chrome trace of the same run is valid, with nested spans per thread', () => {
    const t = m.trace.chrome({ points: true });
    const deepest = validateChrome(t);
    expect(deepest).toBeGreaterThanOrEqual(5);
    const names = new Set(t.traceEvents.filter((e) => e.ph === 'M').map((e) => String(e.args?.name)));
    expect(names).toEqual(new Set(['hgcm-runtime', 'vcpu0', 'host0']));
    // Points (the step log) come along as instants in their own category.
    expect(t.traceEvents.some((e) => e.cat === 'point' && e.name === 'guest.portWrite')).toBe(true);
    JSON.parse(JSON.stringify(t));
  });

  test('a call that times out: the cancel path is in its tree', async () => {
    m.trace.clear();
    m.trace.set(true, 1);
    const r = await m.run<{ outcome: string }>({
      module: program,
      export: 'cancel',
      args: { delayMs: 300, timeoutMs: 20 },
    });
    m.trace.set(false);
    expect(r.outcome).toBe('cancelled');
    const call = m.trace.calls().find((c) => labels(c).includes('vbglR0HGCMInternalCancel'));
    expect(call).toBeDefined();
    const path = labels(call!);
    expect(path).toContain('HGCMCancel2');
    expect(path).toContain('vmmdevReqHandler_HGCMCancel2');
    validateChrome(m.trace.chrome());
  });

  test('sampling: 1 call in 4 is traced', async () => {
    m.trace.clear();
    m.trace.set(true, 4);
    for (let i = 0; i < 4; i++) await m.run({ module: program, export: 'echo', args: { bytes: 64 } });
    m.trace.set(false);
    // Each program makes 3 calls (connect, call, disconnect): 12 calls, every 4th traced.
    expect(m.trace.calls()).toHaveLength(3);
  });
});
