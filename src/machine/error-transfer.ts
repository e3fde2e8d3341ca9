// Errors a guest program throws reach Machine.run's caller with their class and fields: comlink's own
// transfer of a thrown error keeps only message, name and stack, so a GuestFsError arrived as a plain
// Error without its code or errno. Installed on both sides of the vCPU channel (main and vCPU threads).
import * as Comlink from 'comlink';
import { errorFields, reviveError } from '../runtime/index.js';

/** comlink's serialized form of a thrown value. */
interface Thrown {
  readonly isError: boolean;
  readonly value: unknown;
}

let installed = false;

/** Wrap comlink's "throw" transfer handler (once per thread) to carry error fields and classes. */
export function installErrorTransfer(): void {
  if (installed) return;
  installed = true;
  // SAFETY: comlink registers "throw" itself; its serialized form is { isError, value }.
  const base = Comlink.transferHandlers.get('throw') as Comlink.TransferHandler<{ value: unknown }, Thrown>;
  Comlink.transferHandlers.set('throw', {
    canHandle: (v: unknown): v is { value: unknown } => base.canHandle(v),
    serialize(thrown: { value: unknown }): ReturnType<typeof base.serialize> {
      const [out, transfer] = base.serialize(thrown);
      const e = thrown.value;
      if (!(e instanceof Error) || !out.isError) return [out, transfer];
      // SAFETY: for an Error comlink's value is a plain object of message, name and stack.
      return [{ isError: true, value: { ...errorFields(e), ...(out.value as object) } }, transfer];
    },
    deserialize(data: Thrown): never {
      try {
        base.deserialize(data);
      } catch (e) {
        throw e instanceof Error ? reviveError(e) : e;
      }
      throw new Error('comlink did not rethrow a thrown value');
    },
  });
}
