// A sentinel directory beside the share stays out of reach through the mount: symlinks in the share that
// point outside it (followed by the kernel, they resolve against the mount, not the host directory), `..`
// from the mount's root, and a directory the kernel still has cached that the host swapped for a symlink
// to the sentinel (the server then sends paths through it, and the host's confined walk refuses them).
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cannotRun, mountShare, run, tree, unmountShare, type Mounted } from './mounted.js';

const skip = cannotRun('cat', 'mv', 'mkdir', 'rm');

describe.skipIf(skip !== undefined)(`a sentinel beside the share${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let m: Mounted | undefined;
  let sentinel = '';
  let snapshot: ReturnType<typeof tree> = [];

  beforeAll(async () => {
    // A long TTL: the kernel keeps using what it looked up, while the host changes under it.
    m = await mountShare({}, { ttlMs: 60_000 });
    sentinel = join(m.base, 'sentinel');
    fs.mkdirSync(join(sentinel, 'inner'), { recursive: true });
    fs.writeFileSync(join(sentinel, 'secret.txt'), 'secret\n');
    fs.writeFileSync(join(sentinel, 'inner/deep.txt'), 'deep\n');
    snapshot = tree(sentinel);
    fs.mkdirSync(join(m.host, 'sub'));
    fs.symlinkSync('../sentinel', join(m.host, 'rel'));
    fs.symlinkSync('../../sentinel', join(m.host, 'sub/rel2'));
  });
  afterAll(async () => {
    if (m !== undefined) expect(tree(sentinel)).toEqual(snapshot);
    await unmountShare(m);
  });

  /** Each command must fail; the sentinel must not change. */
  function refused(commands: readonly string[]): void {
    for (const cmd of commands) {
      const r = run('sh', ['-c', cmd]);
      expect(r.status, `${cmd} succeeded: ${r.stdout}`).not.toBe(0);
    }
    expect(tree(sentinel)).toEqual(snapshot);
  }

  test('symlinks pointing outside the share lead nowhere through the mount', () => {
    const { mp } = m!;
    expect(fs.readlinkSync(join(mp, 'rel'))).toBe('../sentinel');
    refused([
      `cat ${mp}/rel/secret.txt`,
      `cat ${mp}/sub/rel2/secret.txt`,
      `echo pwned > ${mp}/rel/secret.txt`,
      `echo pwned > ${mp}/sub/rel2/new.txt`,
      `rm ${mp}/rel/secret.txt`,
      `mkdir ${mp}/rel/x`,
    ]);
  });

  test("`..` from the mount root is the mount point's parent, not the share's", () => {
    const { mp } = m!;
    refused([
      `cat ${mp}/../sentinel/secret.txt`,
      `ls ${mp}/../sentinel`,
      `echo pwned > ${mp}/../sentinel/secret.txt`,
    ]);
  });

  test('a cached directory the host swapped for a symlink to the sentinel: the host refuses every path through it', () => {
    const { mp, host } = m!;
    fs.mkdirSync(join(host, 'd'));
    fs.writeFileSync(join(host, 'd/secret.txt'), 'decoy\n');
    fs.mkdirSync(join(host, 'e'));
    // The kernel looks both up (nodes for d and e, cached for the TTL)...
    expect(run('ls', [join(mp, 'd'), join(mp, 'e')]).status).toBe(0);
    // ...then the host replaces them with symlinks out of the share, relative and absolute.
    fs.rmSync(join(host, 'd'), { recursive: true });
    fs.rmSync(join(host, 'e'), { recursive: true });
    fs.symlinkSync('../sentinel', join(host, 'd'));
    fs.symlinkSync(sentinel, join(host, 'e'));
    refused([
      `cat ${mp}/d/secret.txt`,
      `cat ${mp}/e/secret.txt`,
      `cat ${mp}/d/inner/deep.txt`,
      `echo pwned > ${mp}/d/secret.txt`,
      `echo pwned > ${mp}/e/new.txt`,
      `rm ${mp}/d/secret.txt`,
      `rm -r ${mp}/e/inner`,
      `mkdir ${mp}/d/x`,
      `mv ${mp}/d/secret.txt ${mp}/stolen.txt`,
      `mv ${mp}/sub ${mp}/e/sub`,
    ]);
    expect(fs.existsSync(join(host, 'stolen.txt'))).toBe(false);
    expect(fs.existsSync(join(host, 'sub'))).toBe(true);
  });
});
