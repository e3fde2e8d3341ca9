// `hgcm trace fuse [--cmd SCRIPT]`: mount a fresh share through FUSE, run a real program on it with tracing
// on (by default `sh -c 'echo hi > "$M/x"'`, $M being the mount point), and print the path of each FUSE
// request it caused: the kernel's request on a vCPU, the vboxsf calls it became, and each call's way
// through the guest library, the device, HGCM, the Shared Folders service and IPRT. Needs root.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuseUnavailable, isMounted, Machine } from '../machine/index.js';
import { formatTree } from '../trace/index.js';
import { consoleIo, type Io } from './kit/index.js';

/** The program traced when --cmd is not given. */
export const DEFAULT_FUSE_CMD = 'echo hi > "$M/x"';

/** Run the traced program on a mount; returns the exit code. */
export async function traceFuse(
  o: {
    cmd: string;
    out: string | undefined;
    points: boolean;
  },
  io: Io = consoleIo,
): Promise<number> {
  const why = fuseUnavailable();
  if (why !== undefined) {
    io.err(`hgcm trace fuse: cannot mount here: ${why}`);
    return 1;
  }
  const base = mkdtempSync(join(tmpdir(), 'hgcm-trace-fuse-'));
  const share = join(base, 'share');
  const mp = join(base, 'mnt');
  mkdirSync(share);
  mkdirSync(mp);
  const m = await Machine.start({
    vcpus: 2,
    sharedFolders: [{ name: 'share', hostPath: share, writable: true, createSymlinks: true }],
    trace: { capacity: 1 << 16 },
  });
  try {
    const mount = await m.mount('share', mp);
    try {
      m.trace.set(true, 1);
      const r = spawnSync('sh', ['-c', o.cmd], { env: { ...process.env, M: mp }, encoding: 'utf8' });
      m.trace.set(false);
      io.out(
        `hgcm trace fuse: sh -c '${o.cmd}' with M=${mp}: exit ${r.status}${r.stderr ? `\n${r.stderr.trim()}` : ''}\n`,
      );
      const records = m.trace.records();
      const requests = m.trace.calls(records).filter((c) => c.label.startsWith('FUSE_'));
      for (const c of requests) io.out(`${formatTree(c)}\n`);
      if (o.out !== undefined)
        writeFileSync(
          o.out,
          JSON.stringify(m.trace.chrome({ points: o.points, meta: { cmd: o.cmd } }, records)),
        );
      const where = o.out === undefined ? '' : `; Chrome trace: ${o.out}`;
      io.out(`${requests.length} FUSE requests traced, ${records.length} records${where}`);
      return r.status === 0 ? 0 : 1;
    } finally {
      await mount.unmount();
    }
  } finally {
    await m.stop();
    if (!isMounted(mp)) rmSync(base, { recursive: true, force: true });
  }
}
