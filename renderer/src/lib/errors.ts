import type { CommandError } from '../../../common/contract';
import { sentence } from './format';

/** The host's message for one field ("amount", "orderReference", …), if it named that field, as a sentence. */
export function issueFor(error: CommandError | null | undefined, path: string): string | null {
  const issue = error?.issues?.find((i) => i.path === path || i.path.startsWith(`${path}.`));
  return issue ? fieldSentence(issue.path, issue.message) : null;
}

/** What the cashier calls a field the host names by its command path (its last part: `splits.0.amount`). */
const FIELD_NAMES: Readonly<Record<string, string>> = {
  email: 'The email address',
  receiptEmail: 'The receipt email',
  'customer.email': "The customer's email",
  'customer.firstName': "The customer's first name",
  'customer.lastName': "The customer's last name",
  customerId: 'The customer id',
  orderReference: 'The order reference',
  savedCardId: 'The saved card',
  count: 'The number of installments',
  apiBaseUrl: 'The API URL',
  payplugApiBaseUrl: 'The PayPlug API URL',
  payplugNotificationUrl: 'The notification URL',
  pluralApiBaseUrl: 'The Plural API URL',
  pluralClientId: 'The client id',
  pluralClientSecret: 'The client secret',
  pluralSignatureKey: 'The signature key',
  payplugSecretKey: 'The PayPlug secret key',
  autoPresentDelayMs: 'The auto-present delay',
  webhookSecret: 'The webhook signing secret',
  receiptPrinterPort: "The printer's serial port",
  shopAddress: "The shop's address",
  receiptFooter: 'The receipt footer',
  tipPresets: 'The tip presets',
  merchantId: 'The merchant id',
  gatewayPaymentId: "The gateway's payment id",
};

/** "The order reference", "The webhook port": the field's name as the start of a sentence. */
function fieldName(path: string): string {
  const named = FIELD_NAMES[path];
  if (named) return named;
  const last =
    path
      .split('.')
      .filter((part) => !/^\d+$/.test(part))
      .pop() ?? path;
  if (FIELD_NAMES[last]) return FIELD_NAMES[last];
  if (last === '(input)') return 'The form';
  const words = last
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(/\burl\b/g, 'URL')
    .replace(/\bapi\b/g, 'API');
  return `The ${words}`;
}

/**
 * A field's issue as a sentence the cashier understands, naming the field: the host validates in the
 * schema's words ("not an email address", "order reference: 1–64 letters…", zod's "Too big: expected
 * string to have <=500 characters"). The one home of that wording for every screen's fields; a
 * message the screen wrote itself (already a sentence) is kept as it is.
 */
export function fieldSentence(path: string, message: string): string {
  const text = message.trim();
  if (!/^[a-z]/.test(text) && /[.!?…]$/.test(text) && !/^(Too (big|small)|Invalid)\b/.test(text)) return text;
  const name = fieldName(path);
  const bare = name.replace(/^The /, '');
  const capital = bare.charAt(0).toUpperCase() + bare.slice(1);
  const named = text.toLowerCase().includes(bare.replace(/^customer's /i, '').toLowerCase());
  let said: string;
  let match: RegExpExecArray | null;
  if ((match = /^Too big: expected \w+ to have <=?(\d+) (characters|items)/.exec(text))) {
    said = `${capital}: at most ${match[1]} ${match[2] === 'items' ? 'entries' : 'characters'}`;
  } else if (/^Too small: expected \w+ to have >=?1 (characters|items)/.test(text)) {
    said = `${name} is needed`;
  } else if ((match = /^Too small: expected \w+ to have >=?(\d+) (characters|items)/.exec(text))) {
    said = `${capital}: at least ${match[1]} ${match[2] === 'items' ? 'entries' : 'characters'}`;
  } else if ((match = /^Too big: expected number to be <(=?)(\d+)/.exec(text))) {
    said = `${capital}: ${match[1] ? 'at most' : 'less than'} ${match[2]}`;
  } else if ((match = /^Too small: expected number to be >(=?)(\d+)/.exec(text))) {
    said = `${capital}: ${match[1] ? 'at least' : 'more than'} ${match[2]}`;
  } else if (/^Invalid input: expected \w+, received undefined/.test(text)) {
    said = `${name} is needed`;
  } else if (/^Invalid (option|input)/.test(text)) {
    said = `${name} is not one the till accepts`;
  } else if (named && !/^not /.test(text)) {
    // The message names the field itself ("secret key must start with sk_test_ or sk_live_").
    said = `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
  } else if (/^not /.test(text)) {
    said = `${name} is ${text}`;
  } else if ((match = /^([a-z]+(?: [a-z]+){0,2}): (.+)$/s.exec(text))) {
    // The schema named the field itself ("order reference: 1–64 letters, digits or . _ : # / -").
    said = `${match[1]!.charAt(0).toUpperCase()}${match[1]!.slice(1)}: ${match[2]}`;
  } else {
    said = `${capital}: ${text}`;
  }
  return sentence(said);
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
 * "a field's error clears when that field is edited": Create payment, and the amount (and reason,
 * share) of Capture, Refund and a partial release.
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
