/**
 * Request parsing for the `/_sandbox/…` routes every emulator offers in the same shape: the fault
 * settings (PUT …/_sandbox/faults) and the shared clock (POST …/_sandbox/clock).
 */
import { badRequest, commitFailed, invalid } from '../http/errors';
import { Params } from '../http/params';
import type { Context } from './context';
import { faultProblem, type FaultInjector, type Faults } from './faults';
import { groupCommit } from './group-commit';
import { iso } from './time';

/** A PUT …/_sandbox/faults body, limited to the fields this emulator takes. */
export function faultInput(
  body: Readonly<Record<string, unknown>>,
  fields: ReadonlyArray<keyof Faults>,
): Partial<Faults> {
  Params.body(body, fields);
  const input: Record<string, unknown> = {};
  for (const field of fields) {
    const value = body[field];
    if (value === undefined) continue;
    const nullable = field === 'reader_timeout_ms' || field === 'seed';
    if (value === null ? !nullable : typeof value !== 'number') {
      throw badRequest(`${field} must be a number${nullable ? ' or null' : ''}`, field, 'parameter_invalid_type');
    }
    input[field] = value;
  }
  const partial = input as Partial<Faults>;
  const problem = faultProblem(partial);
  if (problem) throw invalid(problem.message, problem.param, 'value_out_of_range');
  return partial;
}

/**
 * POST …/_sandbox/clock {advance_seconds}: moves the clock every emulator shares; answers the new time,
 * written as the emulator writes its timestamps (`stamp`: PlutoPay's by default).
 */
export async function advanceClock(
  ctx: Context,
  body: Readonly<Record<string, unknown>>,
  stamp: (ms: number) => string = iso,
): Promise<{ now: string }> {
  const p = Params.body(body, ['advance_seconds']);
  const seconds = p.int('advance_seconds', { required: true, min: 0, max: 366 * 24 * 3600 });
  if (!(await ctx.advanceClock(seconds * 1000))) throw commitFailed();
  // What the move brought about (an expiry, an installment due) is written by its timers in a group of
  // its own: the answer waits for it, so a read after it sees it, but does not share its fate. The
  // clock has moved either way, and a catch-up whose commit failed is tried again (core/due-timer.ts).
  await groupCommit(ctx.db).committed();
  return { now: stamp(ctx.clock.now()) };
}

/**
 * PUT …/_sandbox/faults: the faults are kept in memory only, and they change once what this turn
 * wrote is committed. When that commit fails the request is answered 500 "nothing was saved", so
 * nothing changes (before, the faults did).
 */
export async function setFaultsAfterCommit(
  ctx: Context,
  faults: FaultInjector,
  partial: Partial<Faults>,
): Promise<Readonly<Faults>> {
  if (!(await groupCommit(ctx.db).committed())) throw commitFailed();
  return faults.set(partial);
}
