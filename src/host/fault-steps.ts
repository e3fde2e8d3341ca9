// The host's steps as the faults of runtime/faults.ts replace them: each wrong version is written in terms
// of the correct steps it is handed, so the protocol files (complete.ts, call.ts) hold only the rules.
// Those files import this one, so it imports only types from them (a value import would be a cycle).
// Runs wherever those steps run: a host worker thread, or the thread handling a port write.
import { type FaultVariants, point } from '../runtime/index.js';
import { freeCommand } from '../vmmdev/index.js';
import type { CallSteps } from './call.js';
import type { CompletionSteps } from './complete.js';
import { setDone } from './marshal.js';

/** Faults of completion (complete.ts). */
export const COMPLETION_FAULTS: FaultVariants<CompletionSteps> = {
  // The cancel mark is read before the command leaves the list: a cancel in between is missed.
  'check-before-remove': () => ({
    *takeOff(env, cmd) {
      yield point('host.complete.checkCancelled', cmd.phys, cmd.id);
      const cancelled = env.cmds.isCancelled(cmd.slot);
      yield point('host.complete.remove', cmd.phys, cmd.id);
      if (!(yield* env.cmds.remove(cmd.slot, cmd.id))) return 'gone';
      return cancelled ? 'cancelled' : 'live';
    },
  }),
  // A second completion of a call carries on although the command already left the list.
  'double-complete': (s) => ({
    *takeOff(env, cmd) {
      const state = yield* s.takeOff(env, cmd);
      if (state !== 'gone') return state;
      yield point('host.complete.checkCancelled', cmd.phys, cmd.id);
      return env.cmds.isCancelled(cmd.slot) ? 'cancelled' : 'live';
    },
  }),
  // Completion writes back a command the guest cancelled.
  'host-ignores-cancel': (s) => ({
    *takeOff(env, cmd) {
      const state = yield* s.takeOff(env, cmd);
      return state === 'cancelled' ? 'live' : state;
    },
  }),
  // DONE is set before parameters and result are written.
  'done-before-results': (s) => ({
    *writeResults(env, cmd, rc, results) {
      setDone(env.mem, cmd.phys);
      return yield* s.writeResults(env, cmd, rc, results);
    },
  }),
  // Completion sets DONE but raises no interrupt: waiters notice only at their deadline.
  'irq-no-raise': () => ({ raiseIrq: () => undefined }),
};

/** Faults of a call on the host (call.ts). */
export const CALL_FAULTS: FaultVariants<CallSteps> = {
  // HOST FAULT: the host loses the call (VM reset, completion-copy allocation failure): taken off the list,
  // never written back, no DONE.
  'host-drop': () => ({
    *serve(c) {
      const { env } = c.host;
      // ORDER: counted in the step that takes the command off the list (remove's last step), so a watcher
      // of the list sees the drop and the removal together; a call already off the list is not dropped.
      if (!(yield* env.cmds.remove(c.cmd.slot, c.cmd.id))) return;
      env.stats.add('host.dropped');
      freeCommand(env, c.cmd);
    },
  }),
  // A call cancelled before a host worker took it is started anyway, its input read from guest memory the
  // guest may have reused.
  'start-cancelled': (s) => ({
    *capture(c) {
      yield* s.capture(c);
      return true;
    },
  }),
  // A second completion of a call goes through too.
  'double-complete': () => ({ again: (c, rc) => c.host.spawn(c.finish(rc)) }),
};
