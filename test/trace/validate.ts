// A check of a trace against the Chrome trace event format, as Perfetto's JSON importer reads it.
import { expect } from 'vitest';
import type { ChromeEvent, ChromeTrace } from '../../src/trace/chrome.js';

/** Check a trace against the Chrome trace event format; returns the per-thread span depth reached. */
export function validateChrome(t: ChromeTrace): number {
  expect(Array.isArray(t.traceEvents)).toBe(true);
  expect(['ms', 'ns']).toContain(t.displayTimeUnit);
  const stacks = new Map<number, ChromeEvent[]>();
  const lastTs = new Map<number, number>();
  let deepest = 0;
  for (const e of t.traceEvents) {
    expect(typeof e.name).toBe('string');
    expect(e.name.length).toBeGreaterThan(0);
    expect(['B', 'E', 'i', 'M']).toContain(e.ph);
    expect(Number.isInteger(e.pid)).toBe(true);
    expect(Number.isInteger(e.tid)).toBe(true);
    if (e.ph === 'M') {
      expect(['thread_name', 'process_name']).toContain(e.name);
      expect(typeof e.args?.name).toBe('string');
      continue;
    }
    expect(typeof e.ts).toBe('number');
    expect(Number.isFinite(e.ts)).toBe(true);
    expect(e.ts!).toBeGreaterThanOrEqual(0);
    const stack = stacks.get(e.tid) ?? [];
    stacks.set(e.tid, stack);
    if (e.ph === 'i') {
      expect(e.s).toBe('t');
      continue;
    }
    // Spans nest per thread, and time does not run backwards within a thread's spans.
    expect(e.ts!).toBeGreaterThanOrEqual(lastTs.get(e.tid) ?? 0);
    lastTs.set(e.tid, e.ts!);
    if (e.ph === 'B') {
      stack.push(e);
      deepest = Math.max(deepest, stack.length);
    } else {
      const open = stack.pop();
      expect(open, `E "${e.name}" on thread ${e.tid} without a B`).toBeDefined();
      expect(open!.name).toBe(e.name);
    }
  }
  for (const [tid, stack] of stacks) expect(stack, `unclosed spans on thread ${tid}`).toEqual([]);
  return deepest;
}
