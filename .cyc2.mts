import { Machine } from '/work/wt/host/src/machine/index.ts';
const n = Number(process.argv[2] ?? 10);
const cfg = JSON.parse(process.argv[3] ?? '{}');
const mb = (x: number) => (x / 2 ** 20).toFixed(1);
const prog = new URL('file:///work/wt/host/test/machine/programs/hardening.ts');
for (let i = 0; i < n; i++) {
  const m = await Machine.start(cfg);
  await m.run({ module: prog, export: 'echoValues' });
  await m.stop();
  if (i % 5 === 4) {
    for (let k = 0; k < 3; k++) { (globalThis as any).gc(); await new Promise((r) => setTimeout(r, 20)); }
    const u = process.memoryUsage();
    console.log(new Date().toISOString().slice(11,19), i + 1, 'ab', mb(u.arrayBuffers), 'rss', mb(u.rss), 'heap', mb(u.heapUsed), 'ext', mb(u.external));
  }
}
