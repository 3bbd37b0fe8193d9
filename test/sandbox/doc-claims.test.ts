/**
 * What docs/sandbox-api.md says about the webhook endpoint routes and about `payment_method` on a
 * confirmation, held against the code: the routes it must name, and the cards it says are used.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USAGE } from '../../sandbox/cli-args';
import { start, type Harness, type TransactionJson } from './helpers';

const ROOT = resolve(__dirname, '../..');
const doc = readFileSync(resolve(ROOT, 'docs/sandbox-api.md'), 'utf8');

describe('docs/sandbox-api.md', () => {
  it('names every webhook endpoint route, with its method', () => {
    const source = readFileSync(resolve(ROOT, 'sandbox/plutopay/api/webhooks.ts'), 'utf8');
    const routes = [...source.matchAll(/method: '(\w+)',\s*path: '([^']+)'/g)].map(([, method, path]) => ({
      method: method!,
      path: path!,
    }));
    expect(routes.length).toBeGreaterThanOrEqual(6);
    for (const { method, path } of routes) expect(doc, `${method} ${path}`).toContain(`${method} ${path}`);
  });

  it('the flag table names exactly the flags `npm run sandbox -- --help` lists', () => {
    const running = doc.slice(doc.indexOf('## Running it'), doc.indexOf('## Embedding it'));
    const documented = [...running.matchAll(/^\| `(--[a-z-]+)/gm)].map(([, flag]) => flag!);
    const listed = [...USAGE.matchAll(/^ {2}(--[a-z-]+)/gm)].map(([, flag]) => flag!);
    expect(listed.length).toBeGreaterThan(10);
    expect(new Set(documented)).toEqual(new Set(listed));
  });
});

describe('payment_method on a confirmation, as documented', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ fakeClock: true });
  });
  afterAll(() => h.close());

  const confirm = async (payment_method?: string) =>
    (
      await h.api.post<TransactionJson>('/v1/transactions', {
        amount: 1000,
        confirm: true,
        ...(payment_method === undefined ? {} : { payment_method }),
      })
    ).body;

  it('absent or not a card number: the default card; a card number: the test-card table', async () => {
    expect(await confirm()).toMatchObject({ status: 'succeeded', card: { last4: '4242' } });
    expect(await confirm('pm_card_visa')).toMatchObject({ status: 'succeeded', card: { last4: '4242' } });
    expect(await confirm('5500 0055-5555 5559')).toMatchObject({ status: 'succeeded', card: { last4: '5559' } });
    expect(await confirm('4111111111111111')).toMatchObject({ status: 'failed', failure_code: 'card_declined' });
    expect(await confirm('4000000000000077')).toMatchObject({ status: 'failed', failure_code: 'insufficient_funds' });
  });
});
