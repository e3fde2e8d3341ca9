// The FUSE rows (`hgcm bench fuse`): the same fio jobs on a host directory itself (the limit), on bindfs of
// that directory (the peer: a C FUSE passthrough through libfuse), and on `hgcm mount` of it (every
// operation through the guest's vboxsf logic, HGCM and the Shared Folders service), one after another in
// one run. Jobs: sequential 1 MiB writes and reads, random 4 KiB writes and reads (buffered I/O; fio drops
// the file's cached pages before each job), and create + write 4 KiB + close of small files. Each row also
// notes the CPU time per operation of the file system's server (this process for hgcm, the bindfs daemon)
// and of fio. Needs root, /dev/fuse, fio and bindfs; without them the rows say why they were skipped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fuseUnavailable, isMounted, Machine } from '../../src/machine/index.js';
import { skippedRow, type Row, type Suite, type SuiteContext } from '../runner.js';
import { scratchDir } from './limit.js';

/** The jobs, by row id suffix. */
const JOBS = [
  { id: 'seqwrite', label: 'sequential 1 MiB writes', rw: 'write', bs: 1 << 20, data: true },
  { id: 'seqread', label: 'sequential 1 MiB reads', rw: 'read', bs: 1 << 20, data: true },
  { id: 'randwrite', label: 'random 4 KiB writes', rw: 'randwrite', bs: 4096, data: false },
  { id: 'randread', label: 'random 4 KiB reads', rw: 'randread', bs: 4096, data: false },
  { id: 'create', label: 'create + write 4 KiB + close', rw: 'write', bs: 4096, data: false },
] as const;

const TARGETS = [
  { id: 'host', label: 'host directory' },
  { id: 'bindfs', label: 'bindfs' },
  { id: 'hgcm', label: 'hgcm mount' },
] as const;
type Target = (typeof TARGETS)[number]['id'];

/** The rows this suite owns, with their limit and peer. */
export const FUSE_ROWS = TARGETS.flatMap((t) =>
  JOBS.map((j) => ({
    id: `fuse.${t.id}.${j.id}`,
    label: `fio ${j.label}, ${t.label}`,
    ...(t.id === 'hgcm' ? { limit: `fuse.host.${j.id}`, peers: [`fuse.bindfs.${j.id}`] } : {}),
    ...(t.id === 'bindfs' ? { limit: `fuse.host.${j.id}` } : {}),
  })),
);

interface FioJob {
  readonly jobname: string;
  readonly read: {
    readonly io_bytes: number;
    readonly bw_bytes: number;
    readonly iops: number;
    readonly runtime: number;
  };
  readonly write: {
    readonly io_bytes: number;
    readonly bw_bytes: number;
    readonly iops: number;
    readonly runtime: number;
  };
  readonly usr_cpu: number;
  readonly sys_cpu: number;
  readonly job_runtime: number;
}

/** fio's arguments for one job in `dir`. */
function fioArgs(job: (typeof JOBS)[number], dir: string, quick: boolean): string[] {
  const mib = (n: number): string => `${n}m`;
  const common = [
    '--output-format=json',
    '--ioengine=psync',
    `--directory=${dir}`,
    '--invalidate=1',
    `--name=${job.id}`,
  ];
  if (job.id === 'create') {
    const files = quick ? 200 : 1000;
    return [
      ...common,
      '--rw=write',
      '--bs=4k',
      `--nrfiles=${files}`,
      '--filesize=4k',
      '--openfiles=1',
      '--create_on_open=1',
      '--file_service_type=sequential',
    ];
  }
  const seq = job.bs === 1 << 20;
  const size = seq ? (quick ? 32 : 256) : quick ? 16 : 64;
  const io = seq ? size : quick ? 4 : 16;
  return [
    ...common,
    `--rw=${job.rw}`,
    `--bs=${job.bs}`,
    `--size=${mib(size)}`,
    `--io_size=${mib(io)}`,
    '--filename=bench.dat',
  ];
}

function cpuOfPid(pid: number): number {
  // utime + stime in clock ticks (fields 14 and 15 of /proc/pid/stat, after the command in parentheses).
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) / 100) * 1e6;
}

/** Run one fio job; the row with its figures and the CPU notes. */
function runJob(
  target: Target,
  job: (typeof JOBS)[number],
  dir: string,
  quick: boolean,
  serverCpu: () => number,
): Row {
  // SAFETY: FUSE_ROWS has a row for every target and job.
  const spec = FUSE_ROWS.find((r) => r.id === `fuse.${target}.${job.id}`)!;
  const cpu0 = serverCpu();
  const r = spawnSync('fio', fioArgs(job, dir, quick), {
    encoding: 'utf8',
    maxBuffer: 16 << 20,
    timeout: 600_000,
  });
  const serverUs = serverCpu() - cpu0;
  if (r.status !== 0)
    return skippedRow({ ...spec, suite: 'fuse', kind: 'rate' }, `fio failed: ${r.stderr.slice(-300)}`);
  // SAFETY: fio --output-format=json prints one object with a jobs array (fio 3).
  const j = (JSON.parse(r.stdout) as { jobs: FioJob[] }).jobs[0]!;
  const side = job.rw.includes('read') ? j.read : j.write;
  const ops = side.io_bytes / job.bs;
  const secs = side.runtime / 1000;
  const rate = secs > 0 ? ops / secs : 0;
  const fioUs = ((j.usr_cpu + j.sys_cpu) / 100) * j.job_runtime * 1000;
  const note = `CPU per op: server ${(serverUs / ops).toFixed(1)} µs, fio ${(fioUs / ops).toFixed(1)} µs; ${ops} ops in ${secs.toFixed(2)} s`;
  return {
    ...spec,
    suite: 'fuse',
    kind: 'rate',
    rate,
    medianUs: rate > 0 ? 1e6 / rate : 0,
    samples: ops,
    ...(job.data ? { mbps: side.bw_bytes / 1e6 } : {}),
    note,
  };
}

async function waitFor(done: () => boolean): Promise<boolean> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  return done();
}

/**
 * Every job on `target`: first a short pass whose figures are dropped (hgcm's JavaScript is compiled on
 * its first thousands of requests, and each of its threads compiles its own copy: without it the first
 * job measures the compiler), then the measured pass.
 */
function jobsOn(target: Target, dir: string, ctx: SuiteContext, serverCpu: () => number): Row[] {
  ctx.log(`  warm-up on ${target}`);
  for (const job of JOBS) runJob(target, job, dir, true, serverCpu);
  return JOBS.map((job) => {
    ctx.log(`  fio ${job.label} on ${target}`);
    return runJob(target, job, dir, ctx.quick, serverCpu);
  });
}

/** The fuse suite. */
export const fuseSuite: Suite = {
  name: 'fuse',
  about: 'fio on a host directory, on bindfs of it and on `hgcm mount` of it (root, fio, bindfs)',
  byDefault: false,
  async run(ctx: SuiteContext): Promise<Row[]> {
    const missing =
      fuseUnavailable() ??
      (['fio', 'bindfs'].filter((p) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0).join(', ') ||
        undefined);
    if (missing !== undefined)
      return FUSE_ROWS.map((r) =>
        skippedRow({ ...r, suite: 'fuse', kind: 'rate' }, `cannot run: ${missing}`),
      );
    const base = scratchDir();
    const host = path.join(base, 'host');
    const mp = path.join(base, 'mnt');
    fs.mkdirSync(host);
    fs.mkdirSync(mp);
    const rows: Row[] = [];
    let bindfs: ChildProcess | undefined;
    try {
      rows.push(...jobsOn('host', host, ctx, () => 0));
      fs.rmSync(path.join(host, 'bench.dat'), { force: true });

      // bindfs in the foreground (-f), so its CPU time is that of one process we know.
      bindfs = spawn('bindfs', ['-f', host, mp], { stdio: 'ignore' });
      if (!(await waitFor(() => mounted(mp)))) throw new Error('bindfs did not mount');
      // SAFETY: bindfs started (it mounted), so it has a pid.
      const pid = bindfs.pid!;
      rows.push(...jobsOn('bindfs', mp, ctx, () => cpuOfPid(pid)));
      spawnSync('umount', [mp]);
      await new Promise((r) => bindfs!.once('exit', r));
      bindfs = undefined;
      fs.rmSync(path.join(host, 'bench.dat'), { force: true });

      const m = await Machine.start({
        vcpus: 2,
        spin: ctx.policy,
        device: ctx.device,
        sharedFolders: [{ name: 'bench', hostPath: host, writable: true }],
      });
      try {
        const mount = await m.mount('bench', mp);
        const self = (): number => {
          const u = process.cpuUsage();
          return u.user + u.system;
        };
        rows.push(...jobsOn('hgcm', mp, ctx, self));
        await mount.unmount();
      } finally {
        await m.stop();
      }
    } finally {
      if (bindfs !== undefined) {
        spawnSync('umount', ['-l', mp]);
        bindfs.kill('SIGKILL');
      }
      if (!mounted(mp) && !isMounted(mp)) fs.rmSync(base, { recursive: true, force: true });
    }
    return rows;
  },
};

/** Is anything mounted at `dir` (bindfs mounts are fuse, not fuse.hgcm)? */
function mounted(dir: string): boolean {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === dir);
}
