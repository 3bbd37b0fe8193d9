/**
 * Installment plans: 2 to 4 installments on given dates. The first is paid on a payment page
 * created with the plan (the plan's payment_url leads to it); its card is kept, and each later
 * installment is charged to it when the sandbox clock reaches 00:00 UTC of its date. A plan ends
 * fully paid, failed (its first payment failed: failed_payment) or aborted.
 */
import { notFound } from '../../http/errors';
import type { Metadata } from '../../http/params';
import { inTransaction, liveFlag, type Context } from '../../core/context';
import { stateError } from '../errors';
import { planJson, type Customer, type PlanCustomer, type PlanRow, type ScheduleEntry } from './model';
import type { Notifications } from './notifications';
import type { Payments, PlanHooks } from './payments';
import { cardDetails, failureMessage, type CardDetails } from './test-cards';

export interface CreatePlanInput {
  schedule: Array<{ date: string; amount: number }>;
  customer: PlanCustomer;
  return_url: string | null;
  cancel_url: string | null;
  notification_url: string | null;
  metadata: Metadata | null;
}

/**
 * The customer of a plan's payment: the plan's, with what a plan does not take as any payment without
 * it has them (no phone number, the default language `en`), its fields in the payment's order.
 */
function paymentCustomer(c: PlanCustomer): Customer {
  return {
    first_name: c.first_name,
    last_name: c.last_name,
    email: c.email,
    phone_number: null,
    address1: c.address1,
    address2: c.address2,
    postcode: c.postcode,
    city: c.city,
    country: c.country,
    language: 'en',
  };
}

/** 00:00 UTC of a YYYY-MM-DD date, when its installment is charged. */
export function dateStart(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}

const SAVE = `UPDATE payplug_installment_plans SET is_active = @is_active, is_fully_paid = @is_fully_paid,
  schedule = @schedule, card_number = @card_number, card_exp_month = @card_exp_month, card_exp_year = @card_exp_year,
  next_due_at = @next_due_at, failure_code = @failure_code, failure_message = @failure_message, updated_at = @updated_at
  WHERE id = @id`;

export class InstallmentPlans implements PlanHooks {
  constructor(
    private readonly ctx: Context,
    private readonly payments: Payments,
    private readonly notifications: Notifications,
  ) {
    payments.attachPlans(this);
  }

  private get isLive(): number {
    return liveFlag(this.ctx);
  }

  json(row: PlanRow): Record<string, unknown> & { id: string } {
    return planJson(row, this.ctx.baseUrl());
  }

  find(id: string): PlanRow | undefined {
    return this.ctx.sql
      .get('SELECT * FROM payplug_installment_plans WHERE id = ? AND is_live = ?')
      .get(id, this.isLive) as PlanRow | undefined;
  }

  get(id: string): PlanRow {
    const row = this.find(id);
    if (!row) throw notFound(`No such installment plan: ${id}`);
    return row;
  }

  /** The payment of the first installment (what the plan's payment page pays). */
  firstPaymentId(row: PlanRow): string | undefined {
    return (JSON.parse(row.schedule) as ScheduleEntry[])[0]?.payment_ids[0];
  }

  create(input: CreatePlanInput): PlanRow {
    return inTransaction(this.ctx, () => {
      const now = this.ctx.clock.now();
      const schedule: ScheduleEntry[] = input.schedule.map((entry) => ({ ...entry, payment_ids: [] }));
      const row: PlanRow = {
        seq: 0,
        id: `inst_${this.ctx.ids.alnum(22)}`,
        is_live: this.isLive,
        is_active: 1,
        is_fully_paid: 0,
        currency: 'EUR',
        customer: JSON.stringify(input.customer),
        return_url: input.return_url,
        cancel_url: input.cancel_url,
        notification_url: input.notification_url,
        schedule: JSON.stringify(schedule),
        card_number: null,
        card_exp_month: null,
        card_exp_year: null,
        next_due_at: null,
        failure_code: null,
        failure_message: null,
        metadata: input.metadata === null ? null : JSON.stringify(input.metadata),
        created_at: now,
        updated_at: now,
      };
      row.seq = Number(
        this.ctx.sql
          .get(
            `INSERT INTO payplug_installment_plans (id, is_live, is_active, is_fully_paid, currency, customer, return_url,
             cancel_url, notification_url, schedule, next_due_at, metadata, created_at, updated_at)
             VALUES (@id, @is_live, @is_active, @is_fully_paid, @currency, @customer, @return_url, @cancel_url,
             @notification_url, @schedule, @next_due_at, @metadata, @created_at, @updated_at)`,
          )
          .run(row).lastInsertRowid,
      );
      const first = this.payments.create({
        amount: schedule[0]!.amount,
        deferred: false,
        currency: 'EUR',
        customer: paymentCustomer(input.customer),
        hosted: { return_url: input.return_url, cancel_url: input.cancel_url, sent_by: null },
        notification_url: input.notification_url,
        payment_method: null,
        // The card is kept for the later installments, which turns 3-D Secure on.
        force_3ds: true,
        save_card: false,
        allow_save_card: false,
        description: null,
        metadata: null,
        installment_plan_id: row.id,
      });
      schedule[0]!.payment_ids.push(first.id);
      row.schedule = JSON.stringify(schedule);
      this.save(row);
      return row;
    });
  }

  abort(id: string): PlanRow {
    return inTransaction(this.ctx, () => {
      const row = this.get(id);
      if (row.is_fully_paid === 1)
        throw stateError('This installment plan is fully paid: it cannot be aborted.', 'aborted');
      if (row.is_active !== 1)
        throw stateError('This installment plan is not active: it cannot be aborted.', 'aborted');
      const now = this.ctx.clock.now();
      row.is_active = 0;
      row.next_due_at = null;
      row.failure_code = 'aborted';
      row.failure_message = failureMessage('aborted');
      row.updated_at = now;
      this.save(row);
      // The first installment's page, if still open, can no longer be paid.
      const first = this.payments.find(this.firstPaymentId(row) ?? '');
      if (first && first.state === 'open') this.payments.abort(first.id);
      this.notifications.enqueue(row.notification_url, 'installment_plan', this.json(row), null, now);
      return row;
    });
  }

  lastInstallmentAt(planId: string): number {
    const schedule = JSON.parse(this.get(planId).schedule) as ScheduleEntry[];
    return dateStart(schedule[schedule.length - 1]!.date);
  }

  firstInstallmentPaid(planId: string, card: CardDetails): void {
    const row = this.get(planId);
    if (row.is_active !== 1) return;
    row.card_number = card.number;
    row.card_exp_month = card.exp_month;
    row.card_exp_year = card.exp_year;
    const schedule = JSON.parse(row.schedule) as ScheduleEntry[];
    row.next_due_at = dateStart(schedule[1]!.date);
    row.updated_at = this.ctx.clock.now();
    this.save(row);
  }

  installmentFailed(planId: string): void {
    const row = this.get(planId);
    if (row.is_active !== 1) return;
    row.is_active = 0;
    row.next_due_at = null;
    row.failure_code = 'failed_payment';
    row.failure_message = 'A payment has failed.';
    row.updated_at = this.ctx.clock.now();
    this.save(row);
  }

  /** Charges every installment whose date has come, each as of its date. */
  chargeDue(now: number): void {
    const due = this.ctx.sql
      .get(
        'SELECT * FROM payplug_installment_plans WHERE is_active = 1 AND next_due_at <= ? AND is_live = ? ORDER BY next_due_at, seq',
      )
      .all(now, this.isLive) as PlanRow[];
    for (const row of due) {
      const schedule = JSON.parse(row.schedule) as ScheduleEntry[];
      while (row.is_active === 1 && row.next_due_at !== null && row.next_due_at <= now) {
        const at = row.next_due_at;
        const index = schedule.findIndex((entry) => entry.payment_ids.length === 0);
        const entry = schedule[index]!;
        const customer = JSON.parse(row.customer) as PlanCustomer;
        const payment = this.payments.chargeInstallment(
          row.id,
          {
            amount: entry.amount,
            customer: paymentCustomer(customer),
            notification_url: row.notification_url,
          },
          cardDetails(row.card_number!, row.card_exp_month!, row.card_exp_year!),
          at,
        );
        entry.payment_ids.push(payment.id);
        // A failed charge has already ended the plan (installmentFailed); re-read its state.
        const current = this.get(row.id);
        row.is_active = current.is_active;
        row.failure_code = current.failure_code;
        row.failure_message = current.failure_message;
        const next = schedule[index + 1];
        if (row.is_active !== 1) row.next_due_at = null;
        else if (next) row.next_due_at = dateStart(next.date);
        else {
          row.next_due_at = null;
          row.is_active = 0;
          row.is_fully_paid = 1;
        }
        row.schedule = JSON.stringify(schedule);
        row.updated_at = this.ctx.clock.now();
        this.save(row);
      }
    }
  }

  nextDue(): number | null {
    return (
      this.ctx.sql
        .get('SELECT MIN(next_due_at) AS at FROM payplug_installment_plans WHERE is_active = 1 AND is_live = ?')
        .get(this.isLive) as { at: number | null }
    ).at;
  }

  private save(row: PlanRow): void {
    this.ctx.sql.get(SAVE).run(row);
  }
}
