/**
 * Installment plans: one purchase paid in 2–4 parts (as the gateway allows), the first today by
 * link (a QR the customer pays on their phone), the others charged by the gateway on schedule to
 * the same card. The plan is journaled before it is sent; the gateway has no idempotency key for
 * it, so an unanswered create is looked for before anything else (and, if it cannot be found, the
 * plan stays "unknown" until it is: never created twice). Each installment's payment joins the
 * journal as the gateway makes it, so it is followed, reported and refundable like any other.
 */
import type { GatewayName, InstallmentPlanView, InstallmentState, ParsedCommandInput } from '../../common/contract';
import { FINAL_PLAN_STATUSES, GATEWAY_LABELS } from '../../common/contract/views';
import { errorText, HostError } from '../core/errors';
import { newId } from '../core/ids';
import { inBackground } from '../core/background';
import { accountWords, GATEWAY_KEYS } from '../gateway/accounts';
import { GatewayError, GatewayUnreachable, isGatewayError } from '../gateway/errors';
import { paymentLimitIssues } from '../gateway/limits';
import type { GatewayPayment, InstallmentPlan, NewInstallmentPlan, PaymentGateway } from '../gateway/port';
import { planAccount, type InstallmentPlanRecord, type Journal, type PaymentRecord } from '../store/journal';
import { formatAmount } from '../../common/money';
import { installmentAmounts } from '../../common/installments';
import { notSentText, unansweredText, type PaymentEngine } from './engine';
import { alreadyPaid, holdingAttempt, type PaymentSync } from './sync';
import type { RemoteWatcher } from './watcher';
import { createOrderReference } from './create-requests';

type CreateInput = ParsedCommandInput<'installments.create'>;

/** A running plan a reading did not read, and why (a close names them). */
export interface PlanNotRead {
  plan: InstallmentPlanRecord;
  reason: string;
}

interface PlansRead {
  /** Whether a plan still runs (the watcher stops following once none does). */
  running: boolean;
  notRead: PlanNotRead[];
}

export class Installments {
  constructor(
    private readonly engine: PaymentEngine,
    private readonly sync: PaymentSync,
    private readonly watcher: RemoteWatcher,
  ) {
    // A part paid, declined, or its link lapsed: the plan may have ended with it (PayPlug fails a
    // plan whose first part is not paid), so it is read again at once rather than shown running.
    sync.onClosed((record) => {
      const plan = record.installmentPlanId ? engine.journal.getPlan(record.installmentPlanId) : undefined;
      if (!plan?.planId || isFinal(plan.status)) return;
      const gateway = this.gatewayOf(plan);
      if (!gateway) return;
      // Heard inside the commit that closes the part: the plan is read once that is on disk.
      engine.journal.afterCommit(() =>
        inBackground(this.refresh(plan, gateway), (error) =>
          engine.options.log(`Could not refresh plan ${plan.id}`, errorText(error)),
        ),
      );
    });
  }

  async create(input: CreateInput): Promise<InstallmentPlanView> {
    const gateway = this.requireInstallments();
    const range = gateway.capabilities.installments!;
    const issues = paymentLimitIssues(input, gateway.limits, gateway.label);
    if (input.count < range.minCount || input.count > range.maxCount)
      issues.push({
        path: 'count',
        message: `${gateway.label} takes ${range.minCount} to ${range.maxCount} installments`,
      });
    if (input.amount < input.count * gateway.limits.amount.min)
      issues.push({ path: 'amount', message: `too small for ${input.count} installments with ${gateway.label}` });
    if (issues.length > 0)
      throw new HostError('validation', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
    this.engine.requireOnline('A plan cannot be set up while the gateway is unreachable.');
    // Without an order, the plan's own name (its requestId): the same plan sent twice is one plan.
    const orderReference = createOrderReference(input);
    // The same lock as a plain payment for the order: one way of paying an order at a time.
    return this.engine.exclusive(`order:${orderReference}`, async () => {
      const same = this.existingPlan(orderReference, input);
      if (same) return this.view(same);
      const { journal } = this.engine;
      const holding = holdingAttempt(journal.findByOrder(orderReference));
      if (holding?.open)
        throw new HostError(
          'conflict',
          `Order ${orderReference} already has an open payment (${holding.payment.id}). Cancel it before paying in installments.`,
        );
      if (holding) throw alreadyPaid(orderReference, holding.payment);
      const id = newId('ipl');
      const schedule = splitSchedule(input.amount, input.count, this.engine.clock.now()).map((entry) => ({
        ...entry,
        paymentIds: [] as string[],
      }));
      const record = journal.insertPlan({
        id,
        gateway: gateway.name,
        planId: null,
        orderReference,
        idempotencyKey: `plan-${id}`,
        currency: input.currency,
        amount: input.amount,
        schedule,
        customer: input.customer,
        status: 'creating',
        payUrl: null,
        failure: null,
        // The account of this mode (the sandbox's, or the shop's) holds it: only its keys can read it.
        mode: this.engine.options.mode(),
        onSandbox: this.onSandbox(),
        // The very account it is sent to: no other's "no such plan" says anything of it.
        gatewayAccount: this.engine.gatewayAccount(),
      });
      this.engine.planChanged(record.id);
      const sent = await this.send(record, gateway, true);
      // The first part is in the journal before the plan is shown: its link's expiry is the plan's.
      const first = sent.schedule[0]?.paymentIds[0];
      if (first)
        await this.takeIn(first, sent, gateway).catch((error: unknown) =>
          this.engine.options.log(`Could not take in installment ${first}`, errorText(error)),
        );
      return this.view(journal.getPlan(sent.id)!);
    });
  }

  /**
   * The order's plan, if it has one that counts: the same plan asked again comes back (a cashier
   * pressing Charge twice); any other is refused, as a second payment for a paid order is.
   */
  private existingPlan(orderReference: string, input: CreateInput): InstallmentPlanRecord | null {
    const plan = planHoldingOrder(this.engine.journal, orderReference);
    if (!plan) return null;
    const ended = endedPlanRefusal(orderReference, plan);
    if (ended) throw ended;
    const sameTerms =
      plan.amount === input.amount &&
      plan.currency === input.currency &&
      plan.schedule.length === input.count &&
      plan.customer.email.toLowerCase() === input.customer.email.toLowerCase();
    if (!sameTerms)
      throw new HostError(
        'conflict',
        `Order ${orderReference} already has a plan of ${formatAmount(plan.amount, plan.currency)} in ${plan.schedule.length} installments (${plan.id}). ${runningPlanWayOut(plan, 'setting up another')}`,
      );
    return plan;
  }

  /** The till's plans, newest first, brought up to date with the gateway where it answers. */
  async list(): Promise<InstallmentPlanView[]> {
    await this.refreshRunning();
    return this.engine.journal.listPlans(100).map((plan) => this.view(plan));
  }

  /**
   * One plan as the gateway has it now, for the cashier opening it (Transactions → Installment plans):
   * a running plan is read again with the gateway that made it and its parts taken in, so the panel
   * does not show the list's older copy (found by a tester: "Scheduled" for a part PayPlug had
   * charged since). An ended plan, or one the till cannot read now (its keys, its mode or account),
   * is answered from the journal, its view saying why; an unanswered read is the command's error.
   */
  async get(planId: string): Promise<InstallmentPlanView> {
    const record = this.engine.journal.getPlan(planId);
    if (!record) throw new HostError('not_found', `No plan ${planId} on this till.`);
    if (isFinal(record.status) || this.otherAccount(record)) return this.view(record);
    const gateway = this.gatewayOf(record);
    if (!gateway) return this.view(record);
    return this.view(await this.readOne(record, gateway));
  }

  /**
   * Reads the till's running plans again, each with the gateway that made it (whichever the till
   * uses now), taking in the parts the gateway charged since: what the watcher does every little
   * while, recovery at start and on reconnect, and the plans list when opened. Concurrent calls
   * share one reading. Answers whether a plan still runs (the watcher stops following once none
   * does).
   */
  refreshRunning(): Promise<boolean> {
    return this.reading(false).then((read) => read.running);
  }

  private refreshing: Promise<PlansRead> | null = null;
  /**
   * The running plans the last reading could not read, and why (an X names them: notReadLast), each
   * with when it failed (`seq`), so a read of the plan since (its part closed, a reconciliation,
   * another reading) is not taken for the older failure.
   */
  private lastNotRead: (PlanNotRead & { seq: number; keys?: true })[] = [];
  /** When each plan was last read in full (its parts taken in), on the same count as `seq`. */
  private readAt = new Map<string, number>();
  private seq = 0;

  /** The reading under way, or a new one (`beforeClose`: see readBeforeClose). */
  private reading(beforeClose: boolean): Promise<PlansRead> {
    this.refreshing ??= this.readRunning(beforeClose).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /**
   * Before a day is closed: the running plans read again, so that a part the gateway charged in the
   * day counts in it. The close never waits out more than one timeout per gateway: the active
   * gateway's plans are not read while it is known to be offline, and a gateway that left one read
   * unanswered is not asked again for the rest of this reading (each plan is followed with its own
   * gateway, so PayPlug may be unreachable while the till's gateway answers). A part taken in later
   * counts in the open day. Answers the running plans not read, and why, for the close to name.
   */
  async readBeforeClose(): Promise<PlanNotRead[]> {
    return (await this.reading(true)).notRead;
  }

  /**
   * The running plans not read, and why, as they stand now (an X is printed from it): those the keys
   * the till holds now cannot see, whatever the last reading found (keys removed or changed since),
   * and those the last reading (periodic, or before a close) could not read, unless read since.
   */
  notReadLast(): readonly PlanNotRead[] {
    const failed = new Map(this.lastNotRead.map((entry) => [entry.plan.id, entry]));
    const gateways = new Map<GatewayName, PaymentGateway | null>();
    const notRead: PlanNotRead[] = [];
    for (const plan of this.engine.journal.runningPlans()) {
      if (!gateways.has(plan.gateway)) gateways.set(plan.gateway, this.gatewayOf({ gateway: plan.gateway }));
      const elsewhere = this.otherAccount(plan);
      if (elsewhere || !gateways.get(plan.gateway)) {
        notRead.push({ plan, reason: elsewhere?.reason ?? `no keys for ${GATEWAY_LABELS[plan.gateway]}` });
        continue;
      }
      const last = failed.get(plan.id);
      if (!last || last.seq <= (this.readAt.get(plan.id) ?? 0)) continue;
      // Not read for want of keys, which the till holds now: not read since they came back.
      notRead.push({ plan, reason: last.keys ? 'not read since its keys changed' : last.reason });
    }
    return notRead;
  }

  private async readRunning(beforeClose: boolean): Promise<PlansRead> {
    const running = () => this.engine.journal.runningPlans();
    const { connectivity } = this.engine.options;
    // The active gateway asked the till to wait: its plans are not read (each read would be
    // throttled again), the list shows the journal's, and the watcher reads them once the wait is over.
    const throttled = (connectivity.throttledForMs() ?? 0) > 0;
    const gateways = new Map<GatewayName, PaymentGateway | null>();
    /** The gateways that left a read unanswered in this reading: their other plans are not asked for. */
    const unreachable = new Set<GatewayName>();
    const notRead: (PlanNotRead & { seq: number; keys?: true })[] = [];
    for (const plan of running()) {
      if (this.engine.closed) break;
      if (!gateways.has(plan.gateway)) gateways.set(plan.gateway, this.gatewayOf({ gateway: plan.gateway }));
      const elsewhere = this.otherAccount(plan);
      const gateway = elsewhere ? null : gateways.get(plan.gateway)!;
      const label = GATEWAY_LABELS[plan.gateway];
      // No keys for it (or none of its mode): its view says so, and the plan is read again once they are back.
      if (!gateway) {
        notRead.push({ plan, reason: elsewhere?.reason ?? `no keys for ${label}`, seq: ++this.seq, keys: true });
        continue;
      }
      if (throttled && this.isActive(gateway)) {
        notRead.push({ plan, reason: `${label} asked the till to wait`, seq: ++this.seq });
        continue;
      }
      if (
        unreachable.has(plan.gateway) ||
        (beforeClose && this.isActive(gateway) && connectivity.state === 'offline')
      ) {
        notRead.push({ plan, reason: `${label} unreachable`, seq: ++this.seq });
        continue;
      }
      try {
        await this.readOne(plan, gateway);
      } catch (error) {
        this.engine.options.log(`Could not refresh plan ${plan.id}`, errorText(error));
        // Unanswered: a read's own error, or a plan's look-up turned into what the cashier is told.
        if (error instanceof GatewayUnreachable || (error instanceof HostError && error.code === 'offline')) {
          unreachable.add(plan.gateway);
          notRead.push({ plan, reason: `${label} unreachable`, seq: ++this.seq });
        } else notRead.push({ plan, reason: errorText(error), seq: ++this.seq });
      }
    }
    this.lastNotRead = notRead;
    return { running: running().length > 0, notRead };
  }

  private readOne(plan: InstallmentPlanRecord, gateway: PaymentGateway): Promise<InstallmentPlanRecord> {
    // An abort asked for and not confirmed (the till died, or the gateway did not answer): sent again.
    if (plan.planId && plan.status === 'aborting') return this.sendAbort(plan.id, gateway, false);
    if (plan.planId) return this.refresh(plan, gateway);
    // Not confirmed yet: its create may still be on its way. create() holds the order's lock while it
    // sends, so the plan is looked for only once that create has answered or given up (found by a
    // tester: a reading in between found nothing yet at the gateway, and made a second plan).
    return this.engine.exclusive(`order:${plan.orderReference}`, async () => {
      const current = this.engine.journal.getPlan(plan.id)!;
      if (isFinal(current.status)) return current;
      return current.planId ? this.refresh(current, gateway) : this.send(current, gateway, false);
    });
  }

  /**
   * The gateway a plan is followed with: the one that made it, whichever the till uses now — the
   * active one for its own plans, else one built from that gateway's own stored keys (each gateway
   * keeps its own, see main/config/settings.ts). Null while the till holds no keys for it in this
   * mode: the plan's view says so, and what the shop must do.
   */
  private gatewayOf(
    plan: Pick<InstallmentPlanRecord, 'gateway'> &
      Partial<Pick<InstallmentPlanRecord, 'mode' | 'onSandbox' | 'gatewayAccount'>>,
  ): PaymentGateway | null {
    // The till holds one account's keys at a time (settings drop the other mode's): a plan of
    // another account is never read with them (they cannot see it).
    if (this.otherAccount(plan)) return null;
    const active = this.engine.activeGateway();
    const gateway = active?.name === plan.gateway ? active : (this.engine.options.gatewayNamed?.(plan.gateway) ?? null);
    return gateway?.installments ? gateway : null;
  }

  /**
   * The refusal of an act on a plan of another gateway than the till's whose keys the till does not
   * hold now: which gateway, and which of its accounts, to enter again in Settings.
   */
  private noKeysFor(plan: InstallmentPlanRecord): HostError {
    const label = GATEWAY_LABELS[plan.gateway];
    const account = plan.gatewayAccount && !plan.onSandbox ? accountWords(plan.gateway, plan.gatewayAccount) : null;
    return new HostError(
      'conflict',
      `This plan was made with ${label}${account ? ` on ${account.words}` : ''}, and the till holds no ${label} keys ` +
        `now: enter ${account ? `${account.settings} for ${label}` : `the ${label} keys of the account it was made on`} in Settings (F7) to act on it.`,
    );
  }

  private onSandbox(): boolean {
    return this.engine.options.embeddedSandbox?.() ?? false;
  }

  /**
   * Why the keys the till holds now cannot see the plan — made in the other mode, on the embedded
   * sandbox while it is off (or on the shop's own test account while it is on), or on another of the
   * shop's own accounts than the one Settings names now for its gateway — and what the shop can do;
   * null when they can (nothing given: the caller checked it).
   */
  private otherAccount(
    plan: Partial<Pick<InstallmentPlanRecord, 'gateway' | 'mode' | 'onSandbox' | 'gatewayAccount'>>,
  ): { reason: string; why: string; fix: string } | null {
    const label = GATEWAY_LABELS[plan.gateway ?? 'payplug'];
    const mode = this.engine.options.mode();
    if (plan.mode !== undefined && plan.mode !== mode)
      return {
        reason: `made in ${plan.mode} mode`,
        why: `This plan was made in ${plan.mode} mode and the till is in ${mode} mode, holding only ${label}'s ${mode} keys, which cannot see it`,
        fix: `Switch back to ${plan.mode} mode in Settings (F7)`,
      };
    if (plan.onSandbox !== undefined && plan.onSandbox !== this.onSandbox())
      return plan.onSandbox
        ? {
            reason: 'made on the embedded sandbox',
            why: `This plan was made on the embedded sandbox, which is turned off: ${label}'s keys the till holds now cannot see it`,
            fix: 'Turn the embedded sandbox back on in Settings (F7)',
          }
        : {
            reason: `made with the shop's own ${label} test account`,
            why: `This plan was made with the shop's own ${label} test account, and the till now uses the embedded sandbox, which cannot see it`,
            fix: 'Turn the embedded sandbox off in Settings (F7)',
          };
    // The shop's own account, but maybe not this one: its URL and key were changed in Settings since
    // ('' on either side: a plan not claimed yet, or no keys for its gateway, which notFollowed says).
    if (!plan.gateway || !plan.gatewayAccount) return null;
    const now = this.engine.gatewayAccountOf(plan.gateway);
    if (now === '' || now === plan.gatewayAccount) return null;
    const made = accountWords(plan.gateway, plan.gatewayAccount);
    return {
      reason: `made on ${made.words}`,
      why: `This plan was made on ${label} ${made.words}, and the till now uses ${accountWords(plan.gateway, now).words}, which cannot see it`,
      fix: `Put back ${made.settings} in Settings (F7)`,
    };
  }

  private isActive(gateway: PaymentGateway): boolean {
    return this.engine.activeGateway()?.name === gateway.name;
  }

  private reportSuccess(gateway: PaymentGateway): void {
    if (this.isActive(gateway)) this.engine.options.connectivity.reportSuccess();
  }

  private reportError(gateway: PaymentGateway, error: unknown): void {
    if (this.isActive(gateway)) this.engine.options.connectivity.reportError(error);
  }

  /**
   * The shop changed Settings (a gateway's keys removed or entered again, another URL and key, mode or
   * sandbox): every running plan is shown again, since whether it is followed may have changed (a plan
   * of the till's own gateway too: a plan made on the account it used before is no longer followed, and
   * the screen kept showing it followed), and the plans of another gateway than the till's are read at once.
   */
  settingsChanged(): void {
    const active = this.engine.activeGateway()?.name;
    const running = this.engine.journal.runningPlans();
    for (const plan of running) this.engine.planChanged(plan.id);
    if (running.some((plan) => plan.gateway !== active)) this.watcher.followPlans(true);
  }

  /**
   * Whether a plan of that gateway (the active one unless named) still runs and is followed:
   * notifications about plans are read then only.
   */
  running(name?: GatewayName): boolean {
    const active = this.engine.activeGateway();
    if (name === undefined || name === active?.name) {
      if (!active?.installments) return false;
      return this.engine.journal.runningPlans(active.name).some((plan) => !this.otherAccount(plan));
    }
    return this.engine.journal.runningPlans(name).some((plan) => this.gatewayOf(plan) !== null);
  }

  /**
   * The gateways other than the active one whose running plans the till follows now, each built
   * from its own stored keys: their forwarded notifications are checked by them, not refused.
   */
  followedElsewhere(): PaymentGateway[] {
    const active = this.engine.activeGateway()?.name;
    const found = new Map<GatewayName, PaymentGateway>();
    for (const plan of this.engine.journal.runningPlans()) {
      if (plan.gateway === active || found.has(plan.gateway)) continue;
      const gateway = this.gatewayOf(plan);
      if (gateway) found.set(plan.gateway, gateway);
    }
    return [...found.values()];
  }

  /**
   * Ends a plan at its gateway. It is aborted with the keys of the very account it was made on, which
   * are the ones the plan is read with: the active gateway's, or another gateway's the till still holds
   * (a plan made before a switch of gateway) — the customer's next part must not wait for the till to
   * switch back. No other account's keys are ever used (they cannot see it); without the plan's own,
   * the refusal says which account, and of which gateway, to put back.
   */
  async abort(planId: string): Promise<InstallmentPlanView> {
    const record = this.engine.journal.getPlan(planId);
    if (!record) throw new HostError('not_found', `No plan ${planId} on this till.`);
    const elsewhere = this.otherAccount(record);
    if (elsewhere) throw new HostError('conflict', `${elsewhere.why}. ${elsewhere.fix} to act on it.`);
    // Another gateway's plan is read with that gateway's own stored keys: without them, say which to put back.
    const gateway = this.gatewayOf(record);
    if (!gateway) throw this.noKeysFor(record);
    if (!record.planId)
      throw new HostError('conflict', 'The gateway has not confirmed this plan yet; check again first.');
    if (isFinal(record.status)) throw new HostError('conflict', `This plan is already ${record.status}.`);
    // The intent first, on disk: a till that dies before the gateway has the abort (or before its
    // answer) finishes it after the restart, instead of showing the plan running again and letting
    // the customer's next part be charged (found by killing the till there).
    this.update(record.id, { status: 'aborting' });
    try {
      return this.view(await this.sendAbort(record.id, gateway, true));
    } catch (error) {
      if (!(error instanceof GatewayUnreachable)) throw error;
      // Unanswered: the abort stays asked for, and the till sends it again once the gateway is back.
      this.engine.options.log(`Plan ${record.id}: abort not confirmed`, errorText(error));
      this.watcher.followPlans();
      return this.view(this.engine.journal.getPlan(record.id)!);
    }
  }

  /**
   * Sends a plan's abort the journal holds as asked for (status `aborting`): the cashier's, or one a
   * restart or a lost answer left unconfirmed. Answers the plan as the journal then holds it. A plan
   * that ended meanwhile (its first link lapsed, it was paid in full) is answered as it ended; a
   * refusal of a plan still running leaves it running, the refusal thrown. Sent again (not `first`),
   * the plan is read before: an earlier send the gateway took is found, not repeated.
   */
  private sendAbort(id: string, gateway: PaymentGateway, first: boolean): Promise<InstallmentPlanRecord> {
    return this.engine.exclusive(`plan:${id}`, async () => {
      let record = this.engine.journal.getPlan(id)!;
      if (record.status !== 'aborting') return record;
      if (!first) {
        record = await this.refresh(record, gateway);
        if (record.status !== 'aborting') return record;
      }
      try {
        const aborted = await this.engine.read((g) => g.installments!.abort(record.planId!), gateway);
        const stored = this.store(record, aborted);
        await this.takeInAll(stored, gateway);
        return this.engine.journal.getPlan(stored.id)!;
      } catch (error) {
        // Refused because the plan ended meanwhile: the plan as the gateway has it now is the
        // answer, not its refusal (found by a tester). A second send after a lost answer is refused
        // the same way, the plan then aborted.
        if (!isGatewayError(error)) throw error;
        const current = await this.refresh(record, gateway);
        if (isFinal(current.status)) return current;
        this.update(id, { status: 'active' });
        throw error;
      }
    });
  }

  /**
   * Sends the plan's create — or, on any later attempt (a lost answer, a restart), first looks for
   * the plan the earlier one may have made. Never creates it twice: where the gateway cannot look
   * plans up, a plan whose create went unanswered stays unknown for a person to check. A plan of
   * another gateway than the till's (made before a switch) is only looked for, never sent again.
   */
  private async send(
    record: InstallmentPlanRecord,
    gateway: PaymentGateway,
    firstAttempt: boolean,
  ): Promise<InstallmentPlanRecord> {
    const installments = gateway.installments!;
    const input: NewInstallmentPlan = {
      currency: record.currency,
      schedule: record.schedule.map(({ date, amount }) => ({ date, amount })),
      customer: record.customer,
      orderReference: record.orderReference,
      paymentId: record.id,
    };
    try {
      if (!firstAttempt && !installments.findCreated) return record;
      const found = firstAttempt ? null : ((await installments.findCreated?.(input, record.idempotencyKey)) ?? null);
      if (!found && !firstAttempt && !this.isActive(gateway)) return record;
      const plan = found ?? (await installments.create(input, record.idempotencyKey));
      this.reportSuccess(gateway);
      const stored = this.store(record, plan);
      void this.takeInAll(stored, gateway);
      return stored;
    } catch (error) {
      if (error instanceof GatewayError) {
        this.reportError(gateway, error);
        this.update(record.id, { status: 'failed', failure: error.message });
        throw error;
      }
      if (error instanceof GatewayUnreachable) {
        this.reportError(gateway, error);
        if (firstAttempt && error.outcome === 'not_sent') {
          // Its only send never reached the gateway (a 429, a refused connection): nothing was
          // made, so nothing is looked for or sent later with nobody at the counter (a throttled
          // plan was made by itself once the gateway let the till through). The cashier tries again.
          const message = notSentText(error, gateway.label);
          this.update(record.id, { status: 'failed', failure: message });
          throw new HostError('offline', message, {
            queued: false,
            ...(error.retryAfterMs !== null ? { retryAfterMs: error.retryAfterMs } : {}),
          });
        }
        this.update(record.id, {
          status: 'unknown',
          failure:
            'The gateway did not confirm the plan. The till looks for it before trying again, so it is never made twice.',
        });
        throw new HostError(
          'offline',
          `${unansweredText(error)} The plan was not made twice; check again when it is back.`,
        );
      }
      throw error;
    }
  }

  /** The plan read again, and its parts taken in: answered once they are in the journal. */
  private async refresh(record: InstallmentPlanRecord, gateway: PaymentGateway): Promise<InstallmentPlanRecord> {
    const plan = await this.engine.read((g) => g.installments!.retrieve(record.planId!), gateway);
    const updated = this.store(record, plan);
    await this.takeInAll(updated, gateway);
    this.readAt.set(record.id, ++this.seq);
    return this.engine.journal.getPlan(updated.id)!;
  }

  /**
   * The parts of the till's plans among payments the gateway listed (a reconciliation's list) that
   * the journal lacks: PayPlug charged them on their dates before the till read the plan again.
   * Each such plan is read again as the watcher would, so its parts join the journal dated when they
   * were charged; a part its plan's answer does not list, though it names the plan, is taken in
   * from the list as it is. Never another shop's payment; a plan of a gateway the till does not use
   * now is read with that gateway (the one that listed the payments), as the plan reading does.
   * Answers how many payments joined the journal.
   */
  async takeInListed(gateway: PaymentGateway, payments: readonly GatewayPayment[]): Promise<number> {
    const { journal } = this.engine;
    if (!gateway.installments) return 0;
    // Listed by that gateway, on the account it is read with now: another account's ids are not these.
    const known = journal.findByTransactionIds(
      payments.filter((p) => p.installmentPlanId).map((p) => p.id),
      this.engine.readingOf(gateway.name),
    );
    const byPlan = new Map<string, GatewayPayment[]>();
    for (const payment of payments) {
      if (!payment.installmentPlanId || known.has(payment.id)) continue;
      const plan = journal.planByGatewayId(gateway.name, payment.installmentPlanId);
      // Another account's plan (one of the same id there) is read with its own keys only.
      if (!plan || this.otherAccount(plan)) continue;
      byPlan.set(plan.id, [...(byPlan.get(plan.id) ?? []), payment]);
    }
    let taken = 0;
    for (const [planId, parts] of byPlan) {
      let plan = journal.getPlan(planId)!;
      try {
        plan = await this.refresh(plan, gateway);
      } catch (error) {
        this.engine.options.log(`Could not refresh plan ${plan.id}`, errorText(error));
      }
      for (const payment of parts) {
        if (!journal.findByTransactionId(payment.id, planAccount(plan))) {
          try {
            this.adoptPart(payment, plan);
          } catch (error) {
            this.engine.options.log(`Could not take in installment ${payment.id}`, errorText(error));
          }
        }
        if (journal.findByTransactionId(payment.id, planAccount(plan))) taken++;
      }
    }
    return taken;
  }

  /** The gateway's plan into the journal (its callers take in each installment's payment). */
  private store(record: InstallmentPlanRecord, plan: InstallmentPlan): InstallmentPlanRecord {
    const schedule = plan.schedule.map((entry) => ({
      date: entry.date,
      amount: entry.amount,
      paymentIds: entry.paymentIds,
    }));
    const read =
      plan.failure?.code === 'aborted'
        ? 'aborted'
        : plan.failure
          ? 'failed'
          : !plan.active
            ? isPaid(plan)
              ? 'completed'
              : 'aborted'
            : 'active';
    const current = this.engine.journal.getPlan(record.id);
    // An answer given before the plan ended (a reading that overtook an abort, and was taken in
    // after it): a plan never runs again once it ended, so the plan stays as it is.
    if (current && isFinal(current.status) && read === 'active') {
      this.engine.options.log(`Ignored an older reading of plan ${record.id}`, `it is ${current.status} already`);
      return current;
    }
    // Still running at the gateway while its abort is asked for: it stays being aborted until sent.
    const status = read === 'active' && current?.status === 'aborting' ? 'aborting' : read;
    const updated = this.update(record.id, {
      planId: plan.id,
      schedule,
      status,
      payUrl: plan.payUrl,
      failure: planFailureText(plan.failure),
    });
    // A running plan is followed from now on: its later parts are charged without the till.
    if (status === 'active' || status === 'aborting') this.watcher.followPlans();
    return updated;
  }

  /** Each of a plan's parts taken in (a failure is logged: the next reading tries again). */
  private async takeInAll(plan: InstallmentPlanRecord, gateway: PaymentGateway): Promise<void> {
    await Promise.all(
      plan.schedule
        .flatMap((entry) => entry.paymentIds)
        .map((paymentId) =>
          this.takeIn(paymentId, plan, gateway).catch((error: unknown) =>
            this.engine.options.log(`Could not take in installment ${paymentId}`, errorText(error)),
          ),
        ),
    );
  }

  private async takeIn(paymentId: string, plan: InstallmentPlanRecord, gateway: PaymentGateway): Promise<void> {
    const { journal } = this.engine;
    let record = journal.findByTransactionId(paymentId, planAccount(plan));
    if (!record) {
      const payment = await this.engine.read((g) => g.retrieve(paymentId), gateway);
      // Another reading of the plan may have taken it in meanwhile.
      if (journal.findByTransactionId(paymentId, planAccount(plan))) return this.takeIn(paymentId, plan, gateway);
      // Only a payment that names this plan is one of its parts: an id the plan's answer lists
      // wrongly (a garbled answer, another shop's payment) is never counted as the till's money,
      // nor offered for a refund (found by a tester).
      if (payment.installmentPlanId !== plan.planId) {
        this.engine.options.log(
          `Installment ${paymentId} of plan ${plan.id} not taken in`,
          `the gateway's payment names plan ${payment.installmentPlanId ?? 'none'}, not ${plan.planId ?? 'this one'}`,
        );
        return;
      }
      record = this.adoptPart(payment, plan);
    } else if (
      record.status === 'pending' &&
      !this.engine.actsOn(record) &&
      record.mode === this.engine.options.mode()
    ) {
      // A part of a plan made before the till switched gateway (its first, on its link): the
      // watcher follows only the till's gateway's payments, so the plan's reading reads it.
      const known = record;
      const payment = await this.engine.read((g) => g.retrieve(known.transactionId!), gateway);
      record = await this.engine.exclusive(known.id, async () =>
        this.sync.apply(journal.getPayment(known.id)!, payment, null),
      );
    }
    if (record.status === 'pending' && record.payUrl && this.engine.actsOn(record)) this.watcher.follow(record.id);
  }

  /** A payment the gateway made for the plan (it names the plan) into the journal as its part. */
  private adoptPart(payment: GatewayPayment, plan: InstallmentPlanRecord): PaymentRecord {
    const { journal } = this.engine;
    const known = journal.findByTransactionId(payment.id, planAccount(plan));
    if (known) return known;
    const dated = this.datedAt(payment);
    const index = plan.schedule.findIndex((e) => e.paymentIds.includes(payment.id));
    // A part the plan's answer does not list (yet) is still the plan's: named by its own id.
    const part = index >= 0 ? `${plan.orderReference}#${index + 1}` : `${plan.orderReference}-${payment.id.slice(-6)}`;
    // One write: made in three, a failure after the first left a payment of no plan with no money
    // counted, which the next reading found in the journal and never made the plan's.
    const record = journal.atomically(() => {
      // Made by the gateway for the till's own plan, not by a stranger (found in a cashier hunt: the
      // first part's timeline read "created outside this till").
      const adopted = this.sync.adopt(
        payment,
        dated.at,
        plan.gateway,
        `made by the gateway for this till's installment plan (${payment.reference})`,
      );
      if (dated.note) journal.updatePayment(adopted.id, {}, 'dated', dated.note);
      // Charged before the till heard of it, yet the till's own plan's money: counted when dated (a
      // payment of the till's own that adopt() claimed instead had its money counted as it changed).
      if (adopted.origin !== 'local' && adopted.amountCaptured !== 0)
        journal.recordCaptured(adopted.id, adopted.amountCaptured, dated.at);
      // And refunded already (on the gateway's dashboard): its refund is counted with it, or the day's
      // net was the whole part while the gateway held less, with nothing to flag it.
      if (adopted.origin !== 'local' && adopted.amountRefunded !== 0)
        journal.recordRefunded(adopted.id, adopted.amountRefunded, dated.at);
      return journal.updatePayment(
        adopted.id,
        {
          installmentPlanId: plan.id,
          channel: 'link',
          // Made on the plan's account: read with the keys of another gateway than the active one, it
          // was left for the next account of its gateway to claim, which may be another one by then.
          ...(adopted.gatewayAccount === '' && plan.gatewayAccount !== ''
            ? { gatewayAccount: plan.gatewayAccount }
            : {}),
          // The part's own name, unless a payment made before the plan already has it.
          orderReference: journal.findByOrder(part).length === 0 ? part : `${part}-${payment.id.slice(-6)}`,
        },
        'installment',
        `installment of plan ${plan.id}`,
      );
    });
    this.engine.changed(record);
    return record;
  }

  /**
   * When a part the till takes in counts in the reports: when the gateway charged it (or made it,
   * unpaid), not when the till saw it — a part charged at night and seen in the morning, or days
   * later after the till was off, is that night's sale. Never later than now, and never inside a
   * period a Z already closed: a closed Z keeps its own rows and never changes, so a payment dated
   * there would be in no report at all. It is then dated now (never before the last Z's end, even
   * with the clock set back), in the open day, and its timeline says when the gateway charged it.
   */
  private datedAt(payment: GatewayPayment): { at: string; note: string | null } {
    // The journal's now, not the clock's: with the clock set back behind the last Z's end (an NTP
    // correction), "now" was inside that closed period, and the part in no report at all.
    const now = Date.parse(this.engine.journal.nowIso());
    const charged = Date.parse(payment.capturedAt ?? payment.createdAt);
    if (!Number.isFinite(charged) || charged >= now) return { at: new Date(now).toISOString(), note: null };
    const closed = this.engine.journal.lastZReport(this.engine.options.mode());
    if (closed && charged < Date.parse(closed.windowEnd))
      return {
        at: new Date(now).toISOString(),
        note: `charged at ${new Date(charged).toISOString()}, in a day already closed (Z ${closed.number}): counted in the open day`,
      };
    return { at: new Date(charged).toISOString(), note: null };
  }

  /** A plan as the cashier sees it (what a plan event carries); null for a plan this till lacks. */
  viewOf(planId: string): InstallmentPlanView | null {
    const record = this.engine.journal.getPlan(planId);
    return record ? this.view(record) : null;
  }

  /** A plan's update, which the app hears of once it is on disk. */
  private update(id: string, patch: Parameters<Journal['updatePlan']>[1]): InstallmentPlanRecord {
    const record = this.engine.journal.updatePlan(id, patch);
    this.engine.planChanged(id);
    return record;
  }

  private view(plan: InstallmentPlanRecord): InstallmentPlanView {
    const { journal } = this.engine;
    const paid = (ids: string[]) =>
      ids.some((id) => {
        const payment = journal.findByTransactionId(id, planAccount(plan));
        return payment !== undefined && PAID.has(payment.status);
      });
    const running = !isFinal(plan.status);
    const first = plan.schedule[0]?.paymentIds.at(-1);
    const firstPayment = first ? journal.findByTransactionId(first, planAccount(plan)) : undefined;
    // The QR only while the first part can still be paid: not once its link lapsed or was paid.
    const payable = plan.status === 'active' && (firstPayment === undefined || firstPayment.status === 'pending');
    return {
      id: plan.id,
      gateway: plan.gateway,
      gatewayPlanId: plan.planId,
      orderReference: plan.orderReference,
      amount: plan.amount,
      currency: plan.currency,
      status: plan.status,
      schedule: plan.schedule.map((entry, index) => {
        const last = entry.paymentIds.at(-1);
        return {
          ...entry,
          paid: paid(entry.paymentIds),
          state: paid(entry.paymentIds)
            ? 'paid'
            : installmentState(
                index,
                last ? (journal.findByTransactionId(last, planAccount(plan)) ?? null) : undefined,
                running,
              ),
        };
      }),
      customer: plan.customer,
      payUrl: payable ? plan.payUrl : null,
      payUrlExpiresAt: payable ? (firstPayment?.payUrlExpiresAt ?? null) : null,
      failure: plan.failure,
      notFollowed: running ? this.notFollowed(plan) : null,
      createdAt: plan.createdAt,
    };
  }

  /** Why a running plan is not followed now, and what the shop must do; null while it is. */
  private notFollowed(plan: InstallmentPlanRecord): string | null {
    const label = GATEWAY_LABELS[plan.gateway];
    const elsewhere = this.otherAccount(plan);
    if (elsewhere)
      return (
        `${elsewhere.why}, so this plan is not followed: the parts ${label} charges, declines or aborts do not ` +
        `reach Transactions, Needs attention or the reports. ${elsewhere.fix} to follow it.`
      );
    const active = this.engine.activeGateway();
    if (active?.name === plan.gateway || this.gatewayOf(plan)) return null;
    const keys = GATEWAY_KEYS[plan.gateway];
    return (
      `This till no longer holds ${label}'s ${keys}, so this plan is not followed: the parts ${label} ` +
      `charges, declines or aborts do not reach Transactions, Needs attention or the reports. Enter the ` +
      `${keys} again in Settings (F7) to follow it; the till need not switch back to ${label}.`
    );
  }

  private requireInstallments(): PaymentGateway {
    const gateway = this.engine.options.gateway();
    if (!gateway.capabilities.installments || !gateway.installments)
      throw new HostError('conflict', `${gateway.label} does not take payments in installments.`);
    return gateway;
  }
}

/**
 * The plan an order is being (or was) paid by, if any: every plan but a failed one, and an aborted
 * one only while money it took is still with the shop. Such an order takes no other payment.
 */
export function planHoldingOrder(journal: Journal, orderReference: string): InstallmentPlanRecord | undefined {
  // "ORDER#2" names the second part of ORDER's plan: it belongs to that plan too.
  const base = /^(.+)#\d+$/.exec(orderReference)?.[1];
  const plans = [...journal.plansForOrder(orderReference), ...(base ? journal.plansForOrder(base) : [])];
  return plans.find((plan) => {
    if (plan.status === 'failed') return false;
    if (plan.status !== 'aborted') return true;
    return plan.schedule.some((entry) =>
      entry.paymentIds.some((id) => {
        const payment = journal.findByTransactionId(id, planAccount(plan));
        return payment !== undefined && !['failed', 'canceled', 'refunded'].includes(payment.status);
      }),
    );
  });
}

const PAID: ReadonlySet<string> = new Set(['succeeded', 'partially_refunded', 'refunded']);

/**
 * An unpaid installment's state: `payment` is its payment in the journal (null: made, not taken in
 * yet; undefined: not made). The first is paid by the customer on its link; the others are charged.
 */
function installmentState(
  index: number,
  payment: PaymentRecord | null | undefined,
  running: boolean,
): InstallmentState {
  if (payment === undefined) return running ? 'scheduled' : 'not_charged';
  if (payment?.status === 'failed') return payment.declineCode === 'link_expired' ? 'expired' : 'failed';
  if (payment?.status === 'canceled') return 'canceled';
  if (!running) return 'not_charged';
  return index === 0 ? 'waiting' : 'charging';
}

/**
 * The refusal of any other payment or plan for an order a plan has ended holding — paid in full, or
 * aborted after a part was paid — or null while the plan still runs. One wording for both ways of
 * charging (found by a tester: a plan and a payment gave contradicting advice for the same order).
 */
export function endedPlanRefusal(orderReference: string, plan: InstallmentPlanRecord): HostError | null {
  const refusal = (message: string, field: string) =>
    new HostError('conflict', message, { issues: [{ path: 'orderReference', message: field }] });
  if (plan.status === 'completed')
    return refusal(
      `Order ${orderReference} is already paid in installments (plan ${plan.id}). Use a new order reference.`,
      'This order is already paid in installments: use a new order reference.',
    );
  if (plan.status === 'aborted')
    return refusal(
      `Order ${orderReference} was partly paid in installments (plan ${plan.id}, aborted), and the shop still holds what was paid. ` +
        'Refund that part on Transactions before paying this order again, or take the rest under a new order reference.',
      'This order was partly paid in installments: refund that part first, or use a new order reference.',
    );
  return null;
}

/**
 * What the cashier can do about a plan that still holds its order (not ended) before `then` (charging
 * the order another way, setting up another plan): abort it where it can be aborted. One the gateway
 * has not confirmed yet (its create unanswered, or still on its way) cannot be: the till looks for it by
 * itself, and it shows running once found. One being aborted is waited for.
 */
export function runningPlanWayOut(plan: Pick<InstallmentPlanRecord, 'planId' | 'status'>, then: string): string {
  const where = 'its panel (open it from Installment plans on Transactions)';
  if (plan.status === 'aborting')
    return `Its abort is not confirmed by the gateway yet: the till sends it again by itself until it is. Once ${where} says aborted, ${then} can go ahead.`;
  if (!plan.planId)
    return (
      'The gateway has not confirmed the plan yet, so it cannot be aborted: the till looks for it by itself whenever the gateway answers. ' +
      `Wait until ${where} shows it running, then use Abort plan there before ${then}.`
    );
  return `Use Abort plan on ${where} before ${then}.`;
}

/**
 * What a plan's failure adds to its status, for the cashier: nothing when the gateway only says it was
 * aborted or that a part failed (PayPlug's "You have aborted the transaction." — a plan is no transaction
 * — and "A payment has failed."): the status says that in the till's words, and each part's row says
 * which part and how. Any other reason is kept, as the gateway gave it.
 */
function planFailureText(failure: InstallmentPlan['failure']): string | null {
  if (!failure || SAID_BY_STATUS.has(failure.code)) return null;
  return failure.message ?? failure.code;
}

const SAID_BY_STATUS: ReadonlySet<string> = new Set(['aborted', 'failed_payment']);

function isFinal(status: string): boolean {
  return FINAL_PLAN_STATUSES.includes(status);
}

function isPaid(plan: InstallmentPlan): boolean {
  return plan.schedule.every((entry) => entry.paymentIds.length > 0);
}

/**
 * Equal parts (`installmentAmounts`: no part more than one minor unit off another), the first today
 * and one a month after the other (the same day of the month, or the last day of a shorter month),
 * all as UTC calendar dates.
 */
export function splitSchedule(amount: number, count: number, nowMs: number): { date: string; amount: number }[] {
  const amounts = installmentAmounts(amount, count);
  const start = new Date(nowMs);
  return amounts.map((part, index) => {
    const year = start.getUTCFullYear();
    const month = start.getUTCMonth() + index;
    const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    const date = new Date(Date.UTC(year, month, Math.min(start.getUTCDate(), lastDay))).toISOString().slice(0, 10);
    return { date, amount: part };
  });
}
