// The host-write auditor (invariant I1, NoWriteAfterFree), wired in by the composition root because it
// needs a god's-eye view across layers: at enlist it records the guest heap generation of the request
// block; before completion writes, it checks that the request and every FROM_HOST buffer still lie in
// live (or quarantined, i.e. leaked) blocks and that the request is still the same allocation.
import { BlockState, gpa, type GuestMemory } from '../runtime/index.js';
import { GuestHeap, guestMap } from '../vcpu/index.js';
import { CmdField, type CommandTable, type HostWriteAuditor, type PhysRun } from '../vmmdev/index.js';
import type { ResolvedConfig } from './config.js';

/** An auditor over a machine's guest heaps. */
export function heapAuditor(mem: GuestMemory, config: ResolvedConfig, cmds: CommandTable): HostWriteAuditor {
  const map = guestMap(config.ramBytes, config.heapBytes);
  const heaps = [GuestHeap.attach('phys', mem, map.heapBase), GuestHeap.attach('data', mem, map.memBase)];
  const blockAt = (phys: number): { state: number; gen: number; payload: number } | undefined => {
    for (const h of heaps) {
      const b = h.containing(gpa(phys));
      if (b !== undefined) return b;
    }
    return undefined;
  };
  return {
    onEnlist(slot, phys) {
      const b = blockAt(phys);
      cmds.set(slot, CmdField.GEN, b !== undefined && b.payload === phys ? b.gen : 0);
    },
    checkWrite(slot, runs: readonly PhysRun[]) {
      const gen = cmds.get(slot, CmdField.GEN) >>> 0;
      for (const [i, r] of runs.entries()) {
        if (r.phys < 0 || r.len === 0) continue;
        // Outside the heaps (a hand-built request in the kernel page, say): not ours to judge.
        const b = blockAt(r.phys);
        if (b === undefined) continue;
        if (b.state === BlockState.FREE) return false;
        // The request itself must still be the allocation the guest submitted, not a reuse of its address.
        if (i === 0 && gen !== 0 && (b.payload !== r.phys || b.gen >>> 0 !== gen)) return false;
      }
      return true;
    },
  };
}
