/** A day at the counter (Paris, 2026-03-29: the 23-hour day), for the report tests and goldens. */
import { keptTip, type ReportCapture, type ReportPayment, type ReportRefund } from '../../main/reports';

export const TZ = 'Europe/Paris';
export const DATE = '2026-03-29';

let n = 0;
export function payment(overrides: Partial<ReportPayment>): ReportPayment {
  n++;
  const id = overrides.id ?? `pay_${String(n).padStart(3, '0')}`;
  return {
    id,
    orderReference: `ORD-${String(n).padStart(3, '0')}`,
    createdAt: '2026-03-29T09:00:00.000Z',
    status: 'succeeded',
    amount: 1000,
    tip: 0,
    currency: 'EUR',
    captured: 1000,
    capturable: 0,
    refunded: 0,
    cardBrand: 'visa',
    readerLabel: 'Counter 1',
    gateway: 'PlutoPay',
    movedBy: 'PlutoPay',
    gatewayId: `tr_${id}`,
    attention: false,
    ...overrides,
  };
}

/** A refund of `of`, made at `at` (by default when the payment was made). */
export function refund(of: ReportPayment, amount: number, at = of.createdAt): ReportRefund {
  return {
    paymentId: of.id,
    orderReference: of.orderReference,
    at,
    amount,
    currency: of.currency,
    cardBrand: of.cardBrand,
    readerLabel: of.readerLabel,
    ...(of.movedBy !== undefined ? { movedBy: of.movedBy } : {}),
  };
}

/**
 * Each payment's captured amount as one capture made when it was (automatic capture): the fixtures'
 * captures, each with the tip it brought in (as the host gives them).
 */
export function sameDayCaptures(payments: readonly ReportPayment[]): ReportCapture[] {
  return payments
    .filter((p) => p.captured !== 0)
    .map((p) => withTip(refund(p, p.captured), keptTip(p.amount, p.tip, p.captured, 0)));
}

/** Each payment's refunded amount as one refund made in its own day: the fixtures' refunds, with the tip given back. */
export function sameDayRefunds(payments: readonly ReportPayment[]): ReportRefund[] {
  return payments
    .filter((p) => p.refunded !== 0)
    .map((p) =>
      withTip(
        refund(p, p.refunded),
        keptTip(p.amount, p.tip, p.captured, 0) - keptTip(p.amount, p.tip, p.captured, p.refunded),
      ),
    );
}

function withTip<T extends ReportCapture>(entry: T, tip: number): T {
  return tip === 0 ? entry : { ...entry, tip };
}

/** Deterministic ids: call before building a fixture list. */
export function resetIds(): void {
  n = 0;
}

export function dayPayments(): ReportPayment[] {
  resetIds();
  return [
    // 00:30 local (23:30 UTC the day before): in the day
    payment({ createdAt: '2026-03-28T23:30:00.000Z', amount: 1250, captured: 1250 }),
    // with a 15 % tip
    payment({ amount: 1438, tip: 188, captured: 1438, cardBrand: 'mastercard' }),
    // refunded in part, on the second reader: a terminal charging through the shop's own bank
    payment({
      gateway: "Terminal (shop's bank)",
      movedBy: "Terminal (shop's bank)",
      gatewayId: null,
      amount: 4200,
      captured: 4200,
      refunded: 1250,
      status: 'partially_refunded',
      readerLabel: 'Counter 2',
      createdAt: '2026-03-29T14:00:00.000Z',
    }),
    // refunded in full
    payment({ amount: 800, captured: 800, refunded: 800, status: 'refunded', createdAt: '2026-03-29T15:00:00.000Z' }),
    // manual capture, still authorised
    payment({ amount: 5000, captured: 0, capturable: 5000, status: 'requires_capture', cardBrand: 'amex' }),
    // declined, canceled
    payment({ amount: 999, captured: 0, status: 'failed', gatewayId: null }),
    payment({ amount: 300, captured: 0, status: 'canceled', cardBrand: null }),
    // yen on the second reader
    payment({
      amount: 1500,
      tip: 150,
      captured: 1500,
      currency: 'JPY',
      readerLabel: 'Counter 2',
      cardBrand: 'jcb',
      createdAt: '2026-03-29T16:00:00.000Z',
    }),
    // outcome unknown: needs attention
    payment({
      amount: 2000,
      captured: 0,
      status: 'unknown',
      attention: true,
      attentionReason: 'The reader went silent after taking the card',
      createdAt: '2026-03-29T17:00:00.000Z',
    }),
    // 23:59 local (21:59 UTC, CEST): still in the day
    payment({ createdAt: '2026-03-29T21:59:00.000Z', amount: 500, captured: 500, readerLabel: null }),
    // 00:00 local the next day (22:00 UTC): out
    payment({ createdAt: '2026-03-29T22:00:00.000Z', amount: 7777, captured: 7777 }),
    // the day before: out
    payment({ createdAt: '2026-03-28T22:59:59.000Z', amount: 8888, captured: 8888 }),
  ];
}
