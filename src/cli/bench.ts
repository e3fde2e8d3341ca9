// `hgcm bench`: the benchmark lives in bench/ beside src/ (a development tool, like the tests), so the
// command loads it from the source checkout, through tsx when this file runs built.
import fs from 'node:fs';

/** Run the benchmark; returns the process exit code. */
export async function bench(argv: readonly string[]): Promise<number> {
  // src/cli and dist/cli are both two levels below the checkout's root.
  const entry = new URL('../../bench/cli.ts', import.meta.url);
  if (!fs.existsSync(entry)) {
    console.error(
      'hgcm bench runs from a source checkout (bench/ and the dev dependencies): npm ci && npm run bench',
    );
    return 2;
  }
  if (!import.meta.url.endsWith('.ts')) {
    // Built: teach this thread to import .ts (the workers the benchmark starts load tsx themselves).
    const tsx = (await import('tsx/esm/api')) as { register(): void };
    tsx.register();
  }
  const mod = (await import(entry.href)) as { benchMain(argv: readonly string[]): Promise<number> };
  return mod.benchMain(argv);
}
