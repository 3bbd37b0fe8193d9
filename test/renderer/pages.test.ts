import { describe, expect, it } from 'vitest';
import type { CommandError, PaymentView, Result } from '../../common/contract';
import { readPages, type PaymentPage } from '../../renderer/src/lib/pages';

const payment = (n: number) => ({ id: `pay_${n}` }) as PaymentView;

/** A list of `total` payments served `limit` at a time, recording each read. */
function list(total: number, refuseAt?: number) {
  const reads: number[] = [];
  const readPage = async (offset: number, limit: number): Promise<Result<PaymentPage & { held: number }>> => {
    reads.push(offset);
    if (offset === refuseAt) return { ok: false, error: { message: 'the host is busy' } as CommandError };
    const payments = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) =>
      payment(offset + i),
    );
    return { ok: true, value: { payments, total, held: offset } };
  };
  return { reads, readPage };
}

describe('readPages', () => {
  it('reads the pages asked for, each after the other, keeping the last page’s other fields', async () => {
    const { reads, readPage } = list(250);
    const result = await readPages(readPage, 100, 2);
    expect(reads).toEqual([0, 100]);
    expect(result.ok && result.value.payments.map((p) => p.id)).toEqual(
      Array.from({ length: 200 }, (_, i) => `pay_${i}`),
    );
    expect(result.ok && result.value.held).toBe(100);
    expect(result.ok && result.value.total).toBe(250);
  });

  it('stops once the whole list is read, however many pages were asked for', async () => {
    const { reads, readPage } = list(120);
    const result = await readPages(readPage, 100, 5);
    expect(reads).toEqual([0, 100]);
    expect(result.ok && result.value.payments).toHaveLength(120);
  });

  it('reads one page of an empty list', async () => {
    const { reads, readPage } = list(0);
    const result = await readPages(readPage, 100, 3);
    expect(reads).toEqual([0]);
    expect(result).toEqual({ ok: true, value: { payments: [], total: 0, held: 0 } });
  });

  it('ends at the first refusal and answers with it', async () => {
    const { reads, readPage } = list(500, 100);
    const result = await readPages(readPage, 100, 4);
    expect(reads).toEqual([0, 100]);
    expect(result).toEqual({ ok: false, error: { message: 'the host is busy' } });
  });
});
