/**
 * The soak's plans keep to what each gateway takes (amounts, currency, the smallest refund, whole
 * captures on PayPlug), replay for a seed, and the refund steps fit what was captured.
 */
import { describe, expect, it } from 'vitest';
import { refundSteps } from './driver';
import {
  LINK_GATEWAY_RULES,
  planKills,
  planLinkPayments,
  planPayments,
  type LinkGateway,
  type PaymentPlan,
} from './scenarios';

describe('soak plans', () => {
  for (const gateway of ['payplug', 'plural'] as const satisfies readonly LinkGateway[]) {
    it(`${gateway}: every payment by link, within the gateway's rules, the same for the same seed`, () => {
      const plans = planLinkPayments(400, 4242, { gateway, runId: 'r1' });
      expect(planLinkPayments(400, 4242, { gateway, runId: 'r1' })).toEqual(plans);
      const rules = LINK_GATEWAY_RULES[gateway];
      const scenarios = new Set<string>();
      for (const plan of plans) {
        scenarios.add(plan.scenario);
        expect(plan).toMatchObject({ gateway, channel: 'link', currency: rules.currency });
        expect(plan.lane).toMatch(/^link[123]$/);
        expect(plan.amount).toBeGreaterThanOrEqual(rules.minAmount);
        expect(plan.amount).toBeLessThanOrEqual(rules.maxAmount);
        const captured = capturedBy(plan);
        if (!rules.partialCapture && plan.capture && plan.capture !== 'release') expect(plan.capture.amount).toBeNull();
        if (plan.refunds.length > 0) {
          expect(plan.refunds.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(captured);
          for (const step of plan.refunds) expect(step).toBeGreaterThanOrEqual(Math.min(rules.minRefund, captured));
          // What a partial refund leaves can itself be refunded later.
          const left = captured - plan.refunds.reduce((a, b) => a + b, 0);
          expect(left === 0 || left >= rules.minRefund).toBe(true);
        }
        if (plan.scenario === 'cashier_cancel') expect(plan.race).toMatch(/first|together/);
        expect(plan.orderReference).toMatch(gateway === 'payplug' ? /^soak-r1-pg-\d{4}$/ : /^soak-r1-pl-\d{4}$/);
      }
      expect([...scenarios].sort()).toEqual(['cancel_pending', 'cashier_cancel', 'decline_card', 'sale']);
      const kills = planKills(plans, 8, 4242);
      expect(kills[0]).toMatchObject({ point: 'customer_paying', restart: 'gateway_down' });
      expect(kills.some((k) => k.restart === 'dropping')).toBe(true);
      expect(kills.every((k) => !['after_push', 'card_presented', 'cloud_holding'].includes(k.point))).toBe(true);
    });
  }

  it('the PlutoPay plans are card present, as before', () => {
    const plans = planPayments(50, 5150, { concert: true, runId: 'r2' });
    expect(plans.every((p) => p.gateway === 'plutopay' && p.channel === 'card_present' && !p.race)).toBe(true);
    expect(plans.slice(0, 4).map((p) => p.lane)).toEqual(['sim1', 'sim2', 'cloud', 'concert']);
  });

  it('refund steps fit what was captured, none below the smallest refund', () => {
    expect(refundSteps([300, 700], 1000)).toEqual([300, 700]);
    expect(refundSteps([300, 700], 600)).toEqual([300, 300]);
    expect(refundSteps([950], 1000)).toEqual([950]);
    // Less captured than planned: what a step would leave below the smallest refund goes with it.
    expect(refundSteps([995], 990, 10)).toEqual([990]);
    expect(refundSteps([1000], 1005, 10)).toEqual([1000]);
    expect(refundSteps([700, 700], 1000, 100)).toEqual([700, 300]);
    expect(refundSteps([950, 950], 1000, 100)).toEqual([900, 100]);
    expect(refundSteps([150, 150], 150, 100)).toEqual([150]);
    expect(refundSteps([], 1000)).toEqual([]);
    expect(refundSteps([500], 0)).toEqual([]);
  });
});

function capturedBy(plan: PaymentPlan): number {
  return plan.capture && plan.capture !== 'release' && plan.capture.amount !== null ? plan.capture.amount : plan.amount;
}
