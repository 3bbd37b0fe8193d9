/** The soak's wire check trips on a leaked secret, and never prints the secret it found. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WireRecorder } from './wire';

describe('soak wire check', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const recorder = () => {
    const dir = mkdtempSync(join(tmpdir(), 'soak-wire-'));
    dirs.push(dir);
    return new WireRecorder(join(dir, 'wire.jsonl'));
  };

  it('records every frame and finds nothing in clean traffic (masked keys are fine)', async () => {
    const wire = recorder();
    wire.record('sent', '{"type":"invoke","id":1,"name":"settings.get","input":{}}');
    wire.record('received', '{"type":"result","id":1,"result":{"ok":true,"value":{"secretKey":"sk_test_…9f3a"}}}');
    await wire.close();
    expect(wire.check).toMatchObject({ messages: 2, leaks: [] });
    expect(readFileSync(wire.check.recording, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it.each([
    ['a secret key', 'sk_test_4eC39HqLyjWDarjtT1zdp7dc'],
    ['a connection token', 'pst_test_Abcdef1234567890'],
    ['a reader-link secret', 'lks_Abcdef1234567890'],
    ['a webhook secret', 'whsec_Abcdef1234567890'],
  ])('trips on %s in a frame, and masks it in the report', async (_what, secret) => {
    const wire = recorder();
    wire.record('received', `{"type":"event","event":{"seq":3,"type":"log","entry":{"summary":"token ${secret}"}}}`);
    await wire.close();
    expect(wire.check.leaks).toHaveLength(1);
    expect(wire.check.leaks[0]).not.toContain(secret);
  });

  it('trips on an exact secret of this run whatever its shape (the launch token)', async () => {
    const wire = recorder();
    wire.addKnown('3f9a0c1d2e4b5a6978');
    wire.record('sent', '{"name":"x","input":{"note":"3f9a0c1d2e4b5a6978"}}');
    await wire.close();
    expect(wire.check.leaks).toHaveLength(1);
  });

  it('finds a secret learnt late anywhere in the recording', async () => {
    const wire = recorder();
    wire.record('received', '{"value":"hello 9b1de2f3a4c5d6e7"}');
    wire.record('received', '{"value":"nothing"}');
    await wire.rescan(['9b1de2f3a4c5d6e7']);
    await wire.close();
    expect(wire.check.leaks).toEqual([expect.stringContaining('recorded frame')]);
    expect(wire.check.leaks[0]).not.toContain('9b1de2f3a4c5d6e7');
  });
});
