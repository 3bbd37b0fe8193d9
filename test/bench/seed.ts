/**
 * Years of history for the load curves: settled payments written through the Journal's own API
 * (so the rows, timelines and operations look exactly like the app's), in large transactions,
 * with timestamps spread back over the past. Deterministic for a given seed.
 */
import type { Clock, TimerHandle } from '../../common/clock';
import type { PaymentStatus } from '../../common/contract';
import { newPaymentRecord, type Journal, type PaymentRecord } from '../../main/store/journal';

/** A clock the seeder moves by hand; timers are never needed while seeding. */
export class ManualClock implements Clock {
  constructor(public current: number) {}
  now(): number {
    return this.current;
  }
  monotonic(): number {
    return this.current;
  }
  setTimeout(): TimerHandle {
    throw new Error('the seeding clock has no timers');
  }
  clearTimeout(): void {}
}

/** A small deterministic PRNG (mulberry32), so two runs seed the same history. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

function randomId(random: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return out;
}

export interface SeedOptions {
  /** How many payments to add. */
  count: number;
  /** Newest seeded payment is this old (ms before `endAt`); older ones spread back from it. */
  endAt: number;
  /** Span of history in ms (default three years). */
  spanMs?: number;
  seed?: number;
  /** Rows per transaction while seeding (default 5 000). */
  batch?: number;
  /** Prefix of the seeded order references (default "HIST"); must not collide between calls. */
  orderPrefix?: string;
}

export interface SeededSample {
  orderReference: string;
  reference: string;
  id: string;
}

/**
 * Appends `count` settled payments (mostly succeeded, some refunded, failed, canceled) to the
 * journal, each with the timeline and operations a real one leaves. Returns a sample of what was
 * written, for search queries that hit.
 */
export function seedJournal(journal: Journal, clock: ManualClock, options: SeedOptions): SeededSample[] {
  const random = prng(options.seed ?? 42);
  const span = options.spanMs ?? 3 * 365 * 24 * 3_600_000;
  const batch = options.batch ?? 5_000;
  const prefix = options.orderPrefix ?? 'HIST';
  const samples: SeededSample[] = [];
  const restore = clock.current;
  const step = span / Math.max(1, options.count);
  for (let start = 0; start < options.count; start += batch) {
    const end = Math.min(options.count, start + batch);
    journal.atomically(() => {
      for (let i = start; i < end; i++) {
        clock.current = options.endAt - span + Math.floor(i * step);
        const roll = random();
        const status: PaymentStatus =
          roll < 0.85 ? 'succeeded' : roll < 0.9 ? 'refunded' : roll < 0.95 ? 'failed' : 'canceled';
        const id = `pay_${randomId(random, 16)}`;
        const orderReference = `${prefix}-${String(i).padStart(7, '0')}`;
        const reference = `txn_${randomId(random, 20)}`;
        const amount = 100 + Math.floor(random() * 20_000);
        const captured = status === 'succeeded' || status === 'refunded' ? amount : 0;
        const record: Omit<PaymentRecord, 'createdAt' | 'updatedAt'> = newPaymentRecord({
          id,
          gateway: 'plutopay',
          mode: 'test',
          orderReference,
          attempt: 1,
          idempotencyKey: `pos-${orderReference}-1`,
          origin: 'local',
          amount,
          currency: 'EUR',
          description: random() < 0.3 ? 'Coffee and cake' : null,
          captureMethod: 'automatic',
          customerId: null,
          receiptEmail: null,
          status,
          transactionId: `0199${randomId(random, 28)}`,
          reference,
          readerId: 'rdr_seeded',
          readerStage: null,
          actionId: `act_${randomId(random, 16)}`,
          declineCode: status === 'failed' ? 'card_declined' : null,
          declineMessage: status === 'failed' ? 'Declined by the card issuer.' : null,
          cardBrand: captured ? 'visa' : null,
          cardLast4: captured ? '4242' : null,
          amountCapturable: 0,
          amountCaptured: captured,
          amountRefunded: status === 'refunded' ? amount : 0,
          attentionReason: null,
          attentionAdvice: null,
          attentionSince: null,
        });
        journal.insertPayment(record, 'created', `order ${orderReference}`);
        // Settled history: every operation was confirmed (pending ones would be resent at start).
        for (const [kind, key] of [
          ['create', record.idempotencyKey],
          ['process', `process-${id}-1`],
          ['report', `report-${record.actionId!}`],
        ] as const) {
          const op = journal.addOperation(id, kind, key, { amount });
          journal.updateOperation(op.id, { state: 'done', result: 'ok' });
        }
        for (const event of [
          'created_at_gateway',
          'sent_to_reader',
          'reader_received',
          'waiting_for_card',
          'device_outcome',
          status,
        ]) {
          journal.recordEvent(id, event, null);
        }
        if (i % Math.max(1, Math.floor(options.count / 200)) === 0) samples.push({ orderReference, reference, id });
      }
    });
  }
  clock.current = restore;
  return samples;
}
