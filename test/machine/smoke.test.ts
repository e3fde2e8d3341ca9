import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Machine } from '../../src/machine/machine.js';

describe('machine smoke', () => {
  let m: Machine;
  beforeAll(async () => {
    m = await Machine.start({ vcpus: 1, hostWorkers: 1 });
  });
  afterAll(async () => {
    await m?.stop();
  });
  test('echo once', async () => {
    const r = await m.run({
      module: new URL('./programs/basic.ts', import.meta.url),
      export: 'echoOnce',
      args: { size: 1024 },
    });
    console.log(r, m.logs());
    expect(r).toMatchObject({ rc: 0, result: 0, same: true });
  });
});
