// Before the 'threads' project's tests: the test build (scripts/test-build.mjs) up to date, so that the
// worker threads their Machines start run JavaScript copies of the sources, not each its own tsx.
import { buildTestTree } from '../scripts/test-build.mjs';

export default async function setup(): Promise<void> {
  await buildTestTree();
}
