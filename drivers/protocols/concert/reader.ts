/**
 * A Concert terminal as a Reader: one payment at a time over a Transport, through the link
 * state machine, with the answer checked by the codec before anything is called approved.
 *
 * Outcome rules (types.ts): approved only from a valid answer frame with status 0 and the
 * request's POS number, amount and currency; anything that goes wrong before the terminal
 * acknowledged the request is 'failed' (nothing can have been charged); anything after is
 * 'unknown' (the terminal may have charged; the host reconciles). A request that got no reply at
 * all (its ACK may have been lost) is waited on as if acknowledged: its answer, or 'unknown'.
 */
import type { Clock } from '../../../common/clock';
import { systemClock } from '../../../common/clock';
import { DECLINE_CODES } from '../../../common/decline-codes';
import { Emitter } from '../../../common/emitter';
import { checkMinorAmount } from '../../../common/money';
import { cardBrand } from '../../../common/test-cards';
import type {
  CardOutcome,
  CollectRequest,
  CollectStage,
  FailureCode,
  Reader,
  ReaderInfo,
  ReaderState,
  Transport,
  Unsubscribe,
} from '../../types';
import type { ConcertAnswer, ConcertRequest } from './codec';
import {
  ConcertProtocolError,
  PRIVATE_DATA_LENGTH,
  cardNumberFromField,
  checkAnswer,
  currencyToNumeric,
  decodeAnswerBody,
  encodeRequestBody,
} from './codec';
import type { ConcertLinkTimings, LinkError, LinkErrorCode, LinkEvent } from './link';
import { ConcertLink, longestBeyondCardWaitMs } from './link';

export interface ConcertReaderOptions {
  readonly transport: Transport;
  readonly info: ReaderInfo;
  readonly clock?: Clock;
  /** Two digits, default "01": the cash register's number as the terminal knows it. */
  readonly posNumber?: string;
  /** Ask for the full answer (with the card field). Default true. */
  readonly fullAnswer?: boolean;
  readonly timings?: Partial<ConcertLinkTimings>;
  /** Every byte in and out, for diagnostics (pos-reader pay --trace). */
  readonly onTrace?: (direction: 'in' | 'out', bytes: Uint8Array) => void;
  /** The decoded answer frame, before it is turned into an outcome. */
  readonly onAnswer?: (answer: ConcertAnswer, request: ConcertRequest) => void;
}

const LINK_FAILURE_CODES: Record<Exclude<LinkErrorCode, 'aborted'>, FailureCode> = {
  session_not_acknowledged: 'reader_timeout',
  session_refused: 'reader_busy',
  request_rejected: 'protocol_error',
  request_ack_timeout: 'reader_timeout',
  answer_timeout: 'reader_timeout',
  answer_frame_timeout: 'reader_timeout',
  answer_corrupt: 'protocol_error',
};

/** Concert transaction types the open implementations agree on: 0 purchase (débit), 1 credit (crédit). */
export const TRANSACTION_PURCHASE = '0';
export const TRANSACTION_CREDIT = '1';

const MAY_HAVE_CHARGED =
  'The terminal had taken the payment request, so the card may have been charged: check the terminal before retrying.';
/** No reply to the request came, yet the terminal may have taken it (its ACK lost on the line). */
const MAY_HAVE_TAKEN =
  'The terminal may have charged the card: check its last receipt (or its journal) before charging again.';

/** A pulled cable, a port error, a terminal switched off: what the cashier is told (the cause is the detail). */
const GONE_MID_PAYMENT = 'The reader was unplugged or lost power during the payment.';
/** The app let go of the reader (closing, or the reader forgotten) while it had the payment. */
const CLOSED_MID_PAYMENT = 'The app closed its connection to the reader during the payment.';

/** The last 10 characters of the reference, as printable ASCII: it goes in the private data field. */
export function privateDataFor(reference: string): string {
  return reference.slice(-PRIVATE_DATA_LENGTH).replace(/[^\x20-\x7e]/g, '_');
}

interface Collection {
  readonly request: ConcertRequest;
  readonly link: ConcertLink;
  readonly resolve: (outcome: CardOutcome) => void;
  readonly onStage?: (stage: CollectStage) => void;
  abortCause: 'disconnect' | 'closed' | null;
  cancelWaiter: ((stopped: boolean) => void) | null;
  cancelPromise: Promise<boolean> | null;
}

export class ConcertReader implements Reader {
  readonly info: ReaderInfo;
  readonly longestBeyondCardWaitMs: number;
  /** The app never sends Concert's cancellation: once the terminal ACKs the request, only it can stop. */
  readonly cancelsUntil = 'request' as const;
  private readonly transport: Transport;
  private readonly clock: Clock;
  private readonly posNumber: string;
  private active: Collection | null = null;
  private gone = false;
  private closed = false;
  private writes: Promise<void> = Promise.resolve();
  /**
   * For the link's quiet gap before its first ENQ (ConcertLinkOptions.quietSince): when a byte was
   * last heard, and whether the line is known quiet regardless — the last exchange ended cleanly and
   * nothing came since. Unknown at the port's opening, after a failed or cut-off exchange, and after
   * bytes heard between exchanges (an answer re-sent late).
   */
  private lastHeard: number;
  private quietSinceClean = false;
  /** Listeners must not be able to wedge the driver: Emitter isolates a throwing one. */
  private readonly disconnectEvents = new Emitter<string>();
  private readonly subscriptions: Unsubscribe[];

  constructor(private readonly options: ConcertReaderOptions) {
    this.info = options.info;
    // The card wait is the request's (answerTimeoutMs); every other wait is the link's, as set here.
    this.longestBeyondCardWaitMs = longestBeyondCardWaitMs(options.timings);
    this.transport = options.transport;
    this.clock = options.clock ?? systemClock;
    this.posNumber = options.posNumber ?? '01';
    if (!/^(0[1-9]|[1-9]\d)$/.test(this.posNumber))
      throw new Error(`POS number must be two digits 01-99, got "${this.posNumber}"`);
    this.lastHeard = this.clock.monotonic();
    this.subscriptions = [
      this.transport.onData((chunk) => {
        this.trace('in', chunk);
        this.lastHeard = this.clock.monotonic();
        if (this.active) this.active.link.receive(chunk);
        else this.quietSinceClean = false;
      }),
      this.transport.onClose((error) => this.deviceGone(error ? `port closed: ${error.message}` : 'port closed')),
    ];
  }

  get state(): ReaderState {
    if (this.gone || this.closed) return 'disconnected';
    return this.active ? 'busy' : 'idle';
  }

  collect(request: CollectRequest, onStage?: (stage: CollectStage) => void): Promise<CardOutcome> {
    return this.transact(request, TRANSACTION_PURCHASE, onStage);
  }

  /**
   * A credit (transaction type 1) on the terminal: the refund of a payment the terminal charged
   * through the shop's own bank. The exchange and the outcome rules are the purchase's.
   */
  refund(request: CollectRequest, onStage?: (stage: CollectStage) => void): Promise<CardOutcome> {
    return this.transact(request, TRANSACTION_CREDIT, onStage);
  }

  private transact(
    request: CollectRequest,
    transactionType: string,
    onStage?: (stage: CollectStage) => void,
  ): Promise<CardOutcome> {
    if (this.gone || this.closed)
      return Promise.resolve(failed('reader_disconnected', `reader ${this.info.label} is not connected`));
    if (this.active) return Promise.resolve(failed('reader_busy', DECLINE_CODES.reader_busy.gateway));
    const currencyNumeric = currencyToNumeric(request.currency);
    if (currencyNumeric === null)
      return Promise.resolve(failed('reader_error', `unknown currency "${request.currency}"`));
    const amount = checkMinorAmount(request.amount);
    if (!amount.ok) return Promise.resolve(failed('reader_error', `${amount.error} (got ${request.amount})`));
    const concertRequest: ConcertRequest = {
      variant: 'E+',
      posNumber: this.posNumber,
      amount: request.amount,
      fullAnswer: this.options.fullAnswer ?? true,
      paymentMode: '1',
      transactionType,
      currencyNumeric,
      privateData: privateDataFor(request.reference),
      delay: 'A010',
      authorization: 'B010',
    };
    let body: Uint8Array;
    try {
      body = encodeRequestBody(concertRequest);
    } catch (error) {
      return Promise.resolve(failed('reader_error', errorMessage(error)));
    }
    return new Promise<CardOutcome>((resolve) => {
      const collection: Collection = {
        request: concertRequest,
        link: new ConcertLink({
          clock: this.clock,
          // The request's bound is the card wait, which Concert counts from the terminal's ACK (its
          // answer session may open up to that long after our EOT), not from our first ENQ: a deadline
          // from the start would cut off an answer the terminal gives in the last seconds it is allowed.
          timings:
            request.timeoutMs === undefined
              ? this.options.timings
              : { ...this.options.timings, answerTimeoutMs: request.timeoutMs },
          send: (bytes) => this.write(bytes),
          onEvent: (event) => this.onLinkEvent(collection, event),
          quietSince: this.quietSinceClean ? -Infinity : this.lastHeard,
        }),
        resolve,
        onStage,
        abortCause: null,
        cancelWaiter: null,
        cancelPromise: null,
      };
      this.active = collection;
      this.quietSinceClean = false;
      collection.link.start(body);
    });
  }

  async cancel(): Promise<boolean> {
    const collection = this.active;
    if (!collection) return false;
    if (collection.cancelPromise) return collection.cancelPromise;
    const result = collection.link.cancel();
    if (result === 'canceled') return true; // the link's 'canceled' event already settled collect()
    if (result === 'too_late') return false;
    collection.cancelPromise = new Promise<boolean>((resolve) => {
      collection.cancelWaiter = resolve;
    });
    return collection.cancelPromise;
  }

  onDisconnect(listener: (reason: string) => void): Unsubscribe {
    return this.disconnectEvents.subscribe(listener);
  }

  /**
   * The device was unplugged (the registry calls this on a USB or serial detach): any payment
   * in flight ends as failed or unknown, listeners hear about it once, the port is closed.
   */
  detach(reason: string): void {
    this.deviceGone(reason);
    void this.transport.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.active) {
      this.active.abortCause = 'closed';
      this.active.link.abort('the reader was closed');
    }
    for (const unsubscribe of this.subscriptions) unsubscribe();
    await this.writes;
    await this.transport.close().catch(() => undefined);
  }

  private onLinkEvent(collection: Collection, event: LinkEvent): void {
    switch (event.type) {
      case 'acknowledged':
        return;
      case 'waiting_for_answer':
        if (collection.onStage) {
          try {
            collection.onStage('waiting_for_card');
          } catch {
            // A failing stage callback (a UI hook) must not stall the payment the terminal is taking.
          }
        }
        return;
      case 'cancel_refused':
        this.answerCancel(collection, false);
        return;
      case 'canceled':
        this.answerCancel(collection, true); // before settle(), which answers a pending cancel with false
        this.settle(collection, { kind: 'canceled' });
        return;
      case 'failed':
        this.settle(collection, this.linkFailure(collection, event.error));
        return;
      case 'answer':
        this.quietSinceClean = event.closedCleanly;
        this.settle(collection, this.outcomeFromAnswer(collection.request, event.body));
        return;
    }
  }

  private linkFailure(collection: Collection, error: LinkError): CardOutcome {
    if (error.code === 'aborted') {
      // The cashier reads what happened to the reader; the port's own words ("port closed: bad file
      // descriptor") are the detail, for the log and support.
      const said = collection.abortCause === 'closed' ? CLOSED_MID_PAYMENT : GONE_MID_PAYMENT;
      return error.acknowledged
        ? unknown('reader_disconnected', `${said} ${error.inDoubt ? MAY_HAVE_TAKEN : MAY_HAVE_CHARGED}`, error.message)
        : failed('reader_disconnected', `${said} Nothing was charged.`, error.message);
    }
    const code: FailureCode = LINK_FAILURE_CODES[error.code];
    if (!error.acknowledged) return failed(code, error.message);
    return unknown(code, `${error.message}. ${error.inDoubt ? MAY_HAVE_TAKEN : MAY_HAVE_CHARGED}`);
  }

  private outcomeFromAnswer(request: ConcertRequest, body: Uint8Array): CardOutcome {
    let answer: ConcertAnswer;
    try {
      answer = decodeAnswerBody(body);
      checkAnswer(answer, request);
    } catch (error) {
      const detail = error instanceof ConcertProtocolError ? `${error.code}: ${error.message}` : errorMessage(error);
      return unknown('protocol_error', `the terminal's answer was rejected (${detail}). ${MAY_HAVE_CHARGED}`);
    }
    try {
      this.options.onAnswer?.(answer, request);
    } catch {
      // Diagnostics only.
    }
    switch (answer.status) {
      case '0': {
        const pan = cardNumberFromField(answer.cardField);
        const authCode = answer.privateData.trim();
        const meaningful = authCode !== '' && !/^0+$/.test(authCode) && authCode !== request.privateData.trim();
        return {
          kind: 'approved',
          card: pan ? { brand: cardBrand(pan), last4: pan.slice(-4) } : null,
          ...(meaningful ? { authCode } : {}),
        };
      }
      case '7':
        return {
          kind: 'declined',
          code: 'card_declined',
          message: 'The terminal refused the payment or it was not completed (Concert status 7).',
        };
      case '9':
        return unknown(
          'protocol_error',
          `the terminal only confirmed it received the request (status 9) and gave no result. ${MAY_HAVE_CHARGED}`,
        );
      default:
        return unknown(
          'protocol_error',
          `the terminal answered with an unknown status "${answer.status}". ${MAY_HAVE_CHARGED}`,
        );
    }
  }

  private settle(collection: Collection, outcome: CardOutcome): void {
    if (this.active !== collection) return;
    this.active = null;
    this.answerCancel(collection, false);
    collection.resolve(outcome);
  }

  private answerCancel(collection: Collection, stopped: boolean): void {
    const waiter = collection.cancelWaiter;
    collection.cancelWaiter = null;
    waiter?.(stopped);
  }

  private deviceGone(reason: string): void {
    if (this.gone) return;
    this.gone = true;
    if (this.active) {
      this.active.abortCause = 'disconnect';
      this.active.link.abort(`the reader disconnected (${reason})`);
    }
    if (this.closed) return; // an intentional close is not a disconnect
    this.disconnectEvents.emit(reason);
  }

  private write(bytes: Uint8Array): void {
    this.trace('out', bytes);
    this.writes = this.writes
      .then(() => this.transport.write(bytes))
      .catch((error: unknown) => this.deviceGone(`write failed: ${errorMessage(error)}`));
  }

  private trace(direction: 'in' | 'out', bytes: Uint8Array): void {
    try {
      this.options.onTrace?.(direction, bytes);
    } catch {
      // Diagnostics only.
    }
  }
}

function failed(code: FailureCode, message: string, detail?: string): CardOutcome {
  return { kind: 'failed', code, message, ...(detail ? { detail } : {}) };
}

function unknown(code: FailureCode, message: string, detail?: string): CardOutcome {
  return { kind: 'unknown', code, message, ...(detail ? { detail } : {}) };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
