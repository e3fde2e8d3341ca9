// Threads kept between machines (machine/spare-pools.ts): a machine that stops cleanly leaves its host pool
// to the next one started with as many host workers, whose services then run on the same threads, and its
// idle vCPU threads to the next machine's vCPUs; a pool whose threads still hold something of their
// machine (a service timer pending, a thread that died) is destroyed instead, as is a vCPU thread whose
// program outlived the stop; `reuseWorkers: false` neither takes nor leaves any.
import { afterEach, expect, test } from 'vitest';
import { Machine, type MachineConfig } from '../../src/machine/index.js';
import { sparePools, spareVcpus } from '../../src/machine/spare-pools.js';

const destroySparePools = (): Promise<void> => Machine.dropSpareWorkers();

const program = new URL('./programs/thread-probe.ts', import.meta.url);
const config: MachineConfig = {
  vcpus: 1,
  hostWorkers: 1,
  services: [{ name: 'probe', module: new URL('./services/thread-probe.ts', import.meta.url) }],
};

afterEach(async () => {
  await destroySparePools();
});

/** Start a machine, ask which thread serves the probe (then call function `then`), stop it. */
async function threadOf(then = 0, over: MachineConfig = {}): Promise<number> {
  const m = await Machine.start({ ...config, ...over });
  try {
    return await m.run<number>({ module: program, export: 'probe', args: { then } });
  } finally {
    await m.stop();
  }
}

test('a machine that stopped cleanly leaves its pool: the next one runs on the same thread', async () => {
  await destroySparePools();
  const first = await threadOf();
  expect(sparePools()).toBe(1);
  expect(await threadOf()).toBe(first);
  expect(await threadOf()).toBe(first);
  expect(sparePools()).toBe(1);
  // Another count of host workers does not take it.
  expect(await threadOf(0, { hostWorkers: 2 })).not.toBe(first);
  expect(sparePools()).toBe(2);
  await destroySparePools();
  expect(sparePools()).toBe(0);
  expect(await threadOf()).not.toBe(first);
});

test('a pool with a service timer still pending is not kept', async () => {
  await destroySparePools();
  const first = await threadOf(2);
  expect(sparePools()).toBe(0);
  expect(await threadOf()).not.toBe(first);
});

test('a pool whose thread died is not kept', async () => {
  await destroySparePools();
  const m = await Machine.start(config);
  try {
    await m.run<number>({ module: program, export: 'probe', args: { then: 3 } });
    expect(m.stats().counters['host.workerDeaths']).toBe(1);
  } finally {
    await m.stop();
  }
  expect(sparePools()).toBe(0);
});

test('reuseWorkers false neither takes a pool nor leaves one', async () => {
  await destroySparePools();
  const first = await threadOf();
  expect(sparePools()).toBe(1);
  const own = await threadOf(0, { reuseWorkers: false });
  expect(own).not.toBe(first);
  expect(sparePools()).toBe(1);
  expect(await threadOf()).toBe(first);
});

test('a machine takes the idle vCPU threads of one that stopped, but not one whose program outlived the stop', async () => {
  await destroySparePools();
  const a = await Machine.start(config);
  const first = await a.run<{ vcpu: number; pool: number }>({ module: program, export: 'threads' });
  await a.stop();
  expect(spareVcpus()).toBe(1);
  const b = await Machine.start(config);
  try {
    expect(spareVcpus()).toBe(0);
    expect(await b.run({ module: program, export: 'threads' })).toEqual(first);
    // A program still running when stop() gives up on it: its thread is terminated, not kept.
    const stuck = b.run({ module: program, export: 'spin' });
    await b.stop({ waitMs: 0 });
    await expect(stuck).rejects.toThrow(/machine stopped while a program ran/);
    expect(spareVcpus()).toBe(0);
  } finally {
    await b.stop();
  }
  const c = await Machine.start(config);
  try {
    expect((await c.run<{ vcpu: number }>({ module: program, export: 'threads' })).vcpu).not.toBe(first.vcpu);
  } finally {
    await c.stop();
  }
});
