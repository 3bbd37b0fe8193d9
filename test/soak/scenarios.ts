/**
 * What the soak asks for, decided up front from the seed: one plan per payment (its own order
 * reference, lane, amount, capture method, the cashier's steps and the faults on its reader), the
 * kill points, and the sandbox fault phases.
 */
import { TEST_AMOUNT_ENDINGS, TEST_CARDS } from '../../common/test-cards';
import type { EmulatorScript } from '../../drivers/protocols/concert/emulator';
import type { Faults } from '../../sandbox/index';
import { Rng } from './prng';

/** The gateway a soak lane takes its payments with: one host process (one till) per gateway. */
export type SoakGateway = 'plutopay' | 'payplug' | 'plural';
export const SOAK_GATEWAYS: readonly SoakGateway[] = ['plutopay', 'payplug', 'plural'];
/** The gateways whose payments are made by link (a QR code the customer pays on their phone). */
export type LinkGateway = Exclude<SoakGateway, 'plutopay'>;

/**
 * Where a payment runs. PlutoPay: the app's simulated readers (two lanes), the sandbox's own
 * simulated reader ("cloud", followed over HTTP), or the Concert terminal emulator behind a socat
 * pty. PayPlug and Plural: one of three counters showing a payment link's QR code to its customer.
 */
export type Lane = 'sim1' | 'sim2' | 'cloud' | 'concert' | 'link1' | 'link2' | 'link3';
export const LINK_LANES: readonly Lane[] = ['link1', 'link2', 'link3'];

/**
 * By link (PayPlug, Plural) the same names mean: `sale` the customer pays with a good card;
 * `decline_card` a declining card first, then a good one on the same page; `cancel_pending` the
 * cashier withdraws the unpaid link (where the gateway cannot — Plural — the host must refuse, and
 * when the customer pays anyway the cashier refunds it); `cashier_cancel` the cashier cancels while
 * the customer pays: either wins, and a payment that went through is given back.
 */
export type Scenario =
  | 'sale' // approve with a good card
  | 'decline_card' // a declining test card, then another card
  | 'decline_amount' // the amount's cents decline every card: the cashier cancels
  | 'cashier_cancel' // canceled while the reader waits for the card
  | 'cancel_pending' // created, never sent to a reader, canceled
  | 'reader_timeout' // simulate.setFault timeout (hosted) / no card until the sandbox's reader timeout (cloud), then again
  | 'reader_disconnect' // simulate.setFault disconnect_mid_payment: unknown, recovered from the reader
  | 'concert_refuse' // the terminal refuses, the cashier pushes again with another card
  | 'concert_bad_lrc_once' // one corrupted answer frame, recovered by NAK/resend
  | 'concert_nak_request' // the terminal NAKs the request twice, then takes it
  | 'concert_nak_always' // the terminal NAKs every request frame: failed before anything was charged
  | 'concert_garbage' // noise instead of the answer: unknown, the cashier reads the terminal
  | 'concert_drop' // the answer is cut mid-frame: unknown
  | 'concert_bad_lrc_always'; // every answer frame corrupt: unknown

export type RefundPlan = 'none' | 'partial' | 'partial_then_rest' | 'full';

export interface PaymentPlan {
  index: number;
  orderReference: string;
  gateway: SoakGateway;
  /** On a reader, or by link (the customer pays on their phone). */
  channel: 'card_present' | 'link';
  lane: Lane;
  scenario: Scenario;
  amount: number;
  currency: 'USD' | 'EUR' | 'INR';
  captureMethod: 'automatic' | 'manual';
  /** Manual capture: capture this amount (null = all), or release the authorisation. */
  capture: { amount: number | null } | 'release' | null;
  /** Declining card presented first (decline_card). */
  declineCard: string | null;
  /** The approving card the customer then presents. */
  goodCard: string;
  /** Concert: the terminal's script for the first push (later pushes get a clean approval). */
  concertScript: Partial<EmulatorScript> | null;
  refundPlan: RefundPlan;
  /** Refund amounts, computed from what will have been captured. */
  refunds: number[];
  /** By link, cashier_cancel: who reaches the gateway first, the customer paying or the cancel. */
  race?: 'customer_first' | 'cancel_first' | 'together';
}

const DECLINING_CARDS = TEST_CARDS.filter((card) => card.decline !== null).map((card) => card.number);
const APPROVING_CARDS = TEST_CARDS.filter((card) => card.decline === null).map((card) => card.number);
const DECLINE_ENDINGS = Object.keys(TEST_AMOUNT_ENDINGS).map(Number);

const SCENARIOS: Record<'hosted' | 'cloud' | 'concert', readonly (readonly [Scenario, number])[]> = {
  hosted: [
    ['sale', 30],
    ['decline_card', 12],
    ['decline_amount', 5],
    ['cashier_cancel', 8],
    ['cancel_pending', 4],
    ['reader_timeout', 10],
    ['reader_disconnect', 10],
  ],
  cloud: [
    ['sale', 40],
    ['decline_card', 15],
    ['decline_amount', 5],
    ['cashier_cancel', 10],
    ['cancel_pending', 5],
    ['reader_timeout', 10],
  ],
  concert: [
    ['sale', 24],
    ['concert_refuse', 10],
    ['concert_bad_lrc_once', 10],
    ['concert_nak_request', 8],
    ['concert_nak_always', 6],
    ['concert_garbage', 10],
    ['concert_drop', 10],
    ['concert_bad_lrc_always', 8],
  ],
};

/** An amount whose cents do not pick a decline (50 … 60 000 minor units). */
function plainAmount(rng: Rng): number {
  for (;;) {
    const amount = rng.between(50, 60_000);
    if (!DECLINE_ENDINGS.includes(amount % 100)) return amount;
  }
}

export function lanesFor(options: { concert: boolean }): Lane[] {
  return options.concert ? ['sim1', 'sim2', 'cloud', 'concert'] : ['sim1', 'sim2', 'cloud'];
}

export function planPayments(count: number, seed: number, options: { concert: boolean; runId: string }): PaymentPlan[] {
  const rng = new Rng(seed);
  const lanes = lanesFor(options);
  const shares: readonly (readonly [Lane, number])[] = options.concert
    ? [
        ['sim1', 30],
        ['sim2', 25],
        ['cloud', 20],
        ['concert', 25],
      ]
    : [
        ['sim1', 40],
        ['sim2', 35],
        ['cloud', 25],
      ];
  const plans: PaymentPlan[] = [];
  for (let index = 0; index < count; index++) {
    // Every lane gets work even in short runs: the first payments go round the lanes.
    const lane = index < lanes.length ? lanes[index]! : rng.weighted(shares);
    const kind = lane === 'concert' ? 'concert' : lane === 'cloud' ? 'cloud' : 'hosted';
    const scenario = rng.weighted(SCENARIOS[kind]);
    let amount = plainAmount(rng);
    if (scenario === 'decline_amount') amount = Math.floor(amount / 100) * 100 + rng.pick(DECLINE_ENDINGS);
    const manual = scenario !== 'cancel_pending' && scenario !== 'decline_amount' && rng.chance(0.35);
    let capture: PaymentPlan['capture'] = null;
    if (manual) {
      const roll = rng.next();
      capture = roll < 0.15 ? 'release' : roll < 0.55 ? { amount: rng.between(1, amount - 1) } : { amount: null };
    }
    const charges = !['decline_amount', 'cashier_cancel', 'cancel_pending'].includes(scenario) && capture !== 'release';
    const charged = capture && capture !== 'release' && capture.amount !== null ? capture.amount : amount;
    const refundPlan: RefundPlan = charges
      ? rng.weighted<RefundPlan>([
          ['none', 50],
          ['partial', 20],
          ['partial_then_rest', 15],
          ['full', 15],
        ])
      : 'none';
    const part = charged > 1 ? rng.between(1, charged - 1) : 0;
    const refunds =
      refundPlan === 'full' || (charged <= 1 && refundPlan !== 'none')
        ? [charged]
        : refundPlan === 'partial'
          ? [part]
          : refundPlan === 'partial_then_rest'
            ? [part, charged - part]
            : [];
    plans.push({
      index,
      orderReference: `soak-${options.runId}-${String(index).padStart(4, '0')}`,
      gateway: 'plutopay',
      channel: 'card_present',
      lane,
      scenario,
      amount,
      currency: rng.chance(0.8) ? 'USD' : 'EUR',
      captureMethod: manual ? 'manual' : 'automatic',
      capture,
      declineCard: scenario === 'decline_card' ? rng.pick(DECLINING_CARDS) : null,
      goodCard: rng.pick(APPROVING_CARDS),
      concertScript: lane === 'concert' ? concertScript(scenario, rng) : null,
      refundPlan,
      refunds,
    });
  }
  return plans;
}

function concertScript(scenario: Scenario, rng: Rng): Partial<EmulatorScript> {
  const delayMs = rng.between(20, 250);
  switch (scenario) {
    case 'concert_refuse':
      return { outcome: 'refuse', delayMs };
    case 'concert_bad_lrc_once':
      return { delayMs, answerFault: 'bad_lrc', badLrcCount: 1 };
    case 'concert_nak_request':
      return { delayMs, nakFrames: 2 };
    case 'concert_nak_always':
      return { delayMs, nakFrames: 10 };
    case 'concert_garbage':
      return { outcome: rng.chance(0.75) ? 'approve' : 'refuse', delayMs, answerFault: 'garbage' };
    case 'concert_drop':
      return { outcome: rng.chance(0.75) ? 'approve' : 'refuse', delayMs, answerFault: 'drop' };
    case 'concert_bad_lrc_always':
      return { outcome: rng.chance(0.75) ? 'approve' : 'refuse', delayMs, answerFault: 'bad_lrc', badLrcCount: 10 };
    default:
      return { delayMs };
  }
}

// -- payments by link (PayPlug, Plural) ----------------------------------------------------------------

/** What each link gateway takes: its currency, amount range, smallest refund and partial capture. */
export const LINK_GATEWAY_RULES: Record<
  LinkGateway,
  { currency: 'EUR' | 'INR'; minAmount: number; maxAmount: number; minRefund: number; partialCapture: boolean }
> = {
  // 1.00–20,000.00 EUR; refunds of at least 10 cents; a capture takes the whole authorisation.
  payplug: { currency: 'EUR', minAmount: 100, maxAmount: 2_000_000, minRefund: 10, partialCapture: false },
  // INR; refunds (and what a partial capture leaves to refund) of at least ₹1.
  plural: { currency: 'INR', minAmount: 100, maxAmount: 100_000_000, minRefund: 100, partialCapture: true },
};

/** The customer's cards on each gateway's page: approving and declining test cards. */
export const LINK_CARDS: Record<LinkGateway, { good: readonly string[]; declining: readonly string[] }> = {
  payplug: { good: APPROVING_CARDS, declining: DECLINING_CARDS },
  // 4000…1091 and 5200…1096 ask for a 3-D Secure challenge the customer passes.
  plural: {
    good: ['4111111111111111', '5555555555554444', '4000000000001091', '5200000000001096'],
    declining: ['4000000000000002', '4000000000009995'],
  },
};

const LINK_SCENARIOS: readonly (readonly [Scenario, number])[] = [
  ['sale', 45],
  ['decline_card', 20],
  ['cancel_pending', 10],
  ['cashier_cancel', 12],
];

/** Salts so each gateway's lane draws its own sequence from the run's one seed. */
const LANE_SALT: Record<SoakGateway, number> = { plutopay: 0, payplug: 0x7a11, plural: 0x91a5 };

export function laneSeed(seed: number, gateway: SoakGateway): number {
  return (seed ^ LANE_SALT[gateway]) >>> 0;
}

export function planLinkPayments(
  count: number,
  seed: number,
  options: { gateway: LinkGateway; runId: string },
): PaymentPlan[] {
  const rng = new Rng(laneSeed(seed, options.gateway));
  const rules = LINK_GATEWAY_RULES[options.gateway];
  const cards = LINK_CARDS[options.gateway];
  const tag = options.gateway === 'payplug' ? 'pg' : 'pl';
  const plans: PaymentPlan[] = [];
  for (let index = 0; index < count; index++) {
    const lane = index < LINK_LANES.length ? LINK_LANES[index]! : rng.pick(LINK_LANES);
    const scenario = rng.weighted(LINK_SCENARIOS);
    const amount = rng.between(rules.minAmount, Math.min(rules.maxAmount, 60_000));
    const manual = scenario !== 'cancel_pending' && rng.chance(0.35);
    let capture: PaymentPlan['capture'] = null;
    if (manual) {
      const roll = rng.next();
      const partial = rules.partialCapture && amount >= 2 * rules.minRefund + 1;
      capture =
        roll < 0.15
          ? 'release'
          : roll < 0.55 && partial
            ? { amount: rng.between(rules.minRefund, amount - rules.minRefund) }
            : { amount: null };
    }
    const charges = !['cashier_cancel', 'cancel_pending'].includes(scenario) && capture !== 'release';
    const charged = capture && capture !== 'release' && capture.amount !== null ? capture.amount : amount;
    const refundPlan: RefundPlan = charges
      ? rng.weighted<RefundPlan>([
          ['none', 50],
          ['partial', 20],
          ['partial_then_rest', 15],
          ['full', 15],
        ])
      : 'none';
    // Every step at least the gateway's smallest refund, and so is what a partial one leaves.
    const splittable = charged >= 2 * rules.minRefund;
    const part = splittable ? rng.between(rules.minRefund, charged - rules.minRefund) : charged;
    const refunds =
      refundPlan === 'none'
        ? []
        : refundPlan === 'full' || !splittable
          ? [charged]
          : refundPlan === 'partial'
            ? [part]
            : [part, charged - part];
    plans.push({
      index,
      orderReference: `soak-${options.runId}-${tag}-${String(index).padStart(4, '0')}`,
      gateway: options.gateway,
      channel: 'link',
      lane,
      scenario,
      amount,
      currency: rules.currency,
      captureMethod: manual ? 'manual' : 'automatic',
      capture,
      declineCard: scenario === 'decline_card' ? rng.pick(cards.declining) : null,
      goodCard: rng.pick(cards.good),
      concertScript: null,
      refundPlan,
      refunds,
      ...(scenario === 'cashier_cancel'
        ? { race: rng.pick(['customer_first', 'cancel_first', 'together'] as const) }
        : {}),
    });
  }
  return plans;
}

// -- kills -----------------------------------------------------------------------------------------

/**
 * Where in a payment the host is killed. `cloud_holding`: the gateway's own reader holds the
 * payment's action; the customer presents the card on it while the host is down, and the host
 * must follow the payment to its result after the restart by itself. `customer_paying`: the same
 * for a payment link — the customer pays it on their phone while the host is down.
 */
export type KillPoint =
  | 'after_create'
  | 'after_push'
  | 'cloud_holding'
  | 'customer_paying'
  | 'card_presented'
  | 'mid_capture'
  | 'mid_refund'
  | 'mid_cancel'
  | 'between';

/**
 * How the host comes back: at once (`normal`); while every connection to the gateway is cut
 * (`gateway_down`: it must start and serve anyway, and recover once the gateway is back); or while
 * the gateway commits every change and drops the answer (`dropping`).
 */
export type RestartMode = 'normal' | 'gateway_down' | 'dropping';

export interface KillPlan {
  /** The payment whose progress triggers the kill. */
  index: number;
  point: KillPoint;
  /** After the trigger: 0 kills with the command in flight. */
  delayMs: number;
  restart: RestartMode;
}

export function planKills(plans: readonly PaymentPlan[], kills: number, seed: number): KillPlan[] {
  const rng = new Rng(seed ^ 0x5eed);
  if (kills <= 0 || plans.length < 4) return [];
  const candidates = plans.slice(3);
  const chosen = new Set<number>();
  const result: KillPlan[] = [];
  // Spread the kills over the run; each lands on one payment of the stretch.
  for (let k = 0; k < kills && chosen.size < candidates.length; k++) {
    const from = Math.floor((k * candidates.length) / kills);
    const to = Math.max(from, Math.floor(((k + 1) * candidates.length) / kills) - 1);
    let plan = candidates[rng.between(from, to)]!;
    for (let tries = 0; chosen.has(plan.index) && tries < 20; tries++) plan = rng.pick(candidates);
    if (chosen.has(plan.index)) continue;
    chosen.add(plan.index);
    const link = plan.channel === 'link';
    const points: KillPoint[] = link ? ['after_create', 'between'] : ['after_create', 'after_push', 'between'];
    // Mid-collection: after the card (simulated readers), or while the terminal works (Concert),
    // or the customer paying the link while the host is down.
    if (link) {
      if (['sale', 'decline_card'].includes(plan.scenario)) points.push('customer_paying', 'customer_paying');
    } else if (plan.lane === 'concert') points.push('after_push', 'after_push');
    else if (!['cancel_pending', 'decline_amount'].includes(plan.scenario))
      points.push('card_presented', 'card_presented');
    if (plan.capture && plan.capture !== 'release') points.push('mid_capture', 'mid_capture');
    if (plan.capture === 'release' || plan.scenario === 'cashier_cancel') points.push('mid_cancel');
    if (plan.refunds.length > 0) points.push('mid_refund', 'mid_refund');
    const point = rng.pick(points);
    const delayMs =
      point === 'mid_capture' || point === 'mid_refund' || point === 'mid_cancel'
        ? rng.pick([0, 0, 2, 5, 10, 25])
        : point === 'after_push' && plan.lane === 'concert'
          ? rng.between(20, 300)
          : rng.between(0, 400);
    result.push({ index: plan.index, point, delayMs, restart: 'normal' });
  }
  // The restarts the soak must always rehearse: while a gateway reader holds an action (with the
  // gateway away during the restart), and into a gateway that drops every answer.
  const holder = plans.find(
    (p) => p.index >= 3 && p.scenario === 'sale' && (p.lane === 'cloud' || p.channel === 'link'),
  );
  if (result.length > 0) {
    if (holder && !chosen.has(holder.index))
      result[0] = {
        index: holder.index,
        point: holder.channel === 'link' ? 'customer_paying' : 'cloud_holding',
        delayMs: 0,
        restart: 'gateway_down',
      };
    else result[0] = { ...result[0]!, restart: 'gateway_down' };
  }
  if (result.length > 1) result[1] = { ...result[1]!, restart: 'dropping' };
  return result.sort((a, b) => a.index - b.index);
}

// -- sandbox fault phases ----------------------------------------------------------------------------

export interface FaultPhase {
  name: string;
  faults: Partial<Faults>;
}

export const FAULT_PHASES: readonly FaultPhase[] = [
  { name: 'calm', faults: { latency_ms: 0, error_rate: 0, drop_after_commit_rate: 0, reader_timeout_ms: null } },
  { name: 'latency', faults: { latency_ms: 120, error_rate: 0, drop_after_commit_rate: 0, reader_timeout_ms: null } },
  { name: '5xx', faults: { latency_ms: 0, error_rate: 0.08, drop_after_commit_rate: 0, reader_timeout_ms: null } },
  {
    name: 'drop-after-commit',
    faults: { latency_ms: 0, error_rate: 0, drop_after_commit_rate: 0.08, reader_timeout_ms: null },
  },
  {
    name: 'reader-timeout',
    faults: { latency_ms: 30, error_rate: 0, drop_after_commit_rate: 0, reader_timeout_ms: 1_500 },
  },
  {
    name: 'storm',
    faults: { latency_ms: 40, error_rate: 0.05, drop_after_commit_rate: 0.05, reader_timeout_ms: 3_000 },
  },
];

/** By link there are no readers: the same phases without the reader timeouts. */
export const LINK_FAULT_PHASES: readonly FaultPhase[] = FAULT_PHASES.filter(
  (phase) => phase.name !== 'reader-timeout',
).map(({ name, faults }) => ({
  name,
  faults: {
    latency_ms: faults.latency_ms ?? 0,
    error_rate: faults.error_rate ?? 0,
    drop_after_commit_rate: faults.drop_after_commit_rate ?? 0,
  },
}));

export const NO_SANDBOX_FAULTS: Partial<Faults> = {
  latency_ms: 0,
  error_rate: 0,
  drop_after_commit_rate: 0,
  reader_timeout_ms: null,
};
