// The host side of a FUSE mount, on the main thread: open /dev/fuse, have mount(8) make the mount with the
// descriptor handed to it as fd 3 (no libfuse; `-i` keeps mount(8) from handing "fuse.*" to a helper), find
// the mount and its connection in /proc/self/mountinfo, unmount it (lazily if busy), abort the connection.
// Mounting needs root (CAP_SYS_ADMIN): the unprivileged route, fusermount3, hands the descriptor back over a
// unix socket as SCM_RIGHTS, which Node cannot receive without a native addon.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { MountError } from '../runtime/index.js';

const why = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The file system type mounts get (/proc/mounts shows "fuse.hgcm"). */
export const FUSE_FS_TYPE = 'fuse.hgcm';

/** Why a FUSE mount cannot be made here, or undefined if it can (tests skip with this reason). */
export function fuseUnavailable(): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync('/dev/fuse', 'r+');
  } catch (e) {
    return `/dev/fuse cannot be opened (${why(e)})`;
  }
  fs.closeSync(fd);
  if (process.getuid?.() !== 0)
    return 'mounting needs root (fusermount3 passes /dev/fuse back as SCM_RIGHTS, which Node cannot receive)';
  if (spawnSync('mount', ['--version']).status !== 0) return 'mount(8) is not installed';
  return undefined;
}

/** Open /dev/fuse (the descriptor belongs to the process; every vCPU worker reads it). */
export function openFuseDevice(): number {
  try {
    return fs.openSync('/dev/fuse', 'r+');
  } catch (e) {
    throw new MountError(`cannot open /dev/fuse: ${why(e)}`);
  }
}

/** Mount options of the kernel's fuse file system. */
export interface FuseMountOptions {
  /** What /proc/mounts shows as the source. */
  readonly source: string;
  /** The mount's owner (user_id=, group_id=). */
  readonly uid: number;
  readonly gid: number;
  /** Let users other than the owner in (allow_other). */
  readonly allowOther: boolean;
  /** The kernel checks permissions from the mode bits (default_permissions). */
  readonly defaultPermissions: boolean;
  readonly readonly: boolean;
}

/** mount -i -t fuse.hgcm -o fd=3,rootmode=40000,... SOURCE MOUNTPOINT, with `fd` as the child's fd 3. */
export function mountFuse(fd: number, mountpoint: string, o: FuseMountOptions): void {
  const opts = [
    'fd=3',
    'rootmode=40000',
    `user_id=${o.uid}`,
    `group_id=${o.gid}`,
    ...(o.allowOther ? ['allow_other'] : []),
    ...(o.defaultPermissions ? ['default_permissions'] : []),
    ...(o.readonly ? ['ro'] : []),
    'nosuid',
    'nodev',
  ].join(',');
  const r = spawnSync('mount', ['-i', '-t', FUSE_FS_TYPE, '-o', opts, o.source, mountpoint], {
    stdio: ['ignore', 'pipe', 'pipe', fd],
    encoding: 'utf8',
  });
  if (r.error !== undefined) throw new MountError(`cannot run mount(8): ${r.error.message}`);
  if (r.status !== 0) {
    const why = `${r.stderr}`.trim() || `exit code ${r.status}`;
    const hint = process.getuid?.() !== 0 ? ' (mounting needs root)' : '';
    throw new MountError(`mount of ${mountpoint} failed: ${why}${hint}`);
  }
}

/** A FUSE mount as /proc/self/mountinfo lists it. */
export interface MountInfo {
  readonly mountpoint: string;
  /** The connection's number: its directory in /sys/fs/fuse/connections (the minor of st_dev). */
  readonly connection: number;
  readonly source: string;
}

function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Every FUSE mount (any server: fuse, fuse.*) in this process's mount namespace, with its type. */
function fuseMounts(): (MountInfo & { type: string })[] {
  const out: (MountInfo & { type: string })[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const f = left.split(' ');
    const [type, source] = right.split(' ');
    if (type === undefined || !/^fuse(\.|$)/.test(type)) continue;
    out.push({
      type,
      mountpoint: unescapeMountinfo(f[4] ?? ''),
      connection: Number((f[2] ?? '').split(':')[1]),
      source: unescapeMountinfo(source ?? ''),
    });
  }
  return out;
}

/**
 * The fuse.hgcm mount at `mountpoint`, if there is one. `mountpoint` must be the canonical path (resolve it
 * before mounting: resolving the path of a mount whose server hangs would hang too).
 */
export function findMount(mountpoint: string): MountInfo | undefined {
  // The last mount at a path is the one on top.
  return fuseMounts()
    .filter((m) => m.type === FUSE_FS_TYPE && m.mountpoint === mountpoint)
    .pop();
}

/** Mount points of FUSE connection `connection` (none once it is detached or has ended). */
export function connectionMountpoints(connection: number): string[] {
  return fuseMounts()
    .filter((m) => m.connection === connection)
    .map((m) => m.mountpoint);
}

/**
 * Set the readahead of the mount's backing device (/sys/class/bdi/0:N/read_ahead_kb; the kernel's default
 * is 128 KiB, and a FUSE server cannot ask for more at INIT). False if it could not be set.
 */
export function setReadahead(connection: number, kb: number): boolean {
  try {
    fs.writeFileSync(`/sys/class/bdi/0:${connection}/read_ahead_kb`, String(kb));
    return true;
  } catch {
    return false;
  }
}

/** Is a fuse.hgcm file system mounted at `mountpoint`? */
export function isMounted(mountpoint: string): boolean {
  try {
    return findMount(mountpoint) !== undefined;
  } catch {
    return false;
  }
}

/** umount(8); with `lazy`, detach now and finish when the last user is gone. An error message or undefined. */
export function unmountFuse(mountpoint: string, lazy: boolean): string | undefined {
  const r = spawnSync('umount', [...(lazy ? ['-l'] : []), mountpoint], { encoding: 'utf8' });
  if (r.error !== undefined) return r.error.message;
  return r.status === 0 ? undefined : `${r.stderr}`.trim() || `exit code ${r.status}`;
}

const CONNECTIONS = '/sys/fs/fuse/connections';

/**
 * Mount the fuse control file system if the connection is not there (systemd usually has it mounted;
 * minimal systems may not). True if this call mounted it (the caller unmounts it again).
 */
function ensureFusectl(connection: number): boolean {
  if (fs.existsSync(`${CONNECTIONS}/${connection}`)) return false;
  return spawnSync('mount', ['-t', 'fusectl', 'fusectl', CONNECTIONS], { stdio: 'ignore' }).status === 0;
}

/** Write the connection's abort file: every request fails at once, new ones too. False if it cannot. */
export function abortConnection(connection: number): boolean {
  const mounted = ensureFusectl(connection);
  try {
    fs.writeFileSync(`${CONNECTIONS}/${connection}/abort`, '1');
    return true;
  } catch {
    return false;
  } finally {
    if (mounted) spawnSync('umount', [CONNECTIONS], { stdio: 'ignore' });
  }
}
