// Guest programs shipped with the library, as the CLI and the harness reach them (programs themselves are
// loaded by module URL onto vCPUs), and the file-history check (invariant I12).
export { READY, SIGNALS_STOPPED } from './demo.js';
export type { DemoArgs, DemoReport } from './demo.js';
export type { FsxArgs, FsxReport } from './fsx.js';
export { checkFileHistory, explainFile } from './file-history.js';
export type { FileCheckOptions, FileOp, FileOpStatus } from './file-history.js';
