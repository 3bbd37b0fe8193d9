import { describe, expect, it } from 'vitest';
import type { GatewayRow, JournalRow } from '../../main/reports';
import { reconcile } from '../../main/reports';

function j(overrides: Partial<JournalRow> & { id: string }): JournalRow {
  return {
    gatewayId: `tr_${overrides.id}`,
    orderReference: `ORD-${overrides.id}`,
    amount: 1000,
    currency: 'EUR',
    status: 'succeeded',
    readerLabel: 'Counter 1',
    ...overrides,
  };
}

function g(overrides: Partial<GatewayRow> & { id: string }): GatewayRow {
  return {
    orderReference: null,
    amount: 1000,
    currency: 'EUR',
    status: 'succeeded',
    ...overrides,
  };
}

describe('reconciliation', () => {
  it('is clean when the three agree', () => {
    const result = reconcile({
      journal: [j({ id: '1' }), j({ id: '2', amount: 500 })],
      gateway: [g({ id: 'tr_1' }), g({ id: 'tr_2', amount: 500 })],
      terminal: [{ currency: 'EUR', count: 2, amount: 1500 }],
    });
    expect(result).toEqual({
      ok: true,
      matchedByGatewayId: 2,
      matchedByOrderReference: 0,
      differences: [],
      totals: [
        {
          currency: 'EUR',
          journal: { count: 2, amount: 1500 },
          gateway: { count: 2, amount: 1500 },
          terminal: { count: 2, amount: 1500 },
          terminalJournal: { count: 2, amount: 1500 },
        },
      ],
      uncheckedJournal: 0,
    });
  });

  it('calls no payment journal only when the gateway list was read in part, and is not ok', () => {
    const result = reconcile({
      journal: [j({ id: '1' }), j({ id: '2', amount: 500 })],
      gateway: [g({ id: 'tr_1' })],
      gatewayComplete: false,
    });
    expect(result).toMatchObject({ ok: false, matchedByGatewayId: 1, differences: [], uncheckedJournal: 1 });
  });

  it('pairs by order reference when the journal never got the gateway id', () => {
    const result = reconcile({
      journal: [j({ id: '1', gatewayId: null, orderReference: 'ORD-A' })],
      gateway: [g({ id: 'tr_x', orderReference: 'ORD-A' })],
    });
    expect(result).toMatchObject({ ok: true, matchedByGatewayId: 0, matchedByOrderReference: 1 });
  });

  it('pairs a retried order with the attempt of the same amount', () => {
    const result = reconcile({
      journal: [
        j({ id: '1', gatewayId: null, orderReference: 'ORD-R', status: 'failed', amount: 900 }),
        j({ id: '2', gatewayId: null, orderReference: 'ORD-R', amount: 1000 }),
      ],
      gateway: [
        g({ id: 'tr_b', orderReference: 'ORD-R', amount: 1000 }),
        g({ id: 'tr_a', orderReference: 'ORD-R', amount: 900, status: 'failed' }),
      ],
    });
    expect(result).toMatchObject({ ok: true, matchedByOrderReference: 2 });
  });

  it('names each cause: gateway only, journal only, amounts differ (captured too), status differs', () => {
    const result = reconcile({
      journal: [
        j({ id: 'same' }),
        j({ id: 'mine', gatewayId: null, orderReference: 'ORD-LOCAL' }),
        j({ id: 'amt', amount: 1200 }),
        j({ id: 'cur', currency: 'USD' }),
        j({ id: 'ref', status: 'partially_refunded', refunded: 200 }),
        j({ id: 'cap', captured: 1000 }),
        j({ id: 'st', status: 'unknown' }),
      ],
      gateway: [
        g({ id: 'tr_same' }),
        g({ id: 'tr_theirs', orderReference: 'ORD-REMOTE', amount: 4242 }),
        g({ id: 'tr_amt', amount: 1000 }),
        g({ id: 'tr_cur' }),
        g({ id: 'tr_ref', status: 'partially_refunded', refunded: 300 }),
        g({ id: 'tr_cap', captured: 600 }),
        g({ id: 'tr_st', status: 'succeeded' }),
      ],
    });
    expect(result.ok).toBe(false);
    expect(result.differences.map((d) => [d.cause, d.journalId, d.gatewayId, d.message])).toEqual([
      ['journal_only', 'mine', null, "payment mine (succeeded, €10.00) is not in the gateway's list"],
      ['amounts_differ', 'amt', 'tr_amt', 'amount: journal €12.00, gateway €10.00'],
      ['amounts_differ', 'cur', 'tr_cur', 'amount: journal $10.00, gateway €10.00'],
      ['amounts_differ', 'ref', 'tr_ref', 'refunded: journal €2.00, gateway €3.00'],
      ['amounts_differ', 'cap', 'tr_cap', 'captured: journal €10.00, gateway €6.00'],
      ['status_differs', 'st', 'tr_st', 'status: journal unknown, gateway succeeded'],
      ['gateway_only', null, 'tr_theirs', 'gateway transaction tr_theirs (succeeded, €42.42) is not in the journal'],
    ]);
  });

  it("compares the terminal's totals with the journal's approved payments, per reader when given", () => {
    const journal = [
      j({ id: '1' }),
      j({ id: '2', readerLabel: 'Counter 2', amount: 700 }),
      j({ id: '3', status: 'failed', amount: 5000 }),
    ];
    const gateway = [
      g({ id: 'tr_1' }),
      g({ id: 'tr_2', amount: 700 }),
      g({ id: 'tr_3', status: 'failed', amount: 5000 }),
    ];
    const result = reconcile({
      journal,
      gateway,
      terminal: [
        { currency: 'EUR', count: 1, amount: 1000, readerLabel: 'Counter 1' },
        { currency: 'EUR', count: 2, amount: 1400, readerLabel: 'Counter 2' },
      ],
    });
    expect(result.differences).toEqual([
      {
        cause: 'terminal_differs',
        currency: 'EUR',
        journalId: null,
        gatewayId: null,
        orderReference: null,
        message: 'terminal Counter 2: 2 approved for €14.00, journal 1 for €7.00',
      },
    ]);
    expect(result.totals[0]).toEqual({
      currency: 'EUR',
      journal: { count: 2, amount: 1700 },
      gateway: { count: 2, amount: 1700 },
      terminal: { count: 3, amount: 2400 },
      // What the journal says of the same two terminals, the figure the tickets were compared with.
      terminalJournal: { count: 2, amount: 1700 },
    });
  });

  it('never pairs one gateway row twice', () => {
    const result = reconcile({
      journal: [j({ id: '1', gatewayId: 'tr_dup' }), j({ id: '2', gatewayId: 'tr_dup' })],
      gateway: [g({ id: 'tr_dup' })],
    });
    expect(result.matchedByGatewayId).toBe(1);
    expect(result.differences.map((d) => [d.cause, d.journalId])).toEqual([['journal_only', '2']]);
  });
});
