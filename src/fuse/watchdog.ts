// The watchdog of a mount (main thread): a tiny shell process that outlives a killed server and releases
// its mount point. It inherits no descriptor but a pipe from us (stdio only; Node opens /dev/fuse with
// O_CLOEXEC) and runs in its own process group (a terminal's Ctrl-C does not reach it). When the pipe ends
// without "disarm" (we were killed, SIGKILL included), it aborts the connection, if the fuse control file
// system is mounted, and detaches the mount with umount -l.
import { spawn, type ChildProcess } from 'node:child_process';

const SCRIPT = [
  'read -r line',
  '[ "$line" = disarm ] && exit 0',
  'abort="/sys/fs/fuse/connections/$1/abort"',
  '[ -w "$abort" ] && echo 1 > "$abort"',
  'exec umount -l "$2"',
].join('\n');

/** A running watchdog. */
export class Watchdog {
  private readonly child: ChildProcess;
  private disarmed = false;

  private constructor(child: ChildProcess) {
    this.child = child;
  }

  /** Watch the mount at `mountpoint` (fuse connection `connection`). */
  static start(mountpoint: string, connection: number): Watchdog {
    const child = spawn('sh', ['-c', SCRIPT, 'hgcm-mount-watchdog', String(connection), mountpoint], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    // Neither the child nor its pipe keeps our event loop alive: it must not hold a process that is done.
    child.unref();
    child.stdin?.on('error', () => undefined);
    // SAFETY: a piped stdin is a net.Socket, which has unref(); the Writable type does not say so.
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return new Watchdog(child);
  }

  /** The watchdog's process id (tests check it is gone after the mount ended). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The mount ended normally: tell the watchdog to exit without touching anything. */
  disarm(): void {
    if (this.disarmed) return;
    this.disarmed = true;
    this.child.stdin?.end('disarm\n');
  }
}
