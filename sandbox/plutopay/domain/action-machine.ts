/**
 * A reader action's life, pure: in_progress → succeeded | failed | canceled, once. Results posted
 * over the reader link are idempotent: the same result again is accepted without change, a different
 * one (or any result on a canceled action) is refused.
 */
export type ActionStatus = 'in_progress' | 'succeeded' | 'failed' | 'canceled';

export type ActionResult =
  | { outcome: 'approved'; card: { brand: string; last4: string } | null; auth_code: string | null }
  | { outcome: 'declined' | 'failed'; failure_code: string; failure_message: string };

export type ResultDecision =
  | { kind: 'apply' }
  | { kind: 'replay' }
  | { kind: 'refuse'; code: 'action_finished' | 'action_canceled'; message: string };

/** Canonical JSON of a result, for comparing a repeated post with the stored one. */
export function resultKey(result: ActionResult): string {
  return result.outcome === 'approved'
    ? JSON.stringify([result.outcome, result.card?.brand ?? null, result.card?.last4 ?? null, result.auth_code])
    : JSON.stringify([result.outcome, result.failure_code, result.failure_message]);
}

export function decideResult(status: ActionStatus, stored: string | null, posted: ActionResult): ResultDecision {
  if (status === 'in_progress') return { kind: 'apply' };
  if (status === 'canceled')
    return {
      kind: 'refuse',
      code: 'action_canceled',
      message: 'This action was canceled; its result can no longer be reported.',
    };
  if (stored !== null && stored === resultKey(posted)) return { kind: 'replay' };
  return {
    kind: 'refuse',
    code: 'action_finished',
    message: `This action already finished (${status}) with a different result.`,
  };
}

export function statusFor(result: ActionResult): ActionStatus {
  return result.outcome === 'approved' ? 'succeeded' : 'failed';
}

export function canCancel(status: ActionStatus): boolean {
  return status === 'in_progress';
}
