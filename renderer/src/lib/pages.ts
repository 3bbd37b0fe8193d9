import type { CommandError, PaymentView, Result } from '../../../common/contract';

/** One page of a payment list the host pages through, with the count of the whole list. */
export interface PaymentPage {
  readonly payments: PaymentView[];
  readonly total: number;
}

/**
 * The first `pages` pages of a list, read one after the other and stopped early once the whole
 * list is in: busy shops hold hundreds, and a screen shows what it has read and counts the rest.
 * The answer is the last page read, holding every payment read; the first refusal ends the read.
 */
export async function readPages<P extends PaymentPage>(
  readPage: (offset: number, limit: number) => Promise<Result<P>>,
  pageSize: number,
  pages: number,
): Promise<{ ok: true; value: P } | { ok: false; error: CommandError }> {
  const loaded: PaymentView[] = [];
  let last: P | null = null;
  for (let page = 0; page < Math.max(1, pages); page++) {
    const result = await readPage(page * pageSize, pageSize);
    if (!result.ok) return result;
    last = result.value;
    loaded.push(...result.value.payments);
    if (loaded.length >= result.value.total) break;
  }
  return { ok: true, value: { ...last!, payments: loaded } };
}
