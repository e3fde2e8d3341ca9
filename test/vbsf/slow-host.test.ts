// The slow host (MachineConfig.hostDelay) and its delay changed while the machine runs
// (Machine.shares.setHostDelay): a READ held for as long as the test needs goes when the delay drops below
// the time it has waited, not before; bad figures and machines without a slow host are refused at the edge.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { ConfigError } from '../../src/runtime/index.js';
import { tempShare, type TempShare } from './helpers/fake-host.js';

const settle = async (ok: () => boolean, rounds = 20_000): Promise<boolean> => {
  for (let i = 0; i < rounds && !ok(); i++) await new Promise((r) => setTimeout(r, 1));
  return ok();
};

describe('a slow host', () => {
  let m: Machine;
  let t: TempShare;
  beforeAll(async () => {
    t = tempShare();
    fs.writeFileSync(path.join(t.share, 'a.txt'), 'held\n');
    m = await Machine.start({
      vcpus: 1,
      hostWorkers: 2,
      sharedFolders: [{ name: 'data', hostPath: t.share }],
      hostDelay: { ms: 600_000 },
    });
  });
  afterAll(async () => {
    await m?.stop();
    t.cleanup();
  });

  test('holds a READ until its delay drops below the time it has waited', async () => {
    const opened = new SharedArrayBuffer(4);
    const read = m.run<string>({
      module: new URL('./programs/smoke.ts', import.meta.url),
      export: 'readText',
      args: { share: 'data', path: '/a.txt', opened },
    });
    let ended = false;
    void read.finally(() => (ended = true));
    // The file is open, and the one command listed is the READ (the program's next call).
    const reading = (): boolean => Atomics.load(new Int32Array(opened), 0) === 1;
    expect(await settle(() => reading() && m.stats().host.pendingCommands === 1)).toBe(true);
    // A shorter delay, still longer than the READ has waited: held.
    await m.shares.setHostDelay(300_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(ended).toBe(false);
    expect(m.stats().host.pendingCommands).toBe(1);
    // 0: it goes at once, and reads the file.
    await m.shares.setHostDelay(0);
    expect(await settle(() => ended)).toBe(true);
    expect(await read).toBe('held\n');
    expect(m.stats().counters['host.completedCancelled']).toBe(0);
    // The delay stays 0 for later calls.
    const again = await m.run<string>({
      module: new URL('./programs/smoke.ts', import.meta.url),
      export: 'readText',
      args: { share: 'data', path: '/a.txt' },
    });
    expect(again).toBe('held\n');
  });

  test('refuses a delay that is not a whole number of ms up to 600,000', async () => {
    for (const ms of [-1, 1.5, Number.NaN, 600_001])
      await expect(m.shares.setHostDelay(ms)).rejects.toThrow(RangeError);
    await m.shares.setHostDelay(600_000);
    await m.shares.setHostDelay(0);
  });
});

test('a machine without a slow host refuses a delay with a ConfigError', async () => {
  const t = tempShare();
  const m = await Machine.start({
    vcpus: 1,
    hostWorkers: 1,
    sharedFolders: [{ name: 'data', hostPath: t.share }],
  });
  const bare = await Machine.start({ vcpus: 1, hostWorkers: 1 });
  try {
    await expect(m.shares.setHostDelay(10)).rejects.toThrow(/no slow host/);
    await expect(m.shares.setHostDelay(10)).rejects.toThrow(ConfigError);
    await expect(bare.shares.setHostDelay(10)).rejects.toThrow(/no Shared Folders service/);
  } finally {
    await Promise.all([m.stop(), bare.stop()]);
    t.cleanup();
  }
});
