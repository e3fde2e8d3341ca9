// Start/stop memory probe (issue 13 item 8; main thread): start and stop a small machine N times in this
// process, one echo call each, and print memory after a forced GC every EVERY cycles, with where the RSS is
// (glibc's [heap] against other anonymous maps), for the README's figures. Built: `npm run build` first.
//   node --expose-gc scripts/start-stop-rss.mjs [N=200] [EVERY=50]
//   MALLOC_MMAP_THRESHOLD_=131072 node --expose-gc scripts/start-stop-rss.mjs   (glibc's fixed threshold)
import { readFileSync } from 'node:fs';
import { Machine } from '../dist/src/index.js';

const [cycles = 200, every = 50] = process.argv.slice(2).map(Number);
const config = { vcpus: 1, hostWorkers: 1, ramBytes: 8 << 20, heapBytes: 1 << 20, snapshotBytes: 1 << 20 };
const program = { module: new URL('../dist/src/programs/trace-ops.js', import.meta.url), export: 'echo' };
const mb = (n) => (n / 2 ** 20).toFixed(1);

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');

/** RSS (MB) of the brk heap and of the other anonymous maps, from /proc/self/smaps. */
function rssByKind() {
  let heap = 0;
  let anon = 0;
  let kind = '';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const map = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (map !== null) kind = map[1] === '[heap]' ? 'heap' : map[1] === '' ? 'anon' : '';
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss !== null && kind === 'heap') heap += Number(rss[1]) * 1024;
    if (rss !== null && kind === 'anon') anon += Number(rss[1]) * 1024;
  }
  return `[heap] ${mb(heap)} anon ${mb(anon)}`;
}

async function report(cycle) {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  const u = process.memoryUsage();
  const threads = /^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  console.log(
    `${cycle}: rss ${mb(u.rss)} MB (${rssByKind()}), arrayBuffers ${mb(u.arrayBuffers)} MB, ` +
      `threads ${threads}, handles ${process._getActiveHandles().length}`,
  );
}

async function cycle() {
  const m = await Machine.start(config);
  try {
    const r = await m.run({ ...program, args: { bytes: 64 } });
    if (r.rc !== 0) throw new Error(`echo failed: ${r.rc}`);
  } finally {
    await m.stop();
  }
}

for (let i = 0; i < cycles; i++) {
  if (i % every === 0) await report(i);
  await cycle();
}
await report(cycles);
