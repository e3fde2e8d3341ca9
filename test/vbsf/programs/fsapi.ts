// Guest programs for the guest file API (g.sf): errno results of failing calls, and round trips.
import { errnoOf } from '../../../src/runtime/iprt/index.js';
import type { GuestContext } from '../../../src/guest/context.js';
import { O, type SfMount } from '../../../src/vboxsf/mount.js';
import type { SfIoMode } from '../../../src/vboxsf/io.js';

/** 'ok' or the errno name a call failed with. */
function attempt(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    const errno = (e as { errno?: unknown }).errno;
    return typeof errno === 'string' ? errno : `threw ${errnoOf(e) || String(e)}`;
  }
}

export function errnos(g: GuestContext): Record<string, string> {
  const fs = g.sf.mount('share');
  const ro = g.sf.mount('ro');
  const nolinks = g.sf.mount('nolinks');
  const w = (p: string, text: string): void => {
    const fd = fs.open(p, O.WRONLY | O.CREAT | O.TRUNC);
    fs.write(fd, new TextEncoder().encode(text));
    fs.close(fd);
  };
  w('/e.txt', 'hello');
  fs.mkdir('/full');
  w('/full/x', 'x');
  const r: Record<string, string> = {
    openMissing: attempt(() => fs.open('/missing')),
    openExcl: attempt(() => fs.open('/e.txt', O.CREAT | O.EXCL | O.RDWR)),
    openInMissingDir: attempt(() => fs.open('/nodir/x', O.CREAT | O.RDWR)),
    openThroughFile: attempt(() => fs.open('/e.txt/x', O.CREAT | O.RDWR)),
    openEscape: attempt(() => fs.open('/../sentinel/secret.txt')),
    statMissing: attempt(() => fs.stat('/missing')),
    statEscape: attempt(() => fs.stat('/../sentinel')),
    mkdirExists: attempt(() => fs.mkdir('/full')),
    mkdirNoParent: attempt(() => fs.mkdir('/nodir/sub')),
    rmdirNotEmpty: attempt(() => fs.rmdir('/full')),
    rmdirFile: attempt(() => fs.rmdir('/e.txt')),
    rmdirMissing: attempt(() => fs.rmdir('/missing')),
    unlinkDir: attempt(() => fs.unlink('/full')),
    unlinkMissing: attempt(() => fs.unlink('/missing')),
    renameOntoFullDir: attempt(() => {
      fs.mkdir('/d2');
      fs.rename('/d2', '/full');
    }),
    renameIntoMissing: attempt(() => fs.rename('/e.txt', '/nodir/e.txt')),
    renameIntoItself: attempt(() => fs.rename('/full', '/full/inner')),
    symlinkNotAllowed: attempt(() => nolinks.symlink('x', '/l')),
    readlinkFile: attempt(() => fs.readlink('/e.txt')),
    roCreate: attempt(() => ro.open('/new', O.CREAT | O.RDWR)),
    roWrite: attempt(() => {
      const fd = ro.open('/r.txt', O.RDWR);
      ro.write(fd, new Uint8Array([1]));
    }),
    roUnlink: attempt(() => ro.unlink('/r.txt')),
    roMkdir: attempt(() => ro.mkdir('/d')),
    roTruncate: attempt(() => ro.truncate('/r.txt', 0)),
    badFd: attempt(() => fs.read(99, 1)),
    closeTwice: attempt(() => {
      const fd = fs.open('/e.txt');
      fs.close(fd);
      fs.close(fd);
    }),
  };
  fs.unmount();
  ro.unmount();
  nolinks.unmount();
  return r;
}

function roundtripOn(fs: SfMount, tag: string, size: number): boolean {
  const data = new Uint8Array(size).map((_, i) => (i * 131 + tag.length) & 0xff);
  const fd = fs.open(`/rt-${tag}`, O.RDWR | O.CREAT | O.TRUNC);
  const n = fs.pwrite(fd, data, 0);
  const back = fs.pread(fd, size + 10, 0);
  fs.close(fd);
  return n === size && back.length === size && back.every((b, i) => b === data[i]);
}

export function roundtrips(g: GuestContext, args: { size: number }): Record<string, unknown> {
  const modes: SfIoMode[] = ['linaddr', 'pagelist', 'nobounce', 'mixed'];
  const out: Record<string, unknown> = {};
  for (const io of modes) {
    const fs = g.sf.mount('share', { io });
    out[io] = roundtripOn(fs, io, args.size);
    fs.unmount();
  }
  const fs = g.sf.mount('share');
  const fd = fs.open('/seq.txt', O.RDWR | O.CREAT | O.TRUNC);
  fs.write(fd, new TextEncoder().encode('abc'));
  fs.write(fd, new TextEncoder().encode('def'));
  fs.seek(fd, 1);
  out.seq = new TextDecoder().decode(fs.read(fd, 3));
  const afd = fs.open('/seq.txt', O.WRONLY | O.APPEND);
  fs.write(afd, new TextEncoder().encode('XY'));
  fs.close(afd);
  out.afterAppend = new TextDecoder().decode(fs.pread(fd, 100, 0));
  fs.ftruncate(fd, 2);
  out.ftruncated = Number(fs.fstat(fd).size);
  fs.fsync(fd);
  fs.close(fd);
  fs.truncate('/seq.txt', 5000);
  out.truncated = Number(fs.stat('/seq.txt').size);
  fs.symlink('seq.txt', '/link');
  out.readlink = fs.readlink('/link');
  out.lstatIsLink = fs.stat('/link').isSymbolicLink;
  fs.mkdir('/dir');
  fs.rename('/link', '/dir/link2');
  out.readdir = fs.readdir('/dir');
  out.rootNames = fs.readdir('/').sort();
  out.listOneByOne = fs.list('/', { returnOne: true }).map((e) => e.name).length;
  out.listSmall = fs.list('/', { bufferBytes: 200 }).map((e) => e.name).length;
  fs.unlink('/dir/link2');
  fs.rmdir('/dir');
  const st = fs.statfs();
  out.statfs = st.totalBytes > 0n && st.freeBytes <= st.totalBytes;
  fs.unmount();
  return out;
}

/** Open files and directories and return without closing anything. */
export function leaveOpen(g: GuestContext, args: { n: number }): number {
  const fs = g.sf.mount('share');
  for (let i = 0; i < args.n; i++) fs.open(`/left-${i}`, O.RDWR | O.CREAT);
  for (let i = 0; i < args.n; i++) fs.open('/', O.DIRECTORY);
  return args.n;
}
