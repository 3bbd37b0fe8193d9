/**
 * The contract's commands as the fuzz tests see them: which ones only read, and one valid input per
 * command (the seeds mutations start from). Shared by the in-process contract fuzz and the bridge fuzz.
 */
import { isCommandName, parseCommandInput, type CommandName } from '../../common/contract';

export const READ_ONLY: ReadonlySet<string> = new Set([
  'session.snapshot',
  'payments.list',
  'payments.uncaptured',
  'payments.open',
  'transactions.list',
  'transactions.get',
  'readers.list',
  // Looks for devices and reads the gateway's readers again: nothing of the till's changes.
  'readers.scan',
  'settings.get',
  'devlog.list',
  'attention.list',
  // Reads the gateway's disputes again: the journal learns what the gateway says, the till changes nothing.
  'disputes.list',
  'settlements.list',
  'installments.list',
  'savedCards.list',
  'receipts.render',
  'receipts.list',
  'reports.x',
  'reports.list',
  'reports.get',
  'reports.reconcile',
  'reports.csv',
  'display.snapshot',
]);

/**
 * Whether a fuzz case may be sent as bad input: always to a read-only command or a name that is no
 * command, to one that changes something only when the contract's own validator refuses the input.
 * A mutation can land on an input the command takes (`{}` where every field is optional, a key the
 * seed lacks but the command has): sent, it would do its work, or be refused for what it names.
 */
export function fuzzCaseIsBad(name: string, input: unknown): boolean {
  return READ_ONLY.has(name) || !isCommandName(name) || !parseCommandInput(name, input).ok;
}

/** One valid input per command: the seeds the mutations start from. */
export const VALID: Record<CommandName, Record<string, unknown>> = {
  'session.snapshot': {},
  'payments.create': {
    amount: 1250,
    currency: 'EUR',
    description: 'x',
    orderReference: 'O-1',
    requestId: 'req_abcdefgh1234',
    captureMethod: 'manual',
    receiptEmail: 'a@b.co',
    splits: [{ merchantId: 'm-1', settlementReference: 'r 1', amount: 1250, onHold: true }],
  },
  'payments.setTip': { paymentId: 'pay_abcdefgh12345678', tip: { kind: 'percent', percent: 15 } },
  'payments.process': { paymentId: 'pay_abcdefgh12345678', readerId: 'rdr_abc' },
  'payments.cancel': { paymentId: 'pay_abcdefgh12345678' },
  'payments.cancelCreate': { requestId: 'req_abcdefgh1234', orderReference: 'O-1' },
  'payments.capture': { paymentId: 'pay_abcdefgh12345678', amount: 100 },
  'payments.refund': { paymentId: 'pay_abcdefgh12345678', amount: 100, reason: 'r' },
  'payments.list': { filter: 'all', limit: 10 },
  'payments.uncaptured': { offset: 0, limit: 10 },
  'payments.open': { offset: 0, limit: 10 },
  'transactions.list': { search: 'a', status: 'pending', page: 1, size: 10 },
  'transactions.get': { transactionId: '01a1fe48-3b93-7e92-a497-af21643e6c44' },
  'readers.list': {},
  'readers.scan': {},
  'readers.pair': { registrationCode: 'simulated-x', label: 'L' },
  'readers.addSimulated': { label: 'L' },
  'readers.reconnect': { readerId: 'rdr_abc' },
  'readers.forget': { readerId: 'rdr_abc' },
  'readers.configure': { readerId: 'rdr_abc', label: 'Desk' },
  'simulate.presentCard': { readerId: 'rdr_abc', cardNumber: '4242424242424242' },
  'simulate.setFault': { readerId: 'rdr_abc', fault: 'timeout' },
  'simulate.payLink': { paymentId: 'pay_abcdefgh12345678', cardNumber: '4242424242424242' },
  'savedCards.list': { customer: 'ada@example.com' },
  'savedCards.forget': { cardId: 'card_abc123' },
  'installments.create': {
    amount: 30000,
    currency: 'EUR',
    count: 3,
    customer: { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' },
  },
  'installments.list': {},
  'installments.get': { planId: 'ipl_abcdefgh12345678' },
  'installments.abort': { planId: 'ipl_abcdefgh12345678' },
  'payments.annotate': { paymentId: 'pay_abcdefgh12345678', note: 'gift wrapped' },
  'settlements.list': { held: true, offset: 0, limit: 10 },
  'settlements.release': { paymentId: 'pay_abcdefgh12345678', splitId: 'v1-abc-ss-a', amount: 500 },
  'settlements.cancel': { paymentId: 'pay_abcdefgh12345678', splitId: 'v1-abc-ss-a' },
  'receipts.render': { paymentId: 'pay_abcdefgh12345678', copy: 'merchant', format: 'html', width: 32 },
  'receipts.print': { paymentId: 'pay_abcdefgh12345678', copies: 'both' },
  'receipts.email': { paymentId: 'pay_abcdefgh12345678', email: 'ada@example.com' },
  'receipts.list': { paymentId: 'pay_abcdefgh12345678' },
  'reports.x': { date: '2026-03-29' },
  'reports.close': { date: '2026-03-29', closedBy: 'Ada', override: { by: 'Ada', reason: 'checked' } },
  'reports.list': { limit: 5 },
  'reports.get': { number: 1 },
  'reports.reconcile': { date: '2026-03-29', terminal: [{ currency: 'EUR', count: 1, amount: 100 }] },
  'reports.csv': { date: '2026-03-29' },
  'reports.print': { number: 1 },
  'display.snapshot': {},
  'customer.chooseTip': { paymentId: 'pay_abcdefgh12345678', tip: { kind: 'custom', amount: 100 } },
  'display.takeDown': { paymentId: 'pay_abcdefgh12345678' },
  'settings.get': {},
  'settings.update': { mode: 'test', autoPresentDelayMs: 10 },
  'settings.newDisplayAddress': {},
  'devlog.list': { limit: 5 },
  'attention.list': {},
  'disputes.list': { refresh: true },
  'attention.retry': { paymentId: 'pay_abcdefgh12345678' },
  'attention.resolve': { paymentId: 'pay_abcdefgh12345678', resolution: 'dismiss' },
};
