/**
 * The cashier, as the soak plays it: drives one payment through the host over the bridge towards
 * its plan. It never assumes a command worked: every turn it looks at the host's latest view of
 * the payment and takes the next step from there, so a kill -9, a lost answer or a fault in the
 * middle only means looking again. Every wait is bounded; what cannot be finished is left to the
 * host's Needs attention list (and reported), never dropped.
 */
import { DEFAULT_TEST_CARD, decideTestOutcome } from '../../common/test-cards';
import type { CommandError, CommandName, CommandResult, PaymentView } from '../../common/contract';
import { BridgeTimeout } from './bridge';
import type { RunnerOrder } from './compare';
import { HostDown, type HostSession } from './host-process';
import type { KillPlan, KillPoint, Lane, PaymentPlan } from './scenarios';

/** What the customer did with a payment link (PayPlug, Plural): the soak pays it at the sandbox. */
export interface CustomerRecord {
  attempts: number;
  /** Card payments the gateway approved for this order (more than one is a double charge). */
  approvals: number;
  declines: number;
  /** Attempts the gateway refused because the link could no longer be paid. */
  refused: number;
  /** When the gateway approved the customer's card: from then on the host must see it by itself. */
  paidAt: number | null;
  /** A kill -9 is planned to let the customer pay while the host is down (the hook pays). */
  payScheduledAt: number | null;
  /** The customer tried the link after the cashier withdrew it (a withdrawn link must not take money). */
  latePay: 'refused' | 'approved' | null;
}

/** The customer's phone: pays a payment link at the gateway with a test card, as its page would. */
export interface LinkCustomer {
  pay(transactionId: string, cardNumber: string): Promise<CustomerAttempt>;
}

/**
 * approved/declined: the gateway took the attempt; refused: the link can no longer be paid;
 * error: no usable answer (the customer tries again).
 */
export interface CustomerAttempt {
  outcome: 'approved' | 'declined' | 'refused' | 'error';
  detail: string;
}

/** What the terminal emulator did for one order (the Concert lane sees every request it takes). */
export interface TerminalRecord {
  requests: number;
  approvals: number;
  /** Status of the last answer the terminal built: '0' approved, '7' refused. */
  lastAnswer: string | null;
}

export interface OrderState {
  plan: PaymentPlan;
  started: boolean;
  paymentId: string | null;
  accepted: boolean;
  refusals: string[];
  refusedReason: string | null;
  processAttempts: number;
  /** The process attempt a reader fault was armed for (hosted simulated readers). */
  faultAttempt: number | null;
  /** The process attempt a card was last presented for. */
  presentedAttempt: number | null;
  declinedCardUsed: boolean;
  /** The card presented on each push (by attempt number), for what the cashier saw on the reader. */
  cardByAttempt: Record<number, string>;
  cancelAsked: number;
  captureAsked: number;
  refundStepsAsked: number;
  intendedCapture: number;
  intendedRefunds: number;
  /** The cashier wants the money back after all (a cancel that came too late). */
  undo: boolean;
  /** Since when the reader refused this payment because it is busy with another one. */
  readerBusySince: number | null;
  /** Times the runner had to ask the host to reconcile because nothing moved for a while. */
  nudges: number;
  /** The card was presented on the gateway's reader while the host was down (cloud_holding). */
  heldAcrossRestart: boolean;
  /** What the host failed to do by itself for this order (each one fails the soak). */
  findings: string[];
  /** Canceled because its reader stayed busy with another payment (one left unresolved). */
  blockedByReader: boolean;
  /** The cashier's answer for the current push's unknown outcome (cleared by the next push). */
  cashierResolution: 'charged' | 'not_charged' | null;
  /** Unknown outcomes the cashier settled for this order, over all its pushes. */
  resolutions: number;
  terminal: TerminalRecord | null;
  /** Pay by link: what the customer did. */
  customer: CustomerRecord | null;
  /** The host refused the cashier's cancel of an unpaid link (the gateway cannot withdraw one). */
  cancelRefused: boolean;
  finished: boolean;
  timedOut: boolean;
  finalStatus: string | null;
  notes: string[];
}

export function newOrderState(plan: PaymentPlan): OrderState {
  return {
    plan,
    started: false,
    paymentId: null,
    accepted: false,
    refusals: [],
    refusedReason: null,
    processAttempts: 0,
    faultAttempt: null,
    presentedAttempt: null,
    declinedCardUsed: false,
    cardByAttempt: {},
    cancelAsked: 0,
    captureAsked: 0,
    refundStepsAsked: 0,
    intendedCapture: 0,
    intendedRefunds: 0,
    undo: false,
    readerBusySince: null,
    nudges: 0,
    heldAcrossRestart: false,
    findings: [],
    blockedByReader: false,
    cashierResolution: null,
    resolutions: 0,
    terminal: plan.lane === 'concert' ? { requests: 0, approvals: 0, lastAnswer: null } : null,
    customer:
      plan.channel === 'link'
        ? { attempts: 0, approvals: 0, declines: 0, refused: 0, paidAt: null, payScheduledAt: null, latePay: null }
        : null,
    cancelRefused: false,
    finished: false,
    timedOut: false,
    finalStatus: null,
    notes: [],
  };
}

export function runnerOrder(order: OrderState): RunnerOrder {
  return {
    orderReference: order.plan.orderReference,
    accepted: order.accepted,
    refusedReason: order.accepted ? null : order.refusedReason,
    intendedCapture: order.intendedCapture,
    intendedRefunds: order.intendedRefunds,
    deviceApprovals: order.terminal ? order.terminal.approvals : null,
    customerApprovals: order.customer ? order.customer.approvals : null,
  };
}

/** Records a customer's attempt on a payment link (by the driver, or by a kill's hook while the host is down). */
export function recordCustomerAttempt(order: OrderState, card: string, attempt: CustomerAttempt): void {
  const customer = order.customer;
  if (!customer) return;
  customer.attempts++;
  if (attempt.outcome === 'approved') {
    customer.approvals++;
    customer.paidAt = Date.now();
  } else if (attempt.outcome === 'declined') {
    customer.declines++;
    if (card === order.plan.declineCard) order.declinedCardUsed = true;
  } else if (attempt.outcome === 'refused') customer.refused++;
  order.notes.push(
    `${new Date().toISOString().slice(11, 23)} customer pays the link with ${card.slice(-4)}: ${attempt.outcome}${attempt.detail ? ` (${attempt.detail.slice(0, 120)})` : ''}`,
  );
}

/** Fires the planned kills when a payment reaches their point; one kill at a time. */
/** What happens around one restart (e.g. take the gateway away, present a card at its reader). */
export type RestartHooks = Parameters<HostSession['kill']>[1];

export class Killer {
  private readonly pending: KillPlan[];
  private chain: Promise<void> = Promise.resolve();
  private scheduled = 0;
  fired = 0;

  constructor(
    plans: readonly KillPlan[],
    private readonly session: HostSession,
    private readonly hooksFor: (kill: KillPlan, order: OrderState) => RestartHooks = () => undefined,
  ) {
    this.pending = [...plans];
  }

  /** The payment reached a point: schedule its kill (the caller goes on with its command). */
  at(order: OrderState, point: KillPoint): void {
    const i = this.pending.findIndex((k) => k.index === order.plan.index && k.point === point);
    if (i < 0) return;
    const [kill] = this.pending.splice(i, 1);
    this.schedule(kill!, `${point} of ${order.plan.orderReference}`, order);
  }

  /** The payment ended without reaching its point: kill between payments instead. */
  finished(order: OrderState): void {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      if (this.pending[i]!.index !== order.plan.index) continue;
      const [kill] = this.pending.splice(i, 1);
      this.schedule({ ...kill!, delayMs: 0 }, `after ${order.plan.orderReference} (planned ${kill!.point})`, order);
    }
  }

  /** Whether a kill is planned at this point of this payment. */
  has(order: OrderState, point: KillPoint): boolean {
    return this.pending.some((k) => k.index === order.plan.index && k.point === point);
  }

  /** Kills not fired yet (their payment never ran). */
  get unfired(): number {
    return this.pending.length;
  }

  /** Resolves once every scheduled kill has happened and the host is back. */
  async idle(): Promise<void> {
    while (this.scheduled > this.fired) await new Promise((resolve) => setTimeout(resolve, 20));
    await this.chain;
  }

  private schedule(kill: KillPlan, reason: string, order: OrderState): void {
    order.notes.push(`kill -9 scheduled: ${reason} (+${kill.delayMs} ms, restart ${kill.restart})`);
    this.scheduled++;
    const run = () => {
      this.fired++;
      const label = kill.restart === 'normal' ? reason : `${reason}, restarted ${kill.restart.replace('_', ' ')}`;
      this.chain = this.chain.then(() => this.session.kill(label, this.hooksFor(kill, order))).catch(() => undefined);
    };
    if (kill.delayMs === 0) setImmediate(run);
    else setTimeout(run, kill.delayMs);
  }
}

export interface DriverContext {
  session: HostSession;
  readerIds: Partial<Record<Lane, string | null>>;
  killer: Killer;
  /** Pay by link: the customer's phone (null on the PlutoPay lane). */
  customer: LinkCustomer | null;
  /** The gateway's smallest refund (minor units): what a partial refund may leave, at least. */
  minRefund: number;
  /** The Concert terminal's script for the next request (null without the Concert lane). */
  setTerminalScript: ((script: PaymentPlan['concertScript']) => void) | null;
  /** The sandbox's current simulated-reader timeout (cloud lane), if any. */
  readerTimeoutMs: () => number | null;
  log: (line: string) => void;
}

type Outcome<N extends CommandName> =
  | { kind: 'ok'; value: CommandResult<N> }
  | { kind: 'error'; error: CommandError }
  | { kind: 'down' }
  | { kind: 'timeout' };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const MAX_PUSHES = 5;
const CLEAN_APPROVAL = { delayMs: 60 } as const;
/** The customer paid a link: the host must show it (it follows the link by itself) within this. */
const LINK_FOLLOW_MS = 40_000;
/** A planned kill was to let the customer pay; if it has not come by then, the customer pays anyway. */
const SCHEDULED_PAY_MS = 15_000;

/** Drives one payment until it is finished, needs a decision the runner cannot make, or time is up. */
export async function drivePayment(ctx: DriverContext, order: OrderState, budgetMs: number): Promise<void> {
  const { session } = ctx;
  const plan = order.plan;
  const until = Date.now() + budgetMs;
  order.started = true;
  const note = (text: string) => {
    order.notes.push(`${new Date().toISOString().slice(11, 23)} ${text}`);
    if (order.notes.length > 80) order.notes.splice(0, order.notes.length - 80);
  };

  async function act<N extends CommandName>(name: N, input: unknown, timeoutMs = 20_000): Promise<Outcome<N>> {
    try {
      const result = await session.call(name, input, timeoutMs);
      if (result.ok) return { kind: 'ok', value: result.value };
      note(`${name} → ${result.error.code}: ${result.error.message.slice(0, 160)}`);
      return { kind: 'error', error: result.error };
    } catch (error) {
      if (error instanceof HostDown) {
        note(`${name} → host down`);
        await session.ready();
        await session.resync().catch(() => undefined);
        return { kind: 'down' };
      }
      if (error instanceof BridgeTimeout) {
        note(`${name} → no answer`);
        return { kind: 'timeout' };
      }
      throw error;
    }
  }

  async function refresh(): Promise<PaymentView | undefined> {
    for (const limit of [60, 200]) {
      const listed = await act('payments.list', { filter: 'all', limit });
      if (listed.kind === 'ok') {
        const found = listed.value.find((p) =>
          order.paymentId
            ? p.id === order.paymentId
            : p.orderReference === plan.orderReference && p.status !== 'failed',
        );
        if (found) return found;
      }
    }
    return undefined;
  }

  /** Waits for the payment's view to change (or the bound). */
  async function settle(view: PaymentView, ms: number): Promise<void> {
    await session.waitForPayment(
      view.id,
      (v) => v.updatedAt !== view.updatedAt || v.status !== view.status,
      Math.max(50, Math.min(ms, until - Date.now())),
    );
  }

  // -- create ------------------------------------------------------------------------------------
  while (!order.paymentId) {
    if (Date.now() > until) {
      order.timedOut = true;
      // Refused only if the host said so; an order that never got an answer counts as lost.
      if (!order.accepted) order.refusedReason ??= order.refusals.at(-1) ?? null;
      note('gave up creating');
      return;
    }
    const created = await act('payments.create', {
      amount: plan.amount,
      currency: plan.currency,
      orderReference: plan.orderReference,
      captureMethod: plan.captureMethod,
      description: `soak ${plan.index} ${plan.scenario}`,
      ...(plan.channel === 'link' ? { channel: 'link' } : {}),
    });
    // A payment link for an amount with automatic capture is asking to be paid that amount.
    if (plan.channel === 'link' && plan.captureMethod === 'automatic') order.intendedCapture = plan.amount;
    if (created.kind === 'ok') {
      order.paymentId = created.value.id;
      order.accepted = true;
      note(`created ${created.value.id} (${created.value.status})`);
      ctx.killer.at(order, 'after_create');
      break;
    }
    if (created.kind === 'down' || created.kind === 'timeout') {
      // The create may have been journaled before the host died: the host's list says.
      const found = await refresh();
      if (found) {
        order.paymentId = found.id;
        order.accepted = true;
        note(`found ${found.id} after the host went down`);
      }
      continue;
    }
    order.refusals.push(`${created.error.code}: ${created.error.message}`);
    if (created.error.code === 'offline' || created.error.code === 'internal') {
      await sleep(400);
      continue;
    }
    if (created.error.code === 'conflict') {
      const found = await refresh();
      if (found) {
        order.paymentId = found.id;
        order.accepted = true;
        continue;
      }
    }
    // A definitive refusal (e.g. the gateway refused the create): nothing exists for this order.
    if (created.error.code === 'gateway') {
      order.refusedReason = `${created.error.code}: ${created.error.message}`;
      order.finished = true;
      order.finalStatus = 'refused';
      return;
    }
    await sleep(400);
  }

  // -- the payment -------------------------------------------------------------------------------
  const id = order.paymentId;
  const readerId = ctx.readerIds[plan.lane];
  let lastUpdated = '';
  let sameSince = Date.now();
  let retriesAsked = 0;
  let waitingForCardSince: number | null = null;

  const cancelStep = async (view: PaymentView, why: string) => {
    order.cancelAsked++;
    note(`cancel (${why})`);
    ctx.killer.at(order, 'mid_cancel');
    const canceled = await act('payments.cancel', { paymentId: id });
    if (canceled.kind === 'error' && canceled.error.code === 'conflict') {
      // Too late (the card is authorising, or it finished): see what it became.
      await settle(view, 3_000);
    } else if (canceled.kind !== 'ok') {
      await sleep(300);
    }
  };

  while (Date.now() < until) {
    let view = session.payments.get(id);
    if (!view) {
      view = await refresh();
      if (!view) {
        await sleep(300);
        continue;
      }
    }
    if (view.updatedAt !== lastUpdated) {
      lastUpdated = view.updatedAt;
      sameSince = Date.now();
    }
    const stuckMs = Date.now() - sameSince;
    // Operations waiting for the gateway are the host's to send: wait, nudging now and then.
    if (view.queuedOperations > 0) {
      if (stuckMs > 8_000 && retriesAsked < 20) {
        retriesAsked++;
        order.nudges++;
        await act('attention.retry', { paymentId: id });
        sameSince = Date.now();
      }
      await settle(view, 1_000);
      continue;
    }
    switch (view.status) {
      case 'creating': {
        if (stuckMs > 1_500) {
          order.nudges++;
          await act('attention.retry', { paymentId: id });
          sameSince = Date.now();
        }
        await settle(view, 500);
        break;
      }
      case 'unknown': {
        if (!view.transactionId || plan.channel === 'link') {
          if (stuckMs > 1_000) {
            await act('attention.retry', { paymentId: id });
            sameSince = Date.now();
          }
          await settle(view, 800);
          break;
        }
        const resolved = await handleUnknown(view, stuckMs);
        if (resolved === 'leave') {
          order.finalStatus = 'unknown';
          note('left in Needs attention: the outcome cannot be known here');
          return;
        }
        break;
      }
      case 'pending':
        if (plan.channel === 'link') await handleLinkPending(view);
        else await handlePending(view);
        break;
      case 'in_progress':
        if (plan.channel === 'link') await settle(view, 1_000);
        else await handleInProgress(view, stuckMs);
        break;
      case 'requires_capture':
        await handleAuthorised(view);
        break;
      case 'succeeded':
      case 'partially_refunded': {
        if (await handleRefunds(view)) break;
        finish(view);
        return;
      }
      case 'refunded':
      case 'canceled':
      case 'failed':
        if (plan.channel === 'link' && view.status === 'canceled') await customerComesBack(view);
        finish(view);
        return;
    }
  }
  order.timedOut = true;
  order.finalStatus = session.payments.get(id)?.status ?? null;
  note(`per-payment bound reached (${order.finalStatus})`);

  function finish(view: PaymentView): void {
    order.finished = true;
    order.timedOut = false;
    order.finalStatus = view.status;
    note(`finished: ${view.status}, captured ${view.amountCaptured}, refunded ${view.amountRefunded}`);
  }

  /** A payment link nobody paid yet: the customer pays it (or the cashier withdraws it). */
  async function handleLinkPending(view: PaymentView): Promise<void> {
    const customer = order.customer!;
    if (customer.paidAt !== null) {
      // The gateway took the money: the host follows the link and must see it by itself.
      const since = Date.now() - customer.paidAt;
      if (since > LINK_FOLLOW_MS && !order.findings.some((f) => f.startsWith('still pending'))) {
        order.findings.push(
          `still pending ${Math.round(since / 1000)} s after the customer paid the link${order.heldAcrossRestart ? ' while the host was down' : ''}`,
        );
      }
      await settle(view, 1_000);
      return;
    }
    if (customer.payScheduledAt !== null) {
      // A kill lets the customer pay while the host is down; its hook pays.
      if (Date.now() - customer.payScheduledAt < SCHEDULED_PAY_MS) {
        await settle(view, 500);
        return;
      }
      customer.payScheduledAt = null;
      note('the planned kill did not come: the customer pays now');
    }
    if (plan.scenario === 'cancel_pending' && !order.cancelRefused) {
      // Where the gateway cannot withdraw an unpaid link (the host offers no cancel), the cashier
      // takes the QR code down; the host must still refuse a cancel sent anyway, and change nothing.
      const offered = view.next.includes('cancel');
      await cancelStep(view, offered ? 'withdraw the unpaid link' : 'cancel sent although not offered');
      if (!offered && order.cancelAsked > 0) {
        const after = session.payments.get(id);
        if (after?.status === 'pending') {
          order.cancelRefused = true;
          note('the gateway cannot withdraw an unpaid link: the QR code is taken down');
        }
      }
      return;
    }
    if (plan.scenario === 'cashier_cancel' && order.cancelAsked === 0) {
      // The customer pays as the cashier cancels: either may win, nothing may be charged twice.
      const why = 'cancel while the customer pays';
      if (plan.race === 'cancel_first') {
        await cancelStep(view, why);
        await customerPays(session.payments.get(id) ?? view, plan.goodCard);
      } else if (plan.race === 'customer_first') {
        await customerPays(view, plan.goodCard);
        await cancelStep(view, why);
      } else await Promise.all([customerPays(view, plan.goodCard), cancelStep(view, why)]);
      return;
    }
    const useDecline = plan.declineCard !== null && !order.declinedCardUsed;
    if (!useDecline && ctx.killer.has(order, 'customer_paying')) {
      customer.payScheduledAt = Date.now();
      note('the customer will pay while the host is down');
      ctx.killer.at(order, 'customer_paying');
      await settle(view, 500);
      return;
    }
    await customerPays(view, useDecline ? plan.declineCard! : plan.goodCard);
  }

  async function customerPays(view: PaymentView, card: string): Promise<void> {
    if (!view.transactionId || !ctx.customer) {
      await settle(view, 500);
      return;
    }
    const attempt = await ctx.customer.pay(view.transactionId, card);
    recordCustomerAttempt(order, card, attempt);
    if (attempt.outcome === 'error' || attempt.outcome === 'refused') await settle(view, 600);
  }

  /**
   * A withdrawn link the customer still has on their phone: paying it must be refused. (With a
   * cancel that raced the customer's payment, the customer already had their try.)
   */
  async function customerComesBack(view: PaymentView): Promise<void> {
    const customer = order.customer;
    if (!customer || !ctx.customer || !view.transactionId || plan.scenario !== 'cancel_pending') return;
    for (let tries = 0; tries < 5 && customer.latePay === null; tries++) {
      const attempt = await ctx.customer.pay(view.transactionId, plan.goodCard);
      recordCustomerAttempt(order, plan.goodCard, attempt);
      if (attempt.outcome === 'refused') customer.latePay = 'refused';
      else if (attempt.outcome === 'approved') {
        customer.latePay = 'approved';
        order.findings.push('the customer paid a link the till had withdrawn (canceled)');
      } else await sleep(300);
    }
  }

  async function handlePending(view: PaymentView): Promise<void> {
    const wantsCancel =
      plan.scenario === 'cancel_pending' ||
      order.undo ||
      (plan.scenario === 'decline_amount' && (view.decline !== null || order.processAttempts > 0)) ||
      (plan.scenario === 'cashier_cancel' && order.cancelAsked > 0) ||
      order.blockedByReader ||
      order.processAttempts >= MAX_PUSHES;
    if (wantsCancel) {
      await cancelStep(
        view,
        order.processAttempts >= MAX_PUSHES ? `${MAX_PUSHES} pushes without a result` : plan.scenario,
      );
      return;
    }
    if (!readerId) throw new Error(`no reader for lane ${plan.lane}`);
    const attempt = order.processAttempts + 1;
    if (
      (plan.lane === 'sim1' || plan.lane === 'sim2') &&
      attempt === 1 &&
      order.faultAttempt === null &&
      (plan.scenario === 'reader_timeout' || plan.scenario === 'reader_disconnect')
    ) {
      const fault = plan.scenario === 'reader_timeout' ? 'timeout' : 'disconnect_mid_payment';
      const armed = await act('simulate.setFault', { readerId, fault });
      if (armed.kind === 'ok') {
        order.faultAttempt = attempt;
        note(`reader fault armed: ${fault}`);
      }
    }
    if (plan.lane === 'concert' && ctx.setTerminalScript) {
      ctx.setTerminalScript(attempt === 1 ? plan.concertScript : CLEAN_APPROVAL);
      if (order.terminal) order.terminal.lastAnswer = null;
    }
    order.cashierResolution = null;
    // Pushing a payment with automatic capture is asking to be paid, whatever answer comes back.
    if (plan.captureMethod === 'automatic') order.intendedCapture = plan.amount;
    const pushed = await act('payments.process', { paymentId: id, readerId });
    if (pushed.kind === 'ok') {
      order.processAttempts = attempt;
      note(`pushed to ${plan.lane} (attempt ${attempt})`);
      ctx.killer.at(order, 'after_push');
      if (plan.lane === 'cloud') ctx.killer.at(order, 'cloud_holding');
      return;
    }
    if (pushed.kind === 'down' || pushed.kind === 'timeout') {
      // The push may have happened: count it if the payment is on the reader.
      const fresh = (await refresh()) ?? session.payments.get(id);
      if (fresh && fresh.status !== 'pending') order.processAttempts = attempt;
      return;
    }
    if (pushed.kind === 'error') {
      // Not online yet, the gateway away, the reader still busy: look again shortly.
      if (/busy with another payment/i.test(pushed.error.message)) {
        order.readerBusySince ??= Date.now();
        if (Date.now() - order.readerBusySince > 20_000) {
          // Another payment holds the reader (one only a person can settle): the cashier gives up on this sale.
          order.blockedByReader = true;
          note('the reader stayed busy with another payment for 20 s: canceling this sale');
        }
      } else {
        order.readerBusySince = null;
      }
      await sleep(pushed.error.code === 'conflict' ? 600 : 400);
    }
  }

  async function handleInProgress(view: PaymentView, stuckMs: number): Promise<void> {
    const hostedSim = plan.lane === 'sim1' || plan.lane === 'sim2';
    // A push the host made before a restart may not be counted yet.
    if (order.processAttempts === 0) order.processAttempts = 1;
    const attempt = order.processAttempts;
    if (stuckMs > 20_000 && retriesAsked < 6) {
      retriesAsked++;
      order.nudges++;
      note(`no progress for ${Math.round(stuckMs / 1000)} s: asking the host to reconcile`);
      await act('attention.retry', { paymentId: id });
      sameSince = Date.now();
      return;
    }
    if (stuckMs > 45_000) {
      await cancelStep(view, 'stuck on the reader');
      sameSince = Date.now();
      return;
    }
    if (hostedSim) {
      if (view.readerStage !== 'waiting_for_card') {
        waitingForCardSince = null;
        await settle(view, 1_000);
        return;
      }
      waitingForCardSince ??= Date.now();
      if (plan.scenario === 'cashier_cancel' && order.cancelAsked === 0) {
        await cancelStep(view, 'cashier cancel while the reader waits for the card');
        return;
      }
      // An armed fault plays out by itself (unless a restart gave the host a fresh reader).
      const faultPlaying = order.faultAttempt === attempt && Date.now() - waitingForCardSince < 3_000;
      if (faultPlaying || order.presentedAttempt === attempt) {
        await settle(view, 500);
        if (order.presentedAttempt === attempt && Date.now() - waitingForCardSince > 4_000)
          order.presentedAttempt = null;
        return;
      }
      await present(view, attempt);
      return;
    }
    if (plan.lane === 'cloud') {
      if (plan.scenario === 'cashier_cancel' && order.cancelAsked === 0) {
        await cancelStep(view, 'cashier cancel while the reader waits for the card');
        return;
      }
      if (
        plan.scenario === 'reader_timeout' &&
        attempt === 1 &&
        ctx.readerTimeoutMs() !== null &&
        stuckMs < ctx.readerTimeoutMs()! + 4_000
      ) {
        await settle(view, 1_000); // no card: the sandbox's reader times out
        return;
      }
      if (order.presentedAttempt !== attempt) {
        await present(view, attempt);
        return;
      }
      if (order.heldAcrossRestart && stuckMs > 15_000 && !order.findings.length) {
        // The card was presented on the gateway's reader while the host was down: the host had to
        // follow the payment there by itself after the restart.
        order.findings.push(
          `still in progress ${Math.round(stuckMs / 1000)} s after its card was presented on the gateway's reader across a restart`,
        );
      }
      await settle(view, 1_500);
      return;
    }
    // Concert: the terminal decides by its script.
    await settle(view, 1_500);
  }

  async function present(view: PaymentView, attempt: number): Promise<void> {
    const useDecline = plan.declineCard !== null && !order.declinedCardUsed;
    const card = useDecline ? plan.declineCard! : plan.goodCard;
    order.cardByAttempt[attempt] = card;
    const presented = await act('simulate.presentCard', { readerId, cardNumber: card });
    if (presented.kind === 'ok') {
      order.presentedAttempt = attempt;
      if (useDecline) order.declinedCardUsed = true;
      note(`card ${card.slice(-4)} presented`);
      ctx.killer.at(order, 'card_presented');
      await settle(view, 1_000);
    } else {
      await settle(view, 400);
    }
  }

  /** 'leave' when only a person at the reader could say what happened. */
  async function handleUnknown(view: PaymentView, stuckMs: number): Promise<'leave' | 'wait'> {
    if (order.cashierResolution !== null) {
      // Already settled by the cashier: the host is reporting it.
      if (stuckMs > 10_000 && retriesAsked < 6) {
        retriesAsked++;
        await act('attention.retry', { paymentId: id });
        sameSince = Date.now();
      }
      await settle(view, 1_000);
      return 'wait';
    }
    if (plan.lane === 'concert') {
      // The terminal's own record: approved, refused, or it never answered (it abandoned the
      // request when its cash register died, and charged nothing).
      const terminal = order.terminal;
      const truth = terminal === null ? null : terminal.lastAnswer === '0' ? 'charged' : 'not_charged';
      if (truth === null) return stuckMs > 10_000 ? 'leave' : (await settle(view, 1_000), 'wait');
      // The cashier reads the terminal's screen/receipt: that is the truth the app could not get.
      note(`cashier reads the terminal: ${truth}`);
      const resolved = await act('attention.resolve', { paymentId: id, resolution: truth });
      if (resolved.kind === 'ok') {
        order.cashierResolution = truth;
        order.resolutions++;
      } else await settle(view, 500);
      return 'wait';
    }
    // Simulated readers remember and tell the host when they are back (about a second): give them time.
    if (stuckMs < 4_000) {
      await settle(view, 1_000);
      return 'wait';
    }
    if (retriesAsked < 1) {
      retriesAsked++;
      await act('attention.retry', { paymentId: id });
      sameSince = Date.now();
      return 'wait';
    }
    // What the reader did is known to whoever stood at it: whether a card was presented on this
    // push (the host's own timeline says whether the reader got that far) and which card.
    if (plan.lane !== 'cloud') {
      const truth = await simulatedTruth(view);
      if (truth === 'retry') {
        await settle(view, 1_000);
        return 'wait';
      }
      if (truth !== null) {
        note(`cashier checks the reader: ${truth}`);
        const resolved = await act('attention.resolve', { paymentId: id, resolution: truth });
        if (resolved.kind === 'ok') {
          order.cashierResolution = truth;
          order.resolutions++;
        } else await settle(view, 500);
        return 'wait';
      }
    }
    return 'leave';
  }

  /** 'retry' when the host could not show the payment's timeline just now (e.g. a gateway fault). */
  async function simulatedTruth(view: PaymentView): Promise<'charged' | 'not_charged' | 'retry' | null> {
    if (!view.transactionId) return null;
    const detail = await act('transactions.get', { transactionId: view.transactionId });
    if (detail.kind !== 'ok') return 'retry';
    const timeline = detail.value.timeline;
    let lastPush = -1;
    timeline.forEach((entry, i) => {
      if (entry.event === 'sent_to_reader' || entry.event === 'reader_received') lastPush = i;
    });
    if (lastPush < 0) return null;
    const presented = timeline.slice(lastPush).some((entry) => entry.event === 'card_presented');
    if (!presented) return 'not_charged';
    const attempt = order.processAttempts;
    const card =
      plan.scenario === 'reader_disconnect' && order.faultAttempt === attempt
        ? DEFAULT_TEST_CARD
        : order.cardByAttempt[attempt];
    if (!card) return null;
    return decideTestOutcome(plan.amount, card).approved ? 'charged' : 'not_charged';
  }

  async function handleAuthorised(view: PaymentView): Promise<void> {
    const release =
      plan.capture === 'release' ||
      order.undo ||
      plan.scenario === 'cashier_cancel' ||
      plan.scenario === 'decline_amount';
    if (release) {
      await cancelStep(view, 'release the authorisation');
      return;
    }
    const amount =
      plan.capture && plan.capture !== 'release' && plan.capture.amount !== null
        ? Math.min(plan.capture.amount, view.amountCapturable)
        : undefined;
    order.intendedCapture = Math.max(order.intendedCapture, amount ?? view.amountCapturable);
    order.captureAsked++;
    note(`capture ${amount ?? 'all'}`);
    ctx.killer.at(order, 'mid_capture');
    const captured = await act('payments.capture', { paymentId: id, ...(amount !== undefined ? { amount } : {}) });
    if (captured.kind !== 'ok') await settle(view, 1_000);
  }

  /** True while a refund step is still to be asked or confirmed. */
  async function handleRefunds(view: PaymentView): Promise<boolean> {
    // A cancel the cashier wanted that came too late: give the money back.
    const wantedNothing =
      ['cashier_cancel', 'cancel_pending', 'decline_amount'].includes(plan.scenario) || plan.capture === 'release';
    if (wantedNothing && !order.undo) {
      order.undo = true;
      note('the cancel came too late: the cashier refunds it');
    }
    // Undo: one step, everything that is left. Otherwise the plan's steps, fitted to the capture.
    const steps = order.undo ? [view.amountCaptured] : refundSteps(plan.refunds, view.amountCaptured, ctx.minRefund);
    let cumulative = 0;
    let done = 0;
    for (const step of steps) {
      if (view.amountRefunded >= cumulative + step) {
        cumulative += step;
        done++;
      } else break;
    }
    if (done >= steps.length) return false;
    if (order.refundStepsAsked > done) {
      // Asked but not confirmed: the host may still be sending it (or it was lost with a kill).
      const settled = await session.waitForPayment(
        id,
        (v) => v.amountRefunded > view.amountRefunded || v.status !== view.status,
        2_500,
      );
      if (settled) return true;
      const fresh = await refresh();
      if (fresh && fresh.amountRefunded === view.amountRefunded && fresh.queuedOperations === 0)
        order.refundStepsAsked = done;
      return true;
    }
    const amount = order.undo ? view.amountCaptured - view.amountRefunded : steps[done]!;
    order.refundStepsAsked = done + 1;
    order.intendedRefunds = Math.max(order.intendedRefunds, cumulative + amount);
    note(`refund ${amount}`);
    ctx.killer.at(order, 'mid_refund');
    const refunded = await act('payments.refund', { paymentId: id, amount, reason: 'soak' });
    if (refunded.kind === 'error' && refunded.error.code === 'validation') {
      // More than what remains: something is still being refunded; look again.
      order.refundStepsAsked = done + 1;
      await settle(view, 1_000);
    }
    return true;
  }
}

/**
 * The plan's refunds, fitted to what was actually captured; no step, and nothing a partial step
 * leaves, below the gateway's smallest refund (`min`).
 */
export function refundSteps(planned: readonly number[], captured: number, min = 1): number[] {
  if (captured <= 0 || planned.length === 0) return [];
  const total = planned.reduce((a, b) => a + b, 0);
  if (total <= captured) return [...planned];
  if (planned.length === 1) {
    const step = Math.min(planned[0]!, captured);
    return captured - step > 0 && captured - step < min ? [captured] : [step];
  }
  const first = Math.min(planned[0]!, Math.max(captured - min, min));
  return first >= captured || captured - first < min ? [captured] : [first, captured - first];
}
