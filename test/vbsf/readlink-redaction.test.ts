// READLINK on a share configured to redact (beyond upstream, which hands the guest any link text, host
// paths included) against one that is not: host-planted links of every kind, on a real directory.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ShflFn as Fn, Status as S } from '../../src/abi/index.js';
import { runScript, startRig, str, type Rig } from './helpers/machine.js';

let rig: Rig;
const LINKS: Record<string, (share: string) => string> = {
  'd/abs-inside': (share) => path.join(share, 'a', 'f'),
  'abs-root': (share) => share,
  'd/abs-own-dir': (share) => path.join(share, 'd'),
  'abs-outside': () => '/etc/passwd',
  'abs-sibling': (share) => `${share}-other/f`,
  'rel-inside': () => 'a/f',
  'd/rel-up-inside': () => '../a/f',
  'rel-climbs-out': () => '../sentinel/secret.txt',
  'd/rel-climbs-out': () => '../../x',
};

beforeAll(async () => {
  rig = await startRig({ vcpus: 1, main: { readlink: 'redact' }, extra: { plain: {} } });
  for (const dir of [rig.t.share, rig.dirs.plain!]) {
    const real = fs.realpathSync(dir);
    fs.mkdirSync(path.join(dir, 'a'));
    fs.mkdirSync(path.join(dir, 'd'));
    fs.writeFileSync(path.join(dir, 'a', 'f'), 'f');
    for (const [name, target] of Object.entries(LINKS)) fs.symlinkSync(target(real), path.join(dir, name));
  }
});
afterAll(async () => {
  await rig?.stop();
});

async function readlinks(share: string): Promise<Record<string, string | number>> {
  const names = Object.keys(LINKS);
  const { results } = await runScript(rig, {
    clients: [{ share }],
    steps: names.map((n) => ({ fn: Fn.READLINK, args: [{ var: 'root' }, str(n), { zeros: 256 }] })),
  });
  return Object.fromEntries(
    names.map((n, i) => {
      const r = results[i]!;
      if (r.rc !== S.VINF_SUCCESS) return [n, r.rc];
      const b = Buffer.from(r.bufs[2]!);
      return [n, b.subarray(0, b.indexOf(0)).toString()];
    }),
  );
}

test('redact: inside the share as relative text, anything leading out refused; no host path shown', async () => {
  expect(await readlinks('share')).toEqual({
    'd/abs-inside': '../a/f',
    'abs-root': '.',
    'd/abs-own-dir': '.',
    'abs-outside': S.VERR_ACCESS_DENIED,
    'abs-sibling': S.VERR_ACCESS_DENIED,
    'rel-inside': 'a/f',
    'd/rel-up-inside': '../a/f',
    'rel-climbs-out': S.VERR_ACCESS_DENIED,
    'd/rel-climbs-out': S.VERR_ACCESS_DENIED,
  });
});

test('verbatim (the default, as upstream): the host text, host paths included', async () => {
  const plain = fs.realpathSync(rig.dirs.plain!);
  const got = await readlinks('plain');
  for (const [name, target] of Object.entries(LINKS)) expect(got[name]).toBe(target(plain));
});
