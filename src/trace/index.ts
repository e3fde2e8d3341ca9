// Reading the trace ring: spans per thread, call trees across threads, the Chrome trace event export.
export { toChromeTrace } from './chrome.js';
export type { ChromeEvent, ChromeTrace } from './chrome.js';
export { callTrees, formatTree } from './tree.js';
export type { CallNode, TreeContext } from './tree.js';
