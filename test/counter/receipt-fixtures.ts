/** The receipts the golden files cover, one per kind the counter prints. */
import type { ReceiptInput } from '../../main/receipts';

export const BASE: ReceiptInput = {
  shop: {
    name: 'Café des Arts',
    addressLines: ['12 rue de la Paix', '75002 Paris'],
    footerLines: ['VAT FR12345678901', 'Merci et à bientôt !'],
  },
  paymentId: 'pay_01JQ7Z3M4X9K',
  orderReference: 'ORD-2026-0042',
  createdAt: '2026-03-29T12:05:09.000Z',
  timeZone: 'Europe/Paris',
  amount: 1250,
  tip: 0,
  total: 1250,
  currency: 'EUR',
  status: { kind: 'approved' },
  card: { brand: 'visa', last4: '0119' },
  entryMode: 'contactless',
  authCode: 'A00001',
  gateway: { name: 'PlutoPay', reference: 'tr_7QK2M9' },
  readerLabel: 'Counter 1',
  testMode: false,
  copy: 'customer',
};

export const RECEIPTS: Record<string, ReceiptInput> = {
  approved: BASE,
  declined: {
    ...BASE,
    status: { kind: 'declined', reason: 'Insufficient funds', code: 'insufficient_funds' },
    authCode: null,
  },
  // A payment link that expired unpaid: no card was refused.
  'not-completed': {
    ...BASE,
    status: { kind: 'not_completed', reason: 'The payment page expired before it was paid.', code: 'link_expired' },
    authCode: null,
    card: null,
    entryMode: null,
    readerLabel: null,
    gateway: { name: 'PayPlug', reference: 'pay_5Xk2Lb9QmV' },
  },
  canceled: { ...BASE, status: { kind: 'canceled' }, authCode: null, card: null, entryMode: null },
  refunded: {
    ...BASE,
    copy: 'merchant',
    status: { kind: 'refunded' },
    refunds: [{ amount: 1250, at: '2026-03-29T13:10:00.000Z', reference: 're_3Lb8' }],
  },
  'partially-refunded': {
    ...BASE,
    amount: 4200,
    total: 4200,
    status: { kind: 'partially_refunded' },
    refunds: [
      { amount: 500, at: '2026-03-29T13:10:00.000Z', reference: 're_3Lb8' },
      { amount: 750, at: '2026-03-29T15:45:00.000Z', reference: 're_9Tq1' },
    ],
  },
  // A Plural payment shared between two merchants: one share released in part (the rest refunded,
  // not recovered), one refunded from by name; the merchant copy lists them.
  'split-shares': {
    ...BASE,
    copy: 'merchant',
    currency: 'INR',
    amount: 10_000_000,
    total: 10_000_000,
    status: { kind: 'partially_refunded' },
    gateway: { name: 'Plural', reference: 'v1-260329120509-aa-p0K35e' },
    readerLabel: null,
    entryMode: null,
    refunds: [
      { amount: 1_000_000, at: '2026-03-29T13:10:00.000Z', reference: 'v1-260329120509-aa-p0K35e-R1' },
      { amount: 50_000, at: '2026-03-29T15:45:00.000Z', reference: 'v1-260329120509-aa-p0K35e-R2' },
    ],
    shares: [
      {
        merchant: '1324',
        reference: 'stall-7',
        amount: 6_000_000,
        status: 'RELEASED',
        released: 5_000_000,
        refunded: 1_000_000,
      },
      { merchant: '1233', amount: 4_000_000, status: 'RELEASED', released: 4_000_000, refunded: 50_000 },
    ],
  },
  // The second of three parts of a PayPlug installment plan, charged by PayPlug on its date.
  installment: {
    ...BASE,
    amount: 3000,
    total: 3000,
    orderReference: 'PLAN-7#2',
    readerLabel: null,
    entryMode: null,
    authCode: null,
    gateway: { name: 'PayPlug', reference: 'pay_WPenIlumf6OhJs' },
    installment: { part: 2, of: 3, planTotal: 9000 },
  },
  authorised: { ...BASE, copy: 'merchant', status: { kind: 'authorised' }, entryMode: 'chip' },
  tip: { ...BASE, tip: 188, tipPercent: 15, total: 1438 },
  'terminal-ticket': {
    ...BASE,
    copy: 'merchant',
    terminalLines: [
      '      CARTE BANCAIRE',
      '        SANS CONTACT',
      'A0000000031010',
      'CAFE DES ARTS',
      '75002 PARIS',
      '1234567  29/03/26 14:05',
      '************0119',
      'MONTANT REEL = 12,50 EUR',
      'DEBIT',
      'TICKET COMMERCANT A CONSERVER',
    ],
  },
  'test-mode': { ...BASE, testMode: true, tip: 250, tipPercent: 20, total: 1500 },
  // A real terminal on the shop's own bank, in test mode: it may have charged the card for real.
  'test-mode-shop-bank': {
    ...BASE,
    copy: 'merchant',
    testMode: true,
    shopBankTerminal: true,
    gateway: { name: "Terminal (shop's bank)", reference: 'trm_01JQ7Z3N8B2D', terminal: true },
    readerLabel: 'Desk 5000',
  },
};
