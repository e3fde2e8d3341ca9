// SlotTable: the shared-memory table skeleton every table builds on (clients, commands, the ring's cells,
// the Shared Folders handles): slots after a header, attach recovering the capacity, views inside a block.
import { describe, expect, test } from 'vitest';
import { SharedWords } from '../../src/runtime/atomic-cell.js';
import { SlotTable } from '../../src/runtime/slot-table.js';

/** A table class as the project's tables are made: a layout and a constructor over a whole block. */
class Table extends SlotTable {
  static readonly HEADER = 16;
  static readonly SLOT_WORDS = 4;
  constructor(words: SharedWords) {
    super(words, Table.HEADER, Table.SLOT_WORDS);
  }
}

/** `header` words, then `capacity` slots of `slotWords`, in a fresh block. */
function table(header: number, slotWords: number, capacity: number): SlotTable {
  return new SlotTable(SharedWords.create(header + slotWords * capacity), header, slotWords, capacity);
}

describe('SlotTable', () => {
  test('slots start after the header; fields do not overlap the header or each other', () => {
    const t = Table.create(3);
    expect(t).toBeInstanceOf(Table);
    expect(t.capacity).toBe(3);
    expect(t.words.i32.length).toBe(16 + 4 * 3);
    t.set(0, 0, 11);
    t.set(2, 3, 23);
    expect(t.word(0, 0)).toBe(16);
    expect(t.word(2, 3)).toBe(16 + 8 + 3);
    expect(t.words.load(16)).toBe(11);
    expect(t.words.load(27)).toBe(23);
    expect([...t.words.i32.subarray(0, 16)].every((w) => w === 0)).toBe(true);
  });

  test('attach on another view of the buffer sees the same slots and recovers the capacity', () => {
    const t = Table.create(7);
    t.set(6, 3, -1);
    const u = Table.attach(t.sab);
    expect(u.capacity).toBe(7);
    expect(u.get(6, 3)).toBe(-1);
    expect(u.add(6, 3, 2)).toBe(-1);
    expect(t.get(6, 3)).toBe(1);
  });

  test('clear zeroes a slot from a field on, and only that slot', () => {
    const t = table(0, 4, 2);
    for (let s = 0; s < 2; s++) for (let f = 0; f < 4; f++) t.set(s, f, 9);
    t.clear(0, 1);
    expect([0, 1, 2, 3].map((f) => t.get(0, f))).toEqual([9, 0, 0, 0]);
    expect([0, 1, 2, 3].map((f) => t.get(1, f))).toEqual([9, 9, 9, 9]);
  });

  test('a cell is the same word: a CAS through it is seen by get', () => {
    const t = table(2, 2, 2);
    expect(t.cell(1, 1).cas(0, 5)).toBe(0);
    expect(t.get(1, 1)).toBe(5);
  });

  test('a table inside a larger block: byte offsets of a slot, and slots that do not fit are refused', () => {
    const words = SharedWords.create(64);
    const t = new SlotTable(words, 16, 8, 6);
    expect(t.byteOffset(2, 12)).toBe(4 * (16 + 16) + 12);
    expect(() => new SlotTable(words, 16, 8, 7)).toThrow(RangeError);
    expect(new SlotTable(words, 16, 8).capacity).toBe(6);
  });
});
