// The deterministic executor: Sim, its strategies (random, PCT, replay), the bounded DFS, Chrome export.
export { Sim } from './sim.js';
export type { SimMark } from './sim.js';
export {
  DivergenceError,
  randomStrategy,
  firstStrategy,
  guidedStrategy,
  pctStrategy,
  recording,
  replayStrategy,
} from './strategies.js';
export { DfsExplorer } from './dfs.js';
export type { DfsOptions } from './dfs.js';
export { simStepsToChrome } from './chrome.js';
export type { StepMark } from './chrome.js';
export type {
  SimObserver,
  SimOptions,
  SimResult,
  StepEvent,
  Strategy,
  TimeProfile,
  TraceStep,
  WaitSemantics,
} from './types.js';
