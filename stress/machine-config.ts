// The machine a stress run builds from a workload: small memory (thousands of machines per campaign), the
// auditor on, the harness's test services registered beside the built-ins.
import {
  closeSync,
  existsSync,
  fstatSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readSync,
  readdirSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MachineConfig } from '../src/machine/index.js';
import { FAULT_NAMES, type FaultName, FaultTable } from '../src/runtime/index.js';
import { SF_FILE, SF_SHARE } from './share.js';
import { initialContent, type Workload } from './workload.js';

const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** URL of one of the harness's services. */
export function stressService(name: 'histfile' | 'sloppy' | 'faulty'): string {
  return new URL(`./services/${name}${ext}`, import.meta.url).href;
}

/**
 * A run's share on the host: a fresh directory holding the shared file, which the harness keeps open
 * (rewriting and reading it through one descriptor costs a fraction of opening it each time).
 */
export interface HostShare {
  readonly dir: string;
  /** The shared file's host path. */
  readonly file: string;
  /** The harness's own descriptor of the file (-1: none, a share not made by createShare). */
  readonly fd: number;
}

/**
 * Where shares are made: a memory file system when the host has one (/dev/shm), else the temporary
 * directory. (On ext4 every reset of the file flushed it to disk: milliseconds a run for nothing.)
 */
const SHARE_ROOT = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

/** Make the workload's share (a fresh temporary directory, the file with its initial content), if any. */
export function createShare(w: Workload): HostShare | undefined {
  if (w.share === undefined) return undefined;
  const dir = mkdtempSync(join(SHARE_ROOT, 'hgcm-stress-'));
  const file = join(dir, SF_FILE);
  const share = { dir, file, fd: openSync(file, 'w+') };
  writeContent(share, initialContent(w.share));
  return share;
}

function writeContent(s: HostShare, bytes: Uint8Array): void {
  // Write, then cut to length: a truncation to zero makes ext4 flush the file (auto_da_alloc), ms each.
  if (bytes.length > 0) writeSync(s.fd, bytes, 0, bytes.length, 0);
  ftruncateSync(s.fd, bytes.length);
}

/** Put a reused share back as `w` starts it: its file with the initial content, nothing else. */
export function resetShare(s: HostShare, w: Workload): void {
  for (const name of readdirSync(s.dir))
    if (name !== SF_FILE) rmSync(join(s.dir, name), { recursive: true, force: true });
  writeContent(s, initialContent(w.share ?? { initial: 0 }));
}

/** The shared file's bytes now. */
export function shareContent(s: HostShare): Uint8Array {
  const bytes = new Uint8Array(fstatSync(s.fd).size);
  let at = 0;
  while (at < bytes.length) {
    const n = readSync(s.fd, bytes, at, bytes.length - at, at);
    if (n === 0) break;
    at += n;
  }
  return bytes.subarray(0, at);
}

/** Close the share's file and remove its directory. */
export function removeShare(s: HostShare | undefined): void {
  if (s === undefined) return;
  closeSync(s.fd);
  rmSync(s.dir, { recursive: true, force: true });
}

/**
 * The machine config of a run. It starts with every fault off: the harness's own set-up (connecting the
 * shared clients) and tear-down must work; `switchFaults` turns the run's faults on for the threads.
 */
export function machineConfig(w: Workload, share?: HostShare): MachineConfig {
  if ((w.share === undefined) !== (share === undefined))
    throw new Error(`stress: the workload ${w.share === undefined ? 'has no' : 'needs a'} share`);
  return {
    vcpus: w.threads.reduce((n, t) => Math.max(n, t.vcpu + 1), 1),
    ramBytes: 1 << 20,
    heapBytes: 192 << 10,
    snapshotBytes: 1 << 20,
    commandSlots: 64,
    clientSlots: 32,
    audit: true,
    // The sim records nothing in the trace ring (the threads executor sets its own step log).
    trace: { capacity: 16 },
    // The device as its own actor (thread): more interleavings than port writes handled in the vCPU.
    device: 'thread',
    ...w.config,
    services: [
      { name: 'histfile', module: stressService('histfile') },
      { name: 'sloppy', module: stressService('sloppy') },
      { name: 'faulty', module: stressService('faulty') },
    ],
    faults: [],
    ...(share === undefined
      ? {}
      : {
          sharedFolders: [{ name: SF_SHARE, hostPath: share.dir, writable: true }],
          // S19's writes race timeouts and signals while they wait for the host: in the pool, as upstream's
          // service thread. On the EMT (the default placement) a write completes inside its port write.
          servicePlacement: 'pool' as const,
        }),
  };
}

/** Turn on exactly the workload's faults plus `extra` (mutations under test), or with `off`, none. */
export function switchFaults(
  table: SharedArrayBuffer,
  w: Workload,
  extra: readonly FaultName[],
  off = false,
): void {
  const on = new Set<string>(off ? [] : [...(w.config.faults ?? []), ...extra]);
  const t = new FaultTable(table);
  for (const f of FAULT_NAMES) t.set(f, on.has(f));
}
