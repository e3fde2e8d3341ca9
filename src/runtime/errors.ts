// The exceptions hgcm-runtime throws, in one place. They are for our own bugs, broken invariants and bad
// arguments at the API edge; guest-visible failures travel as VBox status codes instead. Match on `code`,
// not instanceof: errors copied across worker_threads lose their class.

/** Base class; `code` is stable and documented below. */
export class HgcmError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** ERR_CONFIG: a Machine, service or harness was configured with an invalid value. */
export class ConfigError extends HgcmError {
  constructor(message: string) {
    super('ERR_CONFIG', message);
  }
}

/**
 * ERR_GUEST_FS: a call of the guest file API (vboxsf/mount.ts) failed, as a system call would:
 * `errno` is the Linux errno name the guest reports ('ENOENT'), `rc` the VBox status behind it.
 */
export class GuestFsError extends HgcmError {
  readonly errno: string;
  readonly rc: number;
  constructor(op: string, errno: string, rc: number) {
    super('ERR_GUEST_FS', `${op}: ${errno} (rc=${rc})`);
    this.errno = errno;
    this.rc = rc;
  }
}

/** ERR_GUEST_MEMORY: an access outside guest RAM, or a misaligned atomic access. */
export class GuestMemoryError extends HgcmError {
  readonly kind: 'out-of-bounds' | 'misaligned';
  readonly addr: number;
  readonly len: number;
  constructor(kind: 'out-of-bounds' | 'misaligned', addr: number, len: number, size: number) {
    super(
      'ERR_GUEST_MEMORY',
      `${kind} guest access at 0x${addr.toString(16)} (+${len}) in ${size} bytes of RAM`,
    );
    this.kind = kind;
    this.addr = addr;
    this.len = len;
  }
}

/** ERR_HEAP: a guest heap misuse (double free, freeing a foreign pointer) or exhaustion reported as such. */
export class HeapError extends HgcmError {
  constructor(message: string) {
    super('ERR_HEAP', message);
  }
}

/** ERR_INVARIANT: an internal invariant broke; always a bug in hgcm-runtime. */
export class InvariantError extends HgcmError {
  constructor(message: string) {
    super('ERR_INVARIANT', message);
  }
}

/** ERR_MACHINE_STATE: a Machine call made in a state that does not allow it (e.g. run after stop). */
export class MachineStateError extends HgcmError {
  constructor(message: string) {
    super('ERR_MACHINE_STATE', message);
  }
}

/**
 * ERR_MOUNT: a FUSE mount could not be made or served (no /dev/fuse, mount(8) refused, the share could not be
 * mapped); the message says which step and why.
 */
export class MountError extends HgcmError {
  constructor(message: string) {
    super('ERR_MOUNT', message);
  }
}

/** ERR_WORKER: a worker thread failed to start or died. */
export class WorkerError extends HgcmError {
  constructor(message: string) {
    super('ERR_WORKER', message);
  }
}

/** Throw InvariantError unless `cond` holds. */
export function invariant(cond: unknown, message: string): asserts cond {
  if (!cond) throw new InvariantError(message);
}

/** Every error class by its code, to give an error copied across threads its class back. */
const ERROR_CLASSES: Readonly<Record<string, { prototype: HgcmError }>> = {
  ERR_CONFIG: ConfigError,
  ERR_GUEST_FS: GuestFsError,
  ERR_GUEST_MEMORY: GuestMemoryError,
  ERR_HEAP: HeapError,
  ERR_INVARIANT: InvariantError,
  ERR_MACHINE_STATE: MachineStateError,
  ERR_WORKER: WorkerError,
};

/**
 * The own fields of an error worth copying to another thread (code, errno, rc, addr...): the primitive
 * ones, which structured cloning keeps. Message, name and stack travel on their own.
 */
export function errorFields(e: Error): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(e))
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  return out;
}

/** An error copied from another thread, as an instance of its class again when its code names one. */
export function reviveError(e: Error): Error {
  const code = (e as { code?: unknown }).code;
  const cls = typeof code === 'string' ? ERROR_CLASSES[code] : undefined;
  if (cls === undefined) return e;
  // SAFETY: an object with the class's prototype and every field the original instance had.
  const revived = Object.create(cls.prototype) as Error;
  Object.assign(revived, e);
  Object.defineProperties(revived, {
    message: { value: e.message, writable: true, configurable: true },
    stack: { value: e.stack, writable: true, configurable: true },
  });
  return revived;
}
