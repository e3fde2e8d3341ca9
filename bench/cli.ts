// `hgcm bench`: run the benchmark suites one after another and print every figure beside its limit and
// its best peer, then the goals as ratios from the same run; --json for machines, --compare for change.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_SPIN, type SpinPolicy } from '../src/machine/config.js';
import { compare, goalsTable, header, table } from './report.js';
import { runSuites, type RunResult, type Suite } from './runner.js';
import { dispatchSuite } from './suites/dispatch.js';
import { fuseSuite } from './suites/fuse.js';
import { hgcmSuite } from './suites/hgcm.js';
import { limitSuite } from './suites/limit.js';
import { peersSuite } from './suites/peers.js';
import { policySuite } from './suites/policy.js';
import { vbsfSuite } from './suites/vbsf.js';

/** Every suite, in the order a full run takes them (limits and peers before what is held against them). */
export const SUITES: readonly Suite[] = [
  limitSuite,
  peersSuite,
  dispatchSuite,
  hgcmSuite,
  vbsfSuite,
  policySuite,
  fuseSuite,
];

/** The command's usage line. */
export const USAGE =
  'hgcm bench [suite...] [--quick] [--json] [--compare old.json] [--repeat N] [--spin short,long[,idle[,spinners]]] [--device thread|emt] [--trace file.json] [--list]';

function parseSpin(v: string | undefined): SpinPolicy | undefined {
  if (v === undefined) return undefined;
  const [short, long, idle = DEFAULT_SPIN.idle, spinners = DEFAULT_SPIN.spinners] = v.split(',').map(Number);
  const ok = (n: number | undefined): boolean => Number.isSafeInteger(n) && n! >= 0;
  if (!ok(short) || !ok(long) || !ok(idle) || !ok(spinners))
    throw new RangeError(`--spin takes non-negative integers "short,long[,idle[,spinners]]": ${v}`);
  return { short: short!, long: long!, idle, spinners };
}

/** Parse, run, print. Returns the process exit code. */
export async function benchMain(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      quick: { type: 'boolean' },
      json: { type: 'boolean' },
      compare: { type: 'string' },
      repeat: { type: 'string' },
      spin: { type: 'string' },
      device: { type: 'string' },
      trace: { type: 'string' },
      list: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true || values.list === true) {
    console.log(USAGE);
    for (const s of SUITES)
      console.log(`  ${s.name.padEnd(9)} ${s.about}${s.byDefault ? '' : ' (only by name)'}`);
    return 0;
  }
  const unknown = positionals.filter((p) => !SUITES.some((s) => s.name === p));
  if (unknown.length > 0) {
    console.error(`unknown suite ${unknown.join(', ')}; suites: ${SUITES.map((s) => s.name).join(', ')}`);
    return 2;
  }
  const suites =
    positionals.length > 0
      ? SUITES.filter((s) => positionals.includes(s.name))
      : SUITES.filter((s) => s.byDefault);
  const old =
    values.compare === undefined
      ? undefined
      : (JSON.parse(fs.readFileSync(values.compare, 'utf8')) as RunResult);
  const policy = parseSpin(values.spin);
  const device = values.device ?? 'emt';
  if (device !== 'thread' && device !== 'emt')
    throw new RangeError(`--device takes thread or emt: ${device}`);
  const repeat = Number(values.repeat ?? 1);
  if (!Number.isSafeInteger(repeat) || repeat < 1) throw new RangeError(`--repeat takes a positive integer`);
  const run = await runSuites(suites, {
    quick: values.quick === true,
    repeat,
    ...(policy ? { policy } : {}),
    device,
    ...(values.trace === undefined ? {} : { traceFile: values.trace }),
    command: ['hgcm bench', ...argv].join(' '),
  });
  if (values.json === true) {
    console.log(JSON.stringify(run, null, 2));
    return 0;
  }
  const goalText = goalsTable(run.rows);
  console.log(`${header(run)}\n\n${table(run.rows)}${goalText === '' ? '' : `\n\n${goalText}`}`);
  if (old !== undefined)
    console.log(`\nChange against ${values.compare} (${old.info.date}):\n\n${compare(old, run)}`);
  return 0;
}
