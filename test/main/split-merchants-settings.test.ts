/**
 * The merchants a till shares split payments with (Settings → Merchants for split payments): what the
 * contract accepts, and that the host keeps them across a restart. The screens are in
 * test/renderer/settings-merchants.test.tsx and split-editor.test.tsx.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandInput } from '../../common/contract';
import { MAX_SPLIT_MERCHANT_NAME, MAX_SPLIT_MERCHANTS } from '../../common/split-merchants';
import { startSandbox, type RunningSandbox } from '../../sandbox/index';
import { startTestHost } from '../support/host';

const update = (splitMerchants: unknown) => parseCommandInput('settings.update', { splitMerchants });

describe('the merchants for split payments: the contract', () => {
  it('takes ids by the split editor’s rule and names, trimmed', () => {
    expect(
      update([
        { id: ' 1324 ', name: ' Stall 7 — Noodles ' },
        { id: 'stall_8.b-2', name: 'Stall 8' },
      ]),
    ).toEqual({
      ok: true,
      value: {
        splitMerchants: [
          { id: '1324', name: 'Stall 7 — Noodles' },
          { id: 'stall_8.b-2', name: 'Stall 8' },
        ],
      },
    });
    expect(update([])).toMatchObject({ ok: true, value: { splitMerchants: [] } });
  });

  it('refuses an id twice, naming the second', () => {
    expect(
      update([
        { id: '1324', name: 'Noodles' },
        { id: '99', name: 'Dumplings' },
        { id: ' 1324', name: 'Tea' },
      ]),
    ).toMatchObject({
      ok: false,
      error: { issues: [{ path: 'splitMerchants.2.id', message: 'merchant 1324 is there twice: each merchant once' }] },
    });
  });

  it('refuses a bad id, an empty or long name, a name on two lines, an unknown field', () => {
    for (const id of ['', 'a b', 'stall/7', 'x'.repeat(51), 'café'])
      expect(update([{ id, name: 'Noodles' }])).toMatchObject({
        ok: false,
        error: { issues: [{ path: 'splitMerchants.0.id', message: 'merchant id: 1–50 letters, digits, . _ -' }] },
      });
    expect(update([{ id: '1324', name: '   ' }])).toMatchObject({
      ok: false,
      error: { issues: [{ path: 'splitMerchants.0.name', message: 'name is required' }] },
    });
    expect(update([{ id: '1324', name: 'N'.repeat(MAX_SPLIT_MERCHANT_NAME + 1) }])).toMatchObject({
      ok: false,
      error: { issues: [{ path: 'splitMerchants.0.name', message: `at most ${MAX_SPLIT_MERCHANT_NAME} characters` }] },
    });
    expect(update([{ id: '1324', name: 'N'.repeat(MAX_SPLIT_MERCHANT_NAME) }]).ok).toBe(true);
    expect(update([{ id: '1324', name: 'Stall 7\nNoodles' }])).toMatchObject({
      ok: false,
      error: { issues: [{ path: 'splitMerchants.0.name', message: 'name: one line, no control characters' }] },
    });
    expect(update([{ id: '1324', name: 'Noodles', colour: 'red' }]).ok).toBe(false);
  });

  it(`keeps at most ${MAX_SPLIT_MERCHANTS} merchants`, () => {
    const many = (count: number) => Array.from({ length: count }, (_, i) => ({ id: `m${i}`, name: `Stall ${i}` }));
    expect(update(many(MAX_SPLIT_MERCHANTS)).ok).toBe(true);
    expect(update(many(MAX_SPLIT_MERCHANTS + 1))).toMatchObject({
      ok: false,
      error: { issues: [{ path: 'splitMerchants', message: `at most ${MAX_SPLIT_MERCHANTS} merchants` }] },
    });
  });
});

describe('the merchants for split payments: the host', () => {
  const dir = mkdtempSync(join(tmpdir(), 'split-merchants-'));
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, db: ':memory:' });
  });
  afterAll(async () => {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps them across a restart, replaces the list as a whole, and a refused list changes nothing', async () => {
    const dataDir = join(dir, 'till');
    const merchants = [
      { id: '1324', name: 'Stall 7 — Noodles' },
      { id: '1325', name: 'Stall 8 — Tea' },
    ];
    const first = await startTestHost({ sandbox, dataDir });
    try {
      expect((await first.call('settings.get', {})).splitMerchants).toEqual([]);
      const saved = await first.call('settings.update', { splitMerchants: merchants });
      expect(saved.splitMerchants).toEqual(merchants);
      const refused = await first.fail('settings.update', {
        splitMerchants: [...merchants, { id: '1324', name: 'Again' }],
      });
      expect(refused).toMatchObject({ code: 'validation', issues: [{ path: 'splitMerchants.2.id' }] });
      expect((await first.call('settings.get', {})).splitMerchants).toEqual(merchants);
    } finally {
      await first.close();
    }

    const second = await startTestHost({ sandbox, dataDir });
    try {
      expect((await second.call('settings.get', {})).splitMerchants).toEqual(merchants);
      // Another setting saved leaves the list as it is; a new list replaces it.
      await second.call('settings.update', { shopName: 'Food court' });
      expect((await second.call('settings.get', {})).splitMerchants).toEqual(merchants);
      await second.call('settings.update', { splitMerchants: [merchants[1]] });
    } finally {
      await second.close();
    }

    const third = await startTestHost({ sandbox, dataDir });
    try {
      expect((await third.call('settings.get', {})).splitMerchants).toEqual([merchants[1]]);
    } finally {
      await third.close();
    }
  });
});
