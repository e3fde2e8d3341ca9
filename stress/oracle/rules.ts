// The oracles' rules about the host's writes (I1 at every write step, I2, I3, I13), the guest's copy-back
// (I8) and the pending list (I9), applied by the monitor as it follows a run.
import { HgcmReqFlag, RequestType, VMMDevHGCMRequestHeader } from '../../src/abi/index.js';
import { gpa, hexAddr as hex, POINTS, type PointName } from '../../src/runtime/index.js';
import { CmdField, CmdState } from '../../src/vmmdev/index.js';
import type { Monitor } from './monitor.js';

/** Is a request type an HGCM call? */
export const isCall = (type: number): boolean =>
  type === RequestType.HGCMCall32 || type === RequestType.HGCMCall64;
/** Offset of fu32Flags in an HGCM request. */
export const FLAGS = VMMDevHGCMRequestHeader.off.fu32Flags;

/** The host wrote part of command `id`'s results (I1, I2, I3, I13). */
export function hostWrote(m: Monitor, actor: string, point: PointName, id: number): void {
  const cmd = m.cmds.get(id);
  if (cmd === undefined) return;
  if (point === 'host.complete.writeHeader') cmd.headers++;
  if (point === 'host.complete.setDone') cmd.dones++;
  if (cmd.headers > 1 || cmd.dones > 1) m.fail('I3', actor, `command ${id} completed (written back) twice`);
  if (cmd.markedAt !== undefined)
    m.fail(
      'I2',
      actor,
      `command ${id} was cancelled at ${cmd.markedAt.phase} step ${cmd.markedAt.step}, yet ${point}`,
    );
  const req = m.reqAt(cmd.phys, cmd.gen);
  if (req?.cancelOk === true)
    m.fail('I2', actor, `the guest was told the cancel of ${hex(cmd.phys)} succeeded, yet ${point}`);
  const slot = m.w.slotOf(id);
  if (
    slot !== undefined &&
    !m.w.hostWriteOk(slot, point === 'host.complete.writeBuffers' && isCall(cmd.type))
  )
    m.fail(
      'I1',
      actor,
      `${point} for command ${id} lands in freed or reused memory (request ${hex(cmd.phys)} gen ${cmd.gen})`,
    );
  if (point === 'host.complete.writeBuffers') {
    const moved = cmd.buffers.find((b) => !m.w.blockIs(b.payload, b.gen));
    if (moved !== undefined)
      m.fail(
        'I1',
        actor,
        `command ${id} writes its output into buffer ${hex(moved.payload)} of gen ${moved.gen}, which was freed (or handed out again)`,
      );
  }
  if (req?.leakAt !== undefined && point === 'host.complete.writeHeader') m.tag('leakLateWrite');
  const gone = m.ledger.ops.some((o) => o.k === 'disconnect' && o.rc === 0 && o.clientId === cmd.clientId);
  if (gone && isCall(cmd.type) && (req === undefined || req.freed || req.cancelOk))
    m.fail('I13', actor, `a completion for disconnected client ${cmd.clientId} lands in a call that is over`);
}

/** The device marked command `id` cancelled for a guest cancelling `phys` (I11; coverage of where it was). */
export function cancelMarked(m: Monitor, actor: string, phys: number, id: number): void {
  const cmd = m.cmds.get(id);
  if (cmd === undefined) return;
  cmd.markedAt = m.stamp();
  if (!cmd.picked) m.tag('cancelWhileQueued');
  else if (cmd.completion === undefined) m.tag('cancelWhileRunning');
  for (let i = 0; i < m.actorIds.length; i++) {
    const gid = m.actorIds[i]!;
    const g = m.actorStates[i]!;
    if (g.phase !== 'cancel' || g.req?.addr !== phys) continue;
    if (g.req.gen !== cmd.gen)
      m.fail(
        'I11',
        actor,
        `${gid} cancels ${hex(phys)} gen ${g.req.gen}; the device marked command ${id} of gen ${cmd.gen}`,
      );
  }
  // S5c: the command's completion is already at its remove step (cancel wins the lock by a hair).
  for (const x of m.sim.actorIds()) {
    const e = m.sim.pendingEffect(x);
    if (e?.k === 'point' && POINTS[e.id] === 'host.complete.remove' && e.gen === id) m.tag('cancelAtRemove');
  }
}

/** The guest copies results back from `addr` (I8: only after the host wrote them, and DONE). */
export function checkCopyBack(m: Monitor, actor: string, addr: number, gen: number): void {
  const cmd = [...m.cmds.values()].reverse().find((c) => c.phys === addr && c.gen === gen);
  if (cmd === undefined) return; // answered in the port write: nothing of the host's to wait for
  if ((m.w.mem.load32(gpa(addr), FLAGS) & HgcmReqFlag.DONE) === 0)
    m.fail('I4', actor, `call ${hex(addr)} returns as completed but DONE was never set`);
  if (cmd.headers === 0)
    m.fail('I8', actor, `results of command ${cmd.id} copied back before the host wrote them`);
}

/** I9: at most one uncancelled listed command per address, each on a live allocation of its generation. */
export function checkListed(m: Monitor, actor: string): void {
  const c = m.w.cmds;
  let left = c.listed;
  // Only a command listed or a block handed out or given back can break I9: otherwise nothing to redo.
  const key = left * 0x100000 + m.w.physHeap.changes();
  if (key === m.listedKey) return;
  m.listedKey = key;
  if (left === 0) return;
  const seen = m.listedPhys;
  seen.length = 0;
  // Slots are taken lowest first, so the listed ones are found within a few; stop once all were seen.
  for (let s = 0; s < c.capacity && left > 0; s++) {
    if (c.get(s, CmdField.STATE) !== CmdState.LISTED) continue;
    left--;
    if (c.get(s, CmdField.CANCELLED) === 1) continue;
    const phys = c.get(s, CmdField.PHYS) >>> 0;
    if (seen.includes(phys)) m.fail('I9', actor, `two uncancelled commands pending at ${hex(phys)}`);
    seen.push(phys);
    const gen = c.get(s, CmdField.GEN) >>> 0;
    if (gen !== 0 && !m.w.holds(phys, gen))
      m.fail(
        'I9',
        actor,
        `command ${c.get(s, CmdField.ID)} pending at ${hex(phys)} whose request (gen ${gen}) was freed`,
      );
  }
}

/** Coverage: a signal pending while a thread is in its grace wait, or in a connect / disconnect. */
export function signalTags(m: Monitor): void {
  // Most steps no signal is pending anywhere: then there is nothing to look at.
  let any = false;
  for (const p of m.ports) any ||= p.signalPending();
  if (!any) return;
  for (let i = 0; i < m.actorIds.length; i++) {
    const id = m.actorIds[i]!;
    const a = m.actorStates[i]!;
    if (a.phase !== 'grace' && a.phase !== 'wait') continue;
    const t = m.thread(id);
    const vcpu = t === undefined ? undefined : m.load.threads[t]?.vcpu;
    if (vcpu === undefined || !m.ports[vcpu]!.signalPending()) continue;
    if (a.phase === 'grace') m.tag('signalInGrace');
    else if (a.req !== undefined && !isCall(a.req.type)) m.tag('signalDuringConnect');
  }
}
