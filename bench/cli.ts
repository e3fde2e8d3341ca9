// `hgcm bench`: run the benchmark suites one after another and print every figure beside its limit and
// its best peer, then the goals as ratios from the same run; --json for machines, --compare for change.
import fs from 'node:fs';
import {
  choice,
  custom,
  flag,
  int,
  text,
  UsageError,
  defineCommand,
  alignTables,
} from '../src/cli/kit/index.js';
import { DEFAULT_SPIN, type SpinPolicy } from '../src/machine/index.js';
import { compare, goals, goalsTable, header, table } from './report.js';
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

function parseSpin(v: string, flagName: string): SpinPolicy {
  const [short, long, idle = DEFAULT_SPIN.idle, spinners = DEFAULT_SPIN.spinners, adapt, ...extra] = v
    .split(',')
    .map((x) => (/^\d+$/.test(x.trim()) ? Number(x) : NaN));
  const ok = (n: number | undefined): n is number => Number.isSafeInteger(n) && n! >= 0;
  const adaptOk = adapt === undefined || adapt === 0 || adapt === 1;
  if (!ok(short) || !ok(long) || !ok(idle) || !ok(spinners) || !adaptOk || extra.length > 0)
    throw new UsageError(
      `${flagName} takes non-negative integers short,long[,idle[,spinners[,adaptive 0|1]]] (got ${JSON.stringify(v)})`,
    );
  return { short, long, idle, spinners, adaptive: adapt === undefined ? DEFAULT_SPIN.adaptive : adapt === 1 };
}

/**
 * A run to compare against, read from `file`: the JSON `hgcm bench --json` printed. Lines before the JSON
 * (an npm banner, from `npm run bench -- --json > run.json`) are skipped; anything else that is not such
 * a run is a usage error that says what is wrong with the file.
 */
export function readRun(file: string): RunResult {
  let textIn: string;
  try {
    textIn = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(
      `--compare: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const start = textIn.search(/^\{/m);
  let run: unknown;
  try {
    if (start < 0) throw new Error('no JSON object in it');
    run = JSON.parse(textIn.slice(start));
  } catch (e) {
    throw new UsageError(
      `--compare: ${file} is not the JSON of a run (hgcm bench --json > ${file} writes one): ${(e as Error).message}`,
    );
  }
  // SAFETY: only read through optional chaining until the shape is checked below.
  const r = run as Partial<RunResult> | null;
  const rowsOk =
    Array.isArray(r?.rows) &&
    r.rows.every(
      (x: unknown) =>
        typeof (x as { id?: unknown })?.id === 'string' &&
        typeof (x as { label?: unknown }).label === 'string',
    );
  if (typeof r?.info?.date !== 'string' || !rowsOk)
    throw new UsageError(
      `--compare: ${file} is JSON but not a run of hgcm bench --json (no info.date or rows)`,
    );
  // SAFETY: info.date and every row's id and label checked; the rest is read tolerantly by compare().
  return r as RunResult;
}

/** What a run prints: its header, the rows, the goals and, against an earlier run, each row's change. */
export function report(run: RunResult, earlier?: { run: RunResult; file: string }): string {
  const goalText = goalsTable(run.rows);
  const parts = [header(run), table(run.rows), ...(goalText === '' ? [] : [goalText])];
  if (earlier !== undefined)
    parts.push(`Change against ${earlier.file} (${earlier.run.info.date}):`, compare(earlier.run, run));
  return alignTables(parts.join('\n\n'));
}

/** The suites list --help prints. */
function suiteList(): string {
  const w = Math.max(...SUITES.map((s) => s.name.length));
  return [
    'suites (a run without names takes every suite not marked "only by name"):',
    ...SUITES.map(
      (s) =>
        `  ${s.name.padEnd(w)}  ${s.about}${s.byDefault || s.about.includes('only by name') ? '' : ' (only by name)'}`,
    ),
    '',
    'Progress goes to stderr; the table (or with --json, nothing but the JSON) to stdout.',
  ].join('\n');
}

/** `hgcm bench`. */
export const benchCommand = defineCommand(
  {
    name: 'hgcm bench',
    summary: "measure the call path against this machine's limits and the peers a user would reach for",
    positionals: { name: 'suite', usage: '[suite...]', choices: SUITES.map((s) => s.name) },
    options: {
      quick: flag('short budgets: every row, rough figures (what the smoke test runs)'),
      json: flag('print the run as JSON on stdout, nothing else (progress stays on stderr)'),
      repeat: int('run the suites N times; each figure is the median of the repeats', {
        min: 1,
        max: 100,
        default: 1,
      }),
      compare: text('also print the change of every row against an earlier run (the JSON of --json)', {
        arg: 'FILE',
      }),
      spin: custom<SpinPolicy | undefined>(
        "the runtime's spin policy: loads before parking (short, long, idle), spinners at once, adaptive long spin (1) or not (0)",
        {
          arg: 'S,L[,I[,N[,A]]]',
          parse: parseSpin,
          defaultText: `${DEFAULT_SPIN.short},${DEFAULT_SPIN.long},${DEFAULT_SPIN.idle},${DEFAULT_SPIN.spinners},${DEFAULT_SPIN.adaptive ? 1 : 0}`,
        },
        () => undefined,
      ),
      device: choice('where machines handle port writes', ['emt', 'thread'] as const, 'emt'),
      placement: choice(
        "where services run the calls that finish inside svcCall (Shared Folders')",
        ['emt', 'pool'] as const,
        'emt',
      ),
      irq: choice('where interrupts go: one waiting vCPU, or every vCPU', ['one', 'all'] as const, 'one'),
      trace: text("write the hgcm suite's traced pool calls as a Chrome trace to FILE", { arg: 'FILE' }),
      list: flag('list the suites and exit'),
    },
    more: suiteList,
  },
  async ({ values: v, positionals, argv }, io) => {
    if (v.list) {
      io.out(suiteList());
      return 0;
    }
    if (v.json && v.compare !== undefined)
      throw new UsageError('--compare prints a table beside the run; with --json only the JSON is printed');
    // Read the earlier run first: a bad file is reported before minutes of measuring, not after.
    const old = v.compare === undefined ? undefined : readRun(v.compare);
    const suites =
      positionals.length > 0
        ? SUITES.filter((s) => positionals.includes(s.name))
        : SUITES.filter((s) => s.byDefault);
    const run = await runSuites(suites, {
      quick: v.quick,
      repeat: v.repeat,
      ...(v.spin === undefined ? {} : { policy: v.spin }),
      device: v.device,
      placement: v.placement,
      irq: v.irq,
      ...(v.trace === undefined ? {} : { traceFile: v.trace }),
      command: ['hgcm bench', ...argv].join(' '),
      log: io.err,
    });
    if (v.json) {
      io.out(JSON.stringify({ ...run, goals: goals(run.rows) }, null, 2));
      return 0;
    }
    io.out(report(run, old === undefined ? undefined : { run: old, file: v.compare! }));
    return 0;
  },
);
