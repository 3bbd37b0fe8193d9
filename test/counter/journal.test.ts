/** The journal's counter-day tables and columns: tips, terminal data, receipts, immutable Z reports. */
import { describe, expect, it } from 'vitest';
import { Journal, newPaymentRecord, terminalLinesOf } from '../../main/store/journal';
import { openDatabase } from '../../main/store/sqlite';
import { FakeClock } from '../support/fake-clock';

function journal() {
  return new Journal(openDatabase(':memory:'), new FakeClock(Date.parse('2026-03-29T10:00:00Z')));
}

function payment(id = 'pay_tip000000001') {
  return newPaymentRecord({
    id,
    gateway: 'plutopay',
    mode: 'test',
    orderReference: `ORD-${id}`,
    attempt: 1,
    idempotencyKey: `pos-${id}`,
    origin: 'local',
    amount: 1438,
    currency: 'EUR',
    captureMethod: 'automatic',
    status: 'creating',
    preTipAmount: 1250,
    tipAmount: 188,
    tipPercent: 15,
    tipState: 'chosen',
  });
}

describe('journal: the counter day', () => {
  it('keeps the tip, the reader data and who charged a payment', () => {
    const j = journal();
    j.insertPayment(payment(), 'created');
    const updated = j.updatePayment('pay_tip000000001', {
      entryMode: 'contactless',
      authCode: 'A1B2C3',
      terminalLines: JSON.stringify(['CARTE BANCAIRE', '  SANS CONTACT']),
      chargedBy: 'terminal',
    });
    expect(updated).toMatchObject({
      amount: 1438,
      preTipAmount: 1250,
      tipAmount: 188,
      tipPercent: 15,
      tipState: 'chosen',
      entryMode: 'contactless',
      authCode: 'A1B2C3',
      chargedBy: 'terminal',
    });
    expect(terminalLinesOf(updated)).toEqual(['CARTE BANCAIRE', '  SANS CONTACT']);
    expect(terminalLinesOf({ terminalLines: 'not json' })).toEqual([]);
  });

  it('a payment without tipping has no pre-tip amount and is charged by the gateway', () => {
    const j = journal();
    const record = j.insertPayment(
      newPaymentRecord({
        id: 'pay_plain0000001',
        gateway: 'plutopay',
        mode: 'test',
        orderReference: 'ORD-PLAIN',
        attempt: 1,
        idempotencyKey: 'pos-ORD-PLAIN-1',
        origin: 'local',
        amount: 500,
        currency: 'EUR',
        captureMethod: 'automatic',
        status: 'creating',
      }),
      'created',
    );
    expect(record).toMatchObject({ preTipAmount: null, tipAmount: 0, tipState: null, chargedBy: 'gateway' });
  });

  it('records receipts printed, failed and asked for by email', () => {
    const j = journal();
    j.insertPayment(payment(), 'created');
    const job = j.addReceipt({
      paymentId: 'pay_tip000000001',
      channel: 'print',
      copies: 'both',
      duplicate: false,
      destination: '/dev/ttyUSB0',
      state: 'pending',
      error: null,
    });
    expect(j.pendingReceipts().map((r) => r.id)).toEqual([job.id]);
    j.updateReceipt(job.id, { state: 'failed', error: 'the printer is out of paper' });
    j.addReceipt({
      paymentId: 'pay_tip000000001',
      channel: 'email',
      copies: 'customer',
      duplicate: false,
      destination: 'ada@example.com',
      state: 'requested',
      error: null,
    });
    expect(j.pendingReceipts()).toEqual([]);
    expect(j.receiptsFor('pay_tip000000001')).toEqual([
      expect.objectContaining({
        channel: 'print',
        state: 'failed',
        error: 'the printer is out of paper',
        duplicate: false,
      }),
      expect.objectContaining({ channel: 'email', state: 'requested', destination: 'ada@example.com' }),
    ]);
  });

  it('keeps Z reports append-only: numbered per mode, one per business day, never changed or deleted', () => {
    const j = journal();
    const z = {
      mode: 'test' as const,
      number: 1,
      businessDate: '2026-03-29',
      windowStart: '2026-03-28T23:00:00.000Z',
      windowEnd: '2026-03-29T22:00:00.000Z',
      closedAt: '2026-03-29T21:00:00.000Z',
      closedBy: 'Ada',
      override: { by: 'Ada', reason: 'terminal ticket checked' },
      report: '{}',
      reconciliation: null,
      digest: 'abc',
    };
    j.insertZReport(z);
    expect(j.lastZReport('test')).toEqual(z);
    expect(j.lastZReport('live')).toBeUndefined();
    expect(j.zReportFor('test', '2026-03-29')?.number).toBe(1);
    expect(() => j.insertZReport({ ...z, number: 2 })).toThrow(/UNIQUE/);
    expect(() => j.insertZReport({ ...z, businessDate: '2026-03-30' })).toThrow(/UNIQUE|PRIMARY/);
    const db = (j as unknown as { db: { exec(sql: string): void } }).db;
    expect(() => db.exec(`UPDATE z_reports SET closed_by = 'Eve'`)).toThrow(/immutable/);
    expect(() => db.exec('DELETE FROM z_reports')).toThrow(/immutable/);
    expect(j.listZReports('test', 10)).toHaveLength(1);
  });

  it('marks a reader as charging through its own bank, and keeps it across re-pairing', () => {
    const j = journal();
    j.upsertReader({
      id: 'rdr_1',
      deviceId: 'serial:/dev/ttyACM0',
      kind: 'concert',
      label: 'Desk',
      registrationCode: '',
      terminalId: null,
      gatewayReaderId: null,
    });
    expect(j.getReader('rdr_1')?.standalone).toBe(false);
    j.setReaderStandalone('rdr_1', true);
    const record = j.getReader('rdr_1')!;
    j.upsertReader({ ...record, terminalId: null, gatewayReaderId: null });
    j.upsertReader({
      id: 'rdr_1',
      deviceId: record.deviceId,
      kind: 'concert',
      label: 'Desk 2',
      registrationCode: '',
      terminalId: null,
      gatewayReaderId: null,
    });
    expect(j.listReaders()).toEqual([expect.objectContaining({ id: 'rdr_1', label: 'Desk 2', standalone: true })]);
  });
});
