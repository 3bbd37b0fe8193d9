import type { CommandError } from '../../../common/contract';

/** The host's message for one field ("amount", "orderReference", …), if it named that field. */
export function issueFor(error: CommandError | null | undefined, path: string): string | null {
  const issue = error?.issues?.find((i) => i.path === path || i.path.startsWith(`${path}.`));
  return issue ? issue.message : null;
}

/**
 * The error after a list's rows moved (`${list}.${index}…` issues): each row's issues follow it to
 * `moved(index)`, a removed row's (null) go, and one about the whole list goes too (it was about the
 * rows as they were). A validation error with nothing left to point at is no error any more.
 */
export function followRows(
  error: CommandError,
  list: string,
  moved: (index: number) => number | null,
): CommandError | null {
  if (!error.issues) return error;
  const issues = error.issues.flatMap((issue) => {
    if (issue.path === list) return [];
    if (!issue.path.startsWith(`${list}.`)) return [issue];
    const [index = '', ...rest] = issue.path.slice(list.length + 1).split('.');
    if (!/^\d+$/.test(index)) return [issue];
    const to = moved(Number(index));
    return to === null ? [] : [{ ...issue, path: [list, to, ...rest].join('.') }];
  });
  return error.code === 'validation' && issues.length === 0 ? null : { ...error, issues };
}

/**
 * The error once the fields at `paths` were edited: what was said about each of them (and anything
 * under it) goes, the rest stays. An error whose every issue went is no error any more: its message
 * was about those fields (an order already paid, with the reference now changed). The one home of
 * "a field's error clears when that field is edited" (Create payment).
 */
export function withoutIssues(error: CommandError | null, paths: readonly string[]): CommandError | null {
  if (!error?.issues || paths.length === 0) return error;
  const edited = (path: string) => paths.some((p) => path === p || path.startsWith(`${p}.`));
  const issues = error.issues.filter((issue) => !edited(issue.path));
  if (issues.length === error.issues.length) return error;
  return issues.length === 0 ? null : { ...error, issues };
}

/**
 * Whether the command surely did not happen. A queued operation, or one whose answer was lost
 * (internal), may still happen or have happened: "Not refunded." above it would be wrong.
 */
export function surelyNotDone(error: CommandError): boolean {
  return !(error.code === 'offline' && error.queued) && error.code !== 'internal';
}

/** What the cashier can do about an error, by its code. */
export function adviceFor(error: CommandError): string | null {
  switch (error.code) {
    case 'offline':
      // A queued operation's message already says what happens to it; a throttled one's, that the
      // gateway answers (only slowing the till down) and when to try again.
      return error.queued || error.retryAfterMs !== undefined
        ? null
        : 'The gateway is unreachable. Nothing was done; try again when it is back.';
    case 'unauthorized':
      return 'The API key was refused. Check the keys on the Settings screen (F7).';
    // No key was set, so none was refused: the host's message already says to add them.
    case 'not_configured':
      return null;
    case 'test_mode_only':
      return 'This only works in test mode.';
    case 'not_found':
      return 'It no longer exists, or it was never created.';
    default:
      return null;
  }
}
