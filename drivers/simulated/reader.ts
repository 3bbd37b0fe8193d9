/**
 * A reader that exists only in software, for test mode: it prompts "present card", waits for a
 * test card (presented from the app, or by itself after a delay), decides the outcome with the
 * test-card rules, and can inject the faults real readers have (timeout, busy, unplug mid-payment).
 */
import { systemClock, type Clock, type TimerHandle } from '../../common/clock';
import { currencyByCode } from '../../common/currencies';
import { declineInfo } from '../../common/decline-codes';
import { Emitter } from '../../common/emitter';
import { decideTestOutcome } from '../../common/test-cards';
import type {
  CardOutcome,
  CollectRequest,
  CollectStage,
  FailureCode,
  Reader,
  ReaderInfo,
  ReaderState,
  SimulatedFault,
  Unsubscribe,
} from '../types';

export interface SimulatedReaderOptions {
  id: string;
  label: string;
  clock?: Clock;
  /** Present the default test card by itself after this long; 0 = wait for presentCard(). */
  autoPresentDelayMs?: number;
  /** Time from card presented to answer (authorisation). */
  processingMs?: number;
  /** Card wait bound when the request gives none. */
  defaultTimeoutMs?: number;
  /** After a simulated unplug, come back after this long (0 = stay gone). */
  replugAfterMs?: number;
}

interface Collection {
  /** A purchase (collect) or a credit on the terminal (refund). */
  kind: 'purchase' | 'credit';
  request: CollectRequest;
  onStage?: (stage: CollectStage) => void;
  resolve: (outcome: CardOutcome) => void;
  phase: 'waiting_for_card' | 'processing';
  timers: TimerHandle[];
  /** The no_answer fault: nothing is said until the collection is canceled. */
  silent?: boolean;
}

const FAULT_DELAY_MS = 300;

export class SimulatedReader implements Reader {
  readonly info: ReaderInfo;
  private readonly clock: Clock;
  private current: Collection | null = null;
  private fault: SimulatedFault = 'none';
  private connected = true;
  private closed = false;
  /** The replug after an injected unplug: cleared on close, so a closed reader leaves nothing behind. */
  private replugTimer: TimerHandle | undefined;
  private autoPresentDelayMs: number;
  private readonly disconnectEvents = new Emitter<string>();
  private readonly reconnectEvents = new Emitter();
  /** What the device remembers of recent collections, for recovery after an unknown outcome. */
  private readonly remembered = new Map<string, CardOutcome>();

  constructor(private readonly options: SimulatedReaderOptions) {
    this.clock = options.clock ?? systemClock;
    this.autoPresentDelayMs = options.autoPresentDelayMs ?? 0;
    this.info = {
      id: options.id,
      kind: 'simulated',
      foundBy: 'simulated',
      label: options.label,
      registrationCode: `host-${options.id.replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 64),
      model: 'Simulated reader',
      softwareVersion: 'sim-1.0',
      canPresentTestCards: true,
    };
  }

  get state(): ReaderState {
    if (!this.connected) return 'disconnected';
    return this.current ? 'busy' : 'idle';
  }

  setAutoPresentDelay(ms: number): void {
    this.autoPresentDelayMs = ms;
  }

  setFault(fault: SimulatedFault): void {
    this.fault = fault;
  }

  heldByFault(): 'no_answer' | null {
    return this.current?.silent ? 'no_answer' : null;
  }

  collect(request: CollectRequest, onStage?: (stage: CollectStage) => void): Promise<CardOutcome> {
    return this.transact('purchase', request, onStage);
  }

  /** A credit on the simulated terminal: the customer presents a card, and any card is credited. */
  refund(request: CollectRequest, onStage?: (stage: CollectStage) => void): Promise<CardOutcome> {
    return this.transact('credit', request, onStage);
  }

  private transact(
    kind: Collection['kind'],
    request: CollectRequest,
    onStage?: (stage: CollectStage) => void,
  ): Promise<CardOutcome> {
    if (!this.connected) return Promise.resolve(failed('reader_disconnected', 'The simulated reader is unplugged.'));
    if (this.current) return Promise.resolve(failed('reader_busy', 'The reader is already collecting a payment.'));
    const fault = this.fault;
    this.fault = 'none';
    if (fault === 'busy')
      return Promise.resolve(failed('reader_busy', 'The reader reported it is busy (injected fault).'));

    return new Promise<CardOutcome>((resolve) => {
      const collection: Collection = {
        kind,
        request,
        resolve,
        phase: 'waiting_for_card',
        timers: [],
        ...(onStage ? { onStage } : {}),
      };
      this.current = collection;
      this.stage(collection, 'waiting_for_card');
      if (fault === 'timeout') {
        collection.timers.push(
          this.clock.setTimeout(
            () => this.finish(collection, failed('reader_timeout', 'No card was presented (injected timeout).')),
            FAULT_DELAY_MS,
          ),
        );
        return;
      }
      if (fault === 'no_answer') {
        // A hung terminal: it showed the amount and says nothing more. Only a cancel (the app
        // giving up on it) frees it, and it then knows that no card was taken.
        collection.silent = true;
        return;
      }
      if (fault === 'disconnect_mid_payment') {
        collection.timers.push(
          this.clock.setTimeout(() => {
            this.presentCard();
            collection.timers.push(
              this.clock.setTimeout(
                () => this.unplug('unplugged mid-payment (injected fault)'),
                Math.min(FAULT_DELAY_MS, this.processingMs / 2),
              ),
            );
          }, FAULT_DELAY_MS),
        );
        return;
      }
      const timeoutMs = request.timeoutMs ?? this.options.defaultTimeoutMs ?? 120_000;
      collection.timers.push(
        this.clock.setTimeout(() => {
          if (collection.phase === 'waiting_for_card')
            this.finish(collection, failed('reader_timeout', 'No card was presented in time.'));
        }, timeoutMs),
      );
      if (this.autoPresentDelayMs > 0)
        collection.timers.push(this.clock.setTimeout(() => this.presentCard(), this.autoPresentDelayMs));
    });
  }

  private get processingMs(): number {
    return this.options.processingMs ?? 400;
  }

  presentCard(cardNumber?: string): boolean {
    const collection = this.current;
    if (!collection || collection.phase !== 'waiting_for_card' || !this.connected || collection.silent) return false;
    collection.phase = 'processing';
    this.stage(collection, 'processing');
    const decision = decideTestOutcome(collection.request.amount, cardNumber);
    const code = authCode(collection.request.reference);
    let outcome: CardOutcome;
    if (decision.approved || collection.kind === 'credit') {
      // A credit is taken on any card: the money goes back to it.
      const card = decision.approved
        ? { brand: decision.brand, last4: decision.last4 }
        : { brand: 'card', last4: (cardNumber ?? '0000').slice(-4) };
      outcome = {
        kind: 'approved',
        card,
        authCode: code,
        entryMode: 'contactless',
        terminalLines: ticket(collection, card, code),
      };
    } else {
      outcome = { kind: 'declined', code: decision.code, message: declineInfo(decision.code).gateway };
    }
    // Remembered from the moment of authorisation, so a recovery after an unplug can tell.
    this.remember(collection.request.reference, outcome);
    collection.timers.push(this.clock.setTimeout(() => this.finish(collection, outcome), this.processingMs));
    return true;
  }

  async cancel(): Promise<boolean> {
    const collection = this.current;
    if (!collection || collection.phase !== 'waiting_for_card') return false;
    if (collection.silent) {
      // Freed, but it kept nothing to tell: as with a real hung terminal, only the person at the
      // reader can say what happened (the rehearsal this fault is for).
      this.finish(collection, failed('reader_error', 'The reader never answered.'));
      this.remembered.delete(collection.request.reference);
      return true;
    }
    this.finish(collection, { kind: 'canceled' });
    return true;
  }

  async recoverOutcome(reference: string): Promise<CardOutcome | null> {
    return this.remembered.get(reference) ?? null;
  }

  /** Simulates pulling the cable: an in-flight payment ends 'unknown' once the card was taken. */
  unplug(reason = 'unplugged'): void {
    if (!this.connected) return;
    this.connected = false;
    const collection = this.current;
    if (collection) this.interrupt(collection, 'unplugged');
    this.disconnectEvents.emit(reason);
    const replug = this.options.replugAfterMs ?? 1_000;
    if (replug > 0 && !this.closed)
      this.replugTimer = this.clock.setTimeout(() => {
        this.replugTimer = undefined;
        this.replug();
      }, replug);
  }

  replug(): void {
    if (this.connected || this.closed) return;
    this.clock.clearTimeout(this.replugTimer);
    this.replugTimer = undefined;
    this.connected = true;
    this.reconnectEvents.emit();
  }

  onDisconnect(listener: (reason: string) => void): Unsubscribe {
    return this.disconnectEvents.subscribe(listener);
  }

  /** Simulated readers come back by themselves after an unplug; real ones are rediscovered. */
  onReconnect(listener: () => void): Unsubscribe {
    return this.reconnectEvents.subscribe(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    // Unplugged when closed (a reader forgotten, or the readers restarted by a Settings save): it
    // stays unplugged. Its replug timer held it, and the controller listening to it, until it fired.
    this.clock.clearTimeout(this.replugTimer);
    this.replugTimer = undefined;
    const collection = this.current;
    if (collection) this.interrupt(collection, 'closed');
    this.disconnectEvents.clear();
    this.reconnectEvents.clear();
  }

  /**
   * A collection cut off by the device going away: 'unknown' once the card was being authorised (a
   * purchase) or credited (a refund); the message says which, as the cashier reads it in Needs attention.
   */
  private interrupt(collection: Collection, how: 'unplugged' | 'closed'): void {
    const doing = collection.kind === 'credit' ? 'crediting' : 'authorising';
    this.finish(
      collection,
      collection.phase === 'processing'
        ? {
            kind: 'unknown',
            code: 'reader_disconnected',
            message: `The reader was ${how} while ${doing} the card.`,
          }
        : failed('reader_disconnected', `The reader was ${how} before a card was presented.`),
    );
  }

  private stage(collection: Collection, stage: CollectStage): void {
    try {
      collection.onStage?.(stage);
    } catch {
      // A listener's failure must never wedge the device.
    }
  }

  private finish(collection: Collection, outcome: CardOutcome): void {
    if (this.current !== collection) return;
    for (const timer of collection.timers) this.clock.clearTimeout(timer);
    this.current = null;
    if (outcome.kind !== 'unknown') this.remember(collection.request.reference, outcome);
    collection.resolve(outcome);
  }

  private remember(reference: string, outcome: CardOutcome): void {
    this.remembered.set(reference, outcome);
    if (this.remembered.size > 100) this.remembered.delete(this.remembered.keys().next().value!);
  }
}

function failed(code: FailureCode, message: string): CardOutcome {
  return { kind: 'failed', code, message };
}

/** The simulated terminal's own ticket, as a real one prints it (its lines go on the app's receipt). */
function ticket(collection: Collection, card: { brand: string; last4: string }, code: string): string[] {
  const { amount, currency } = collection.request;
  const exponent = currencyByCode(currency)?.exponent ?? 2;
  const digits = String(amount).padStart(exponent + 1, '0');
  const major = exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
  return [
    'SIMULATED TERMINAL',
    collection.kind === 'credit' ? 'CREDIT' : 'DEBIT',
    `${card.brand.toUpperCase()} ************${card.last4}`,
    'CONTACTLESS',
    `AMOUNT ${major} ${currency.toUpperCase()}`,
    `AUTH ${code}`,
  ];
}

/** A six-character authorisation code derived from the reference, like a host's approval code. */
function authCode(reference: string): string {
  let hash = 2166136261;
  for (const ch of reference) hash = Math.imul(hash ^ ch.charCodeAt(0), 16777619) >>> 0;
  return hash.toString(36).toUpperCase().padStart(6, '0').slice(-6);
}
