// VirtualBox 7.1's symlink policies (SymlinkPolicy_T, checked on the target text by
// vbsfPathEvalSymlinkPolicy), one share each, on real directories; and the model's confinement under every
// policy: a link may name a place outside the share, the service never follows it there.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ShflCreate as CF, ShflFn as Fn, ShflResult as R, Status as S } from '../../src/abi/index.js';
import type { SymlinkPolicyName } from '../../src/vbsf/index.js';
import { outsideFingerprint, runScript, startRig, str, type Rig } from './helpers/machine.js';
import type { Step } from './programs/script.js';

const POLICIES: readonly (SymlinkPolicyName | 'unset')[] = [
  'unset',
  'forbidden',
  'subtree',
  'relative',
  'any',
];
let rig: Rig;
let before = '';

beforeAll(async () => {
  const extra = Object.fromEntries(
    POLICIES.map((p) => [p, { createSymlinks: true, ...(p === 'unset' ? {} : { symlinkPolicy: p }) }]),
  );
  rig = await startRig({ vcpus: 1, extra });
  for (const p of POLICIES) fs.mkdirSync(path.join(rig.dirs[p]!, 'a'));
  before = outsideFingerprint(rig);
});
afterAll(async () => {
  expect(outsideFingerprint(rig)).toBe(before);
  await rig?.stop();
});

const root = { var: 'root' } as const;
const TARGETS = ['a/b', 'a..b', '../x', '../../../sentinel/secret.txt', '/etc/passwd'] as const;
const symlink = (name: string, target: string): Step => ({
  fn: Fn.SYMLINK,
  args: [root, str(name), str(target), { zeros: 92 }],
});

test.each(POLICIES)('policy %s: which targets a new symlink may have', async (policy) => {
  const { results } = await runScript(rig, {
    clients: [{ share: policy }],
    steps: TARGETS.map((t, i) => symlink(`l${i}`, t)),
  });
  const allowed = {
    unset: [true, true, true, true, true],
    any: [true, true, true, true, true],
    forbidden: [false, false, false, false, false],
    subtree: [true, false, false, false, false],
    relative: [true, true, true, true, false],
  }[policy];
  expect(results.map((r) => r.rc)).toEqual(allowed.map((ok) => (ok ? S.VINF_SUCCESS : S.VERR_WRITE_PROTECT)));
  TARGETS.forEach((t, i) => {
    const link = path.join(rig.dirs[policy]!, `l${i}`);
    if (allowed[i]) expect(fs.readlinkSync(link)).toBe(t);
    else expect(fs.lstatSync(link, { throwIfNoEntry: false })).toBeUndefined();
  });
});

test('whatever the policy lets a guest create, following it never leaves the share', async () => {
  for (const policy of ['any', 'relative'] as const) {
    const open = (p: string): Step => ({
      fn: Fn.CREATE,
      args: [
        root,
        str(p),
        { create: { flags: CF.ACT_OPEN_IF_EXISTS | CF.ACT_FAIL_IF_NEW | CF.ACCESS_READ } },
      ],
    });
    const { results: r } = await runScript(rig, {
      clients: [{ share: policy }],
      steps: [
        symlink('out', policy === 'any' ? '/etc/passwd' : '../../sentinel/secret.txt'),
        open('out'),
        { fn: Fn.CREATE, args: [root, str('out'), { create: { flags: CF.LOOKUP } }] },
        // Through the link as a directory, to a name beside the secret.
        symlink('up', '..'),
        open('up/sentinel/secret.txt'),
      ],
    });
    expect(r.map((x) => x.rc)).toEqual([
      S.VINF_SUCCESS,
      S.VERR_INVALID_NAME,
      S.VERR_INVALID_NAME,
      S.VINF_SUCCESS,
      S.VERR_INVALID_NAME,
    ]);
    expect(r[1]!.create?.result).toBe(R.NO_RESULT);
  }
});
