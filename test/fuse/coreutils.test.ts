// Coreutils on a fresh mount (cp -a, mv, ln -s, chmod, truncate, touch -d, rm -rf): the host directory
// holds exactly what the programs see through the mount, and removing a large tree leaves no node of the
// front and no handle of the host behind.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cannotRun, mountShare, settle, sh, tree, unmountShare, type Mounted } from './mounted.js';

const skip = cannotRun('cp', 'mv', 'ln', 'chmod', 'truncate', 'touch', 'rm', 'stat');

describe.skipIf(skip !== undefined)(
  `coreutils on a mounted share${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let m: Mounted | undefined;
    beforeAll(async () => {
      // TTL 0 (Linux vboxsf's default): every stat asks the host, so the two views can be compared exactly.
      m = await mountShare({}, { ttlMs: 0 });
    });
    afterAll(async () => {
      await unmountShare(m);
    });

    test('cp -a, mv, ln -s, chmod, truncate, touch -d: the host holds what the programs see', () => {
      const { mp, host } = m!;
      // A source tree made outside the mount, with modes, times and a symlink to copy.
      const src = join(m!.base, 'src');
      fs.mkdirSync(join(src, 'sub/deeper'), { recursive: true });
      for (let i = 0; i < 40; i++) fs.writeFileSync(join(src, `sub/f${i}.txt`), `file ${i}\n`.repeat(i * 37));
      fs.writeFileSync(join(src, 'sub/deeper/big.bin'), Buffer.alloc(3 << 20, 7));
      fs.chmodSync(join(src, 'sub/f3.txt'), 0o600);
      fs.symlinkSync('f1.txt', join(src, 'sub/link'));
      fs.utimesSync(
        join(src, 'sub/f5.txt'),
        new Date('2003-04-05T06:07:08Z'),
        new Date('2003-04-05T06:07:08Z'),
      );
      sh(`cp -a ${src}/sub ${mp}/copy`);
      expect(tree(join(host, 'copy'))).toEqual(tree(join(src, 'sub')));
      sh(
        [
          `mv ${mp}/copy/f1.txt ${mp}/copy/deeper/moved.txt`,
          `mv ${mp}/copy/deeper ${mp}/renamed`,
          `ln -s ../renamed/moved.txt ${mp}/copy/rel-link`,
          `chmod 751 ${mp}/copy/f2.txt`,
          `chmod 700 ${mp}/renamed`,
          `truncate -s 5 ${mp}/copy/f7.txt`,
          `truncate -s 1M ${mp}/copy/f8.txt`,
          `touch -d '1999-12-31 23:59:58' ${mp}/copy/f9.txt`,
          `echo appended >> ${mp}/copy/f10.txt`,
          `cat ${mp}/copy/rel-link > ${mp}/through-link.txt`,
        ].join('\n'),
      );
      expect(tree(mp)).toEqual(tree(host));
      expect(fs.readFileSync(join(host, 'renamed/moved.txt'), 'utf8')).toBe('file 1\n'.repeat(37));
      expect(fs.readlinkSync(join(host, 'copy/rel-link'))).toBe('../renamed/moved.txt');
      expect(fs.statSync(join(host, 'copy/f2.txt')).mode & 0o777).toBe(0o751);
      expect(fs.statSync(join(host, 'copy/f7.txt')).size).toBe(5);
      expect(fs.statSync(join(host, 'copy/f8.txt')).size).toBe(1 << 20);
      expect(fs.statSync(join(host, 'copy/f9.txt')).mtime.toISOString()).toBe('1999-12-31T23:59:58.000Z');
      expect(fs.readFileSync(join(host, 'copy/f10.txt'), 'utf8').endsWith('appended\n')).toBe(true);
      // The other way round: what the host changes, the mount shows (TTL 0).
      fs.writeFileSync(join(host, 'from-host.txt'), 'host side\n');
      fs.rmSync(join(host, 'through-link.txt'));
      expect(tree(mp)).toEqual(tree(host));
    });

    test('errors as vboxsf reports them', () => {
      const { mp } = m!;
      const fails = (script: string, pattern: RegExp): void => {
        const r = sh(
          `if ${script} 2>/tmp/hgcm-fuse-err-$$; then echo OK; else cat /tmp/hgcm-fuse-err-$$; fi; rm -f /tmp/hgcm-fuse-err-$$`,
        );
        expect(r).toMatch(pattern);
      };
      fails(`cat ${mp}/no-such-file`, /No such file/);
      fails(`mkdir ${mp}/renamed`, /File exists/);
      fails(`rmdir ${mp}/copy`, /not empty/);
      fails(`ln ${mp}/copy/f2.txt ${mp}/hardlink`, /Operation not permitted/);
      fails(`mknod ${mp}/fifo p`, /Operation not permitted/);
    });

    test('rm -rf of a large tree leaves no node and no host handle behind', async () => {
      const { mp, host, mount } = m!;
      // What the kernel holds now (it may keep inodes of earlier tests cached): the tree must come and go.
      expect(await settle(() => mount.stats().openFiles === 0)).toBe(true);
      const before = mount.stats().nodes;
      sh(
        `mkdir ${mp}/many && cd ${mp}/many && for d in $(seq 1 12); do mkdir d$d; for f in $(seq 1 50); do echo $d-$f > d$d/f$f; done; done`,
      );
      expect(fs.readdirSync(join(host, 'many'))).toHaveLength(12);
      expect(sh(`find ${mp}/many -type f | wc -l`).trim()).toBe('600');
      expect(mount.stats().nodes).toBeGreaterThan(before + 600);
      sh(`rm -rf ${mp}/many`);
      expect(fs.existsSync(join(host, 'many'))).toBe(false);
      // Every unlinked inode is evicted and forgotten; every file and listing closed.
      expect(await settle(() => mount.stats().nodes === before && mount.stats().openFiles === 0)).toBe(true);
      const s = mount.stats();
      expect(s.host.openHandles).toBe(0);
      expect(s.front.forgets).toBeGreaterThanOrEqual(613);
      expect(s.front.tableFull).toBe(0);
      sh(`rm -rf ${mp}/copy ${mp}/renamed ${mp}/from-host.txt`);
      expect(fs.readdirSync(host)).toEqual([]);
    });
  },
);
