/**
 * The fault soak's short version for CI (`npm test`): the same runner as `npm run soak`, with
 * fewer payments, two kill -9 of the host, every sandbox fault phase and the Concert terminal
 * emulator on a socat pty. Needs the built app: under CI a missing build or socat fails the run.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasTool, IN_CI } from '../support/tools';
import { formatReport } from './report';
import { WEB_ENTRY, runSoak } from './soak';

function soakAvailable(): boolean {
  const socat = hasTool('socat');
  if (!existsSync(WEB_ENTRY)) {
    if (IN_CI || process.env.CI)
      throw new Error('out/main/web.js is missing: `npm test` builds the app first (npm run build)');
    return false;
  }
  return socat;
}

describe.skipIf(!soakAvailable())('fault soak (CI size)', () => {
  it('nothing lost, nothing charged twice, no secret on the wire', async () => {
    const report = await runSoak({ payments: 48, seed: 20_505, timeLimitS: 100, kills: 3, concert: true });
    const printed = formatReport(report);
    // The table is the evidence when this fails.
    expect(report.comparison.lost, printed).toEqual([]);
    expect(report.comparison.chargedTwice, printed).toEqual([]);
    expect(report.wire.leaks, printed).toEqual([]);
    expect(report.wire.messages).toBeGreaterThan(500);
    // It really ran what it says: every payment, both kills, every fault phase, all four lanes.
    expect(report.comparison.figures.attempted).toBe(48);
    expect(report.kills).toHaveLength(3);
    expect(report.crashes, printed).toEqual([]);
    expect(report.unattended, printed).toEqual([]);
    // The restarts issue 9 added: into a gateway that is down, and into one that drops every answer,
    // one of them while the gateway's own reader held a payment whose card was presented meanwhile.
    const reasons = report.kills.map((k) => k.reason).join('; ');
    expect(reasons).toMatch(/cloud_holding of .*restarted gateway down/);
    expect(reasons).toMatch(/restarted dropping/);
    expect(new Set(report.phases).size).toBe(6);
    expect(Object.keys(report.lanes).sort()).toEqual(['cloud', 'concert', 'sim1', 'sim2']);
    expect(report.terminal.answerFaults).toBeGreaterThan(0);
    expect(
      report.comparison.figures.succeeded + report.comparison.figures.failed + report.comparison.figures.unresolved,
    ).toBe(48);
    expect(report.passed).toBe(true);
  }, 120_000);
});
