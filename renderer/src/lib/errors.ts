import type { CommandError } from '../../../common/contract';

/** The host's message for one field ("amount", "orderReference", …), if it named that field. */
export function issueFor(error: CommandError | null | undefined, path: string): string | null {
  const issue = error?.issues?.find((i) => i.path === path || i.path.startsWith(`${path}.`));
  return issue ? issue.message : null;
}

/** What the cashier can do about an error, by its code. */
export function adviceFor(error: CommandError): string | null {
  switch (error.code) {
    case 'offline':
      return error.queued
        ? 'The gateway is unreachable. The operation was queued and will be sent when it is back.'
        : 'The gateway is unreachable. Nothing was done; try again when it is back.';
    case 'unauthorized':
      return 'The API key was refused. Check the keys on the Settings screen (F7).';
    case 'conflict':
      return 'The payment or reader changed in the meantime; the screen shows its current state.';
    case 'test_mode_only':
      return 'This only works in test mode.';
    case 'not_found':
      return 'It no longer exists, or it was never created.';
    default:
      return null;
  }
}
