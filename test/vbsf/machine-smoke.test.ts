// A first end-to-end run of the guest file API on a machine with one shared folder.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { tempShare, type TempShare } from './helpers/fake-host.js';

let m: Machine;
let t: TempShare;
beforeAll(async () => {
  t = tempShare();
  m = await Machine.start({ vcpus: 1, hostWorkers: 2, sharedFolders: [{ name: 'data', hostPath: t.share }] });
});
afterAll(async () => {
  await m?.stop();
  t.cleanup();
});

test('guest file API end to end', async () => {
  const r = await m.run({
    module: new URL('./programs/smoke.ts', import.meta.url),
    export: 'basics',
    args: { share: 'data' },
  });
  console.log(r, m.logs());
  expect(r).toMatchObject({ n: 10, back: 'hello host', size: 10n, names: ['a.txt', 'dir'] });
  expect(fs.readFileSync(path.join(t.share, 'a.txt'), 'utf8')).toBe('hello host');
});
