/**
 * The Concert link layer, cash-register (ECR) side, as a state machine. It does no I/O: it is fed
 * received bytes and an injected clock, and it hands bytes to send and events to callbacks.
 * One instance runs one exchange (request out, answer in) and then stays finished.
 *
 *   (quiet)                   (first, quietGapMs without a byte — at most ackTimeoutMs: what still
 *                             arrives of an earlier exchange is dropped, not read as a reply)
 *   ECR → ENQ                 (no ACK within ackTimeoutMs: EOT, pause, retry; sessionAttempts in all)
 *   TPE → ACK                 (only a lone ACK: one inside a stale frame, STX … ETX LRC, is not it)
 *   ECR → STX request ETX LRC (NAK: resend, at most maxResends times; then EOT and give up: refused)
 *                             (neither ACK nor NAK within ackTimeoutMs: EOT, then lateAckMs more for
 *                             an ACK that crossed it — ACK then EOT is how the terminal starts;
 *                             then in doubt: its ACK may have been lost or garbled on the line, and
 *                             our EOT started the payment, so wait for its answer as after an ACK;
 *                             a whole stale frame, good LRC, is skipped: no reply, nor garbled)
 *   TPE → ACK                 ← the request is acknowledged: from here on, the terminal may charge
 *   ECR → EOT
 *   TPE → ENQ                 (within answerTimeoutMs; nothing: unknown, it may have charged)
 *   ECR → ACK
 *   TPE → STX answer ETX LRC  (within frameTimeoutMs of our ACK/NAK; bad LRC: NAK, at most maxAnswerNaks;
 *                             nothing, or EOT: it missed our ACK, so wait for its next ENQ, as many
 *                             sessions as sessionAttempts)
 *   ECR → ACK
 *   TPE → EOT                 (within eotTimeoutMs; the answer stands even if EOT never comes)
 *
 * Every wait has its own bound and its own error code. Cancel is honoured until the terminal
 * acknowledges the request and never after: once the frame is on the wire, a cancel waits for
 * the terminal's reply, because sending EOT just as its ACK arrives is what starts the payment.
 * Only a NAK stops it then; with no reply at all the request is in doubt and the cancel refused.
 */
import type { Clock, TimerHandle } from '../../../common/clock';
import { ACK, ENQ, EOT, ETX, NAK, STX, frame, lrc } from './codec';

export interface ConcertLinkTimings {
  /**
   * Silence on the line before our first ENQ. Bytes still arriving from an earlier exchange (a
   * terminal re-sending an answer it thinks we missed) are dropped meanwhile and restart the wait,
   * for at most ackTimeoutMs in all; then the ENQ goes out anyway. 0: the ENQ goes out at once.
   */
  readonly quietGapMs: number;
  /** Wait for ACK after our ENQ and after our request frame. */
  readonly ackTimeoutMs: number;
  /** Pause after EOT before the next ENQ when a session attempt went unanswered. */
  readonly sessionRetryPauseMs: number;
  /** ENQ attempts in all. */
  readonly sessionAttempts: number;
  /**
   * After the request's ACK wait ran out and EOT went out, how long an ACK that crossed that EOT is
   * still heard. To the terminal, its ACK followed by our EOT is the ordinary start of the card
   * transaction, so such an ACK means it is charging: the exchange goes on instead of failing.
   */
  readonly lateAckMs: number;
  /** Resends of the request frame after NAKs (so maxResends + 1 transmissions at most). */
  readonly maxResends: number;
  /** Wait for the terminal's ENQ once the request is acknowledged: the customer is at the card. */
  readonly answerTimeoutMs: number;
  /** Wait for a complete answer frame after our ACK of its ENQ (or our NAK of a bad frame). */
  readonly frameTimeoutMs: number;
  /** NAKs of bad-LRC answers before giving up. */
  readonly maxAnswerNaks: number;
  /** Wait for the terminal's closing EOT after we ACK its answer. */
  readonly eotTimeoutMs: number;
}

export const DEFAULT_LINK_TIMINGS: ConcertLinkTimings = {
  quietGapMs: 100,
  ackTimeoutMs: 3_000,
  sessionRetryPauseMs: 1_000,
  sessionAttempts: 3,
  lateAckMs: 1_000,
  maxResends: 3,
  answerTimeoutMs: 120_000,
  frameTimeoutMs: 3_000,
  maxAnswerNaks: 3,
  eotTimeoutMs: 3_000,
};

/**
 * The longest a link can run beyond its card wait (answerTimeoutMs), every wait at its bound: before
 * the card wait starts (the quiet gap, every session attempt, every resend of the request, an ACK
 * crossing our EOT — or none coming: in doubt, the card wait counts from the end of that wait, when
 * 'waiting_for_answer' is told) or after it ends (an answer session opened in its last moment, opened again as
 * often as allowed, then a frame NAKed as often as allowed, then the closing EOT never coming). The
 * host's bound over a collection (main/readers/controller.ts) must not cut off less than this, or an
 * answer the link would still take is called unknown.
 */
export function longestBeyondCardWaitMs(timings: Partial<ConcertLinkTimings> = {}): number {
  const t = { ...DEFAULT_LINK_TIMINGS, ...timings };
  const beforeAck =
    (t.quietGapMs > 0 ? Math.max(t.quietGapMs, t.ackTimeoutMs) : 0) +
    t.sessionAttempts * t.ackTimeoutMs +
    (t.sessionAttempts - 1) * t.sessionRetryPauseMs +
    (t.maxResends + 1) * t.ackTimeoutMs +
    t.lateAckMs;
  const afterCardWait =
    (t.sessionAttempts - 1) * (t.frameTimeoutMs + t.sessionRetryPauseMs + t.ackTimeoutMs) +
    (t.maxAnswerNaks + 1) * t.frameTimeoutMs +
    t.eotTimeoutMs;
  return Math.max(beforeAck, afterCardWait);
}

/** An answer frame longer than this without ETX is noise, not a frame (full answers are 80). */
const MAX_BODY_LENGTH = 256;

export type LinkErrorCode =
  /** No ACK to ENQ after every attempt (terminal off, unplugged, or Cash connection off). */
  | 'session_not_acknowledged'
  /** The terminal answered ENQ with NAK on the last attempt (it is busy). */
  | 'session_refused'
  /** The request frame was NAKed maxResends + 1 times. */
  | 'request_rejected'
  /**
   * Neither ACK nor NAK after the request frame (nor an ACK crossing our EOT, within lateAckMs), and
   * then no answer within answerTimeoutMs either: the ACK may have been lost, so it may have charged.
   */
  | 'request_ack_timeout'
  /** The terminal never opened a session to answer. */
  | 'answer_timeout'
  /** The terminal opened its session but the answer frame did not complete in time. */
  | 'answer_frame_timeout'
  /** Every answer frame had a bad LRC (or was too long to be one). */
  | 'answer_corrupt'
  /** Stopped from outside: the port went away or the caller's deadline passed. */
  | 'aborted';

export interface LinkError {
  readonly code: LinkErrorCode;
  readonly message: string;
  /**
   * True when the terminal had acknowledged the request, or may have (stopped while an ACK could
   * still be crossing our EOT): it may have charged the card.
   */
  readonly acknowledged: boolean;
  /** Counted as acknowledged though no ACK came: the request's reply was lost or garbled (in doubt). */
  readonly inDoubt?: boolean;
}

export type LinkEvent =
  /** The terminal ACKed the request frame: the payment is now in its hands. */
  | { readonly type: 'acknowledged' }
  /**
   * EOT sent after the ACK: the terminal is running the card transaction. Also when no reply to the
   * request came (inDoubt): the terminal may be running it, and its answer is waited for all the same.
   */
  | { readonly type: 'waiting_for_answer'; readonly inDoubt?: boolean }
  /** A frame with a valid LRC, ACKed. Its content is not checked here (that is the codec's job). */
  | { readonly type: 'answer'; readonly body: Uint8Array; readonly closedCleanly: boolean }
  | { readonly type: 'failed'; readonly error: LinkError }
  | { readonly type: 'canceled' }
  /** A cancel was asked for but the terminal acknowledged the request first. */
  | { readonly type: 'cancel_refused' };

export type LinkState =
  | 'idle'
  /** Waiting for the line to fall silent before our first ENQ. */
  | 'quieting'
  | 'opening'
  | 'opening_pause'
  | 'sending'
  /** EOT sent after the request's ACK wait ran out; listening lateAckMs for an ACK that crossed it. */
  | 'abandoning'
  | 'waiting_answer'
  | 'receiving'
  | 'closing'
  | 'done';

export type CancelResult = 'canceled' | 'pending' | 'too_late';

export interface ConcertLinkOptions {
  readonly clock: Clock;
  readonly timings?: Partial<ConcertLinkTimings>;
  /** Bytes to put on the wire, in order. */
  readonly send: (bytes: Uint8Array) => void;
  readonly onEvent: (event: LinkEvent) => void;
  /**
   * When the line was last heard (monotonic), for the quiet gap before our first ENQ: the gap counts
   * from it, so a line known quiet opens at once; -Infinity after an exchange that ended cleanly
   * (nothing of it can still arrive). Unset: the whole gap is waited.
   */
  readonly quietSince?: number;
}

const byte = (value: number): Uint8Array => Uint8Array.of(value);

export class ConcertLink {
  private readonly timings: ConcertLinkTimings;
  private current: LinkState = 'idle';
  private timer: TimerHandle | undefined;
  private requestFrame: Uint8Array = new Uint8Array();
  private attempt = 0;
  private resends = 0;
  private answerNaks = 0;
  /** Answer sessions the terminal opened (its ENQs we ACKed after waiting for one). */
  private answerSessions = 0;
  /** Whether any of an answer frame (its STX) came in the current answer session. */
  private framed = false;
  private lastSessionReply: 'none' | 'nak' = 'none';
  /**
   * Before the terminal's answer session: where we are in a frame the terminal is sending (not ours to
   * read: a stale answer). Its bytes — an LRC may equal ACK or NAK — are never a reply to our ENQ,
   * nor, once whole with a good LRC, to our request.
   */
  private strayFrame: 'none' | 'body' | 'lrc' = 'none';
  private strayLength = 0;
  /** The stray frame's LRC so far (its body and ETX XORed). */
  private strayLrc = 0;
  /** When the quiet wait before the first ENQ gives up waiting for silence (monotonic). */
  private quietUntil = 0;
  private cancelRequested = false;
  private acked = false;
  /**
   * Neither ACK nor NAK came for the request (or a garbled byte did), and EOT went out: the terminal
   * may have taken it, its ACK lost on the line, and be charging. Counted as acknowledged in failures.
   */
  private inDoubt = false;
  /** A byte other than ACK or NAK arrived while the request frame awaited its reply. */
  private garbledReply = false;
  /** Answer frame being collected: null until STX. */
  private body: number[] | null = null;
  private awaitingLrc = false;
  private answer: Uint8Array | null = null;

  constructor(private readonly options: ConcertLinkOptions) {
    this.timings = { ...DEFAULT_LINK_TIMINGS, ...options.timings };
  }

  get state(): LinkState {
    return this.current;
  }

  /** True once the terminal has ACKed the request. */
  get acknowledged(): boolean {
    return this.acked;
  }

  /** Opens the session and sends the request body (framed here). */
  start(requestBody: Uint8Array): void {
    if (this.current !== 'idle') throw new Error(`link already used (state ${this.current})`);
    this.requestFrame = frame(requestBody);
    this.attempt = 0;
    if (this.timings.quietGapMs <= 0) {
      this.openSession();
      return;
    }
    const now = this.options.clock.monotonic();
    const quietFor = this.options.quietSince === undefined ? 0 : now - this.options.quietSince;
    if (quietFor >= this.timings.quietGapMs) {
      this.openSession();
      return;
    }
    this.current = 'quieting';
    this.quietUntil = now + this.timings.ackTimeoutMs;
    this.wait(this.timings.quietGapMs - quietFor, () => this.openSession());
  }

  /** Feeds received bytes (any chunking). */
  receive(chunk: Uint8Array): void {
    for (const raw of chunk) {
      if (this.current === 'done' || this.current === 'idle') return;
      this.onByte(raw & 0x7f);
    }
  }

  /**
   * Asks to stop. 'canceled': stopped now (nothing was acknowledged). 'pending': the request is
   * on the wire; a 'canceled' or 'cancel_refused' event follows. 'too_late': acknowledged or over.
   */
  cancel(): CancelResult {
    switch (this.current) {
      case 'quieting':
        // Nothing sent yet.
        this.finish({ type: 'canceled' });
        return 'canceled';
      case 'opening':
        this.send(byte(EOT));
        this.finish({ type: 'canceled' });
        return 'canceled';
      case 'opening_pause':
        // EOT already went out after the unanswered ENQ.
        this.finish({ type: 'canceled' });
        return 'canceled';
      case 'sending':
      case 'abandoning':
        this.cancelRequested = true;
        return 'pending';
      default:
        return 'too_late';
    }
  }

  /**
   * Stops from outside (port closed, deadline). A link that already holds a good answer still
   * delivers it; otherwise it fails with code 'aborted'.
   */
  abort(message: string): void {
    if (this.current === 'done' || this.current === 'idle') return;
    if (this.current === 'closing' && this.answer) {
      this.finish({ type: 'answer', body: this.answer, closedCleanly: false });
      return;
    }
    // Close our session if we hold one. Not while the request frame awaits its ACK: an EOT
    // crossing the terminal's ACK on the wire is exactly what starts the card transaction.
    if (this.current === 'opening') this.send(byte(EOT));
    // Our EOT is out and the terminal's ACK may be crossing it (or was lost): it may be charging.
    if (this.current === 'abandoning') this.inDoubt = true;
    this.fail('aborted', message);
  }

  private onByte(value: number): void {
    switch (this.current) {
      case 'quieting':
        this.trackStrayFrame(value);
        this.waitForQuiet();
        return;
      case 'opening_pause':
        this.trackStrayFrame(value);
        return;
      case 'opening':
        if (this.trackStrayFrame(value) !== 'none') return;
        if (value === ACK) {
          this.current = 'sending';
          this.resends = 0;
          this.send(this.requestFrame);
          this.wait(this.timings.ackTimeoutMs, () => this.requestAckTimedOut());
        } else if (value === NAK) {
          this.lastSessionReply = 'nak';
          this.sessionAttemptFailed();
        }
        // Anything else (noise, a stale ENQ from the terminal) is not an answer to our ENQ.
        return;
      case 'sending':
        if (this.replyIsStray(value)) return;
        if (value === ACK) this.requestAcknowledged();
        else if (value === NAK) this.requestNaked();
        else this.garbledReply = true;
        return;
      case 'abandoning':
        if (this.replyIsStray(value)) return;
        // Our EOT already went out: after this ACK it is what the terminal waits for to start.
        if (value === ACK) this.requestAcknowledged(false);
        else if (value === NAK) this.requestGivenUp(true);
        else this.garbledReply = true;
        return;
      case 'waiting_answer':
        if (value === ENQ) this.acceptAnswerSession();
        return;
      case 'receiving':
      case 'closing':
        this.onAnswerByte(value);
        return;
      default:
        return;
    }
  }

  /** (Re)arms the quiet wait: ENQ after quietGapMs of silence, or once its bound is reached. */
  private waitForQuiet(): void {
    const left = this.quietUntil - this.options.clock.monotonic();
    this.wait(Math.max(0, Math.min(this.timings.quietGapMs, left)), () => this.openSession());
  }

  /**
   * Follows a frame the terminal sends while we open our session or await the reply to our request
   * (STX … ETX LRC: an earlier answer arriving late). 'none': the byte belongs to no frame; 'inside':
   * to one still coming; 'whole': it is the good LRC of one; 'bad': it ends one that is not a frame
   * (a bad LRC, or too long).
   */
  private trackStrayFrame(value: number): 'none' | 'inside' | 'whole' | 'bad' {
    if (this.strayFrame === 'lrc') {
      this.strayFrame = 'none';
      return value === this.strayLrc ? 'whole' : 'bad';
    }
    if (value === STX) {
      this.strayFrame = 'body';
      this.strayLength = 0;
      this.strayLrc = 0;
      return 'inside';
    }
    if (this.strayFrame === 'body') {
      this.strayLrc ^= value;
      if (value === ETX) this.strayFrame = 'lrc';
      else if (++this.strayLength > MAX_BODY_LENGTH) {
        this.strayFrame = 'none'; // noise, not a frame
        return 'bad';
      }
      return 'inside';
    }
    return 'none';
  }

  /**
   * While our request awaits its reply: true when the byte is part of a frame the terminal sends,
   * which is no reply — the answer to this request comes only in a session of the terminal's own,
   * after it acknowledged the request and we ACKed its ENQ, so a frame here is a stale one (a terminal
   * re-sending an earlier answer). A whole frame with a good LRC is skipped as if it never came, its
   * LRC never read as ACK or NAK. One that turns out not to be a frame (bad LRC, too long) counts as a
   * garbled reply, as does one never finished (requestGivenUp): its STX may be an ACK the line garbled.
   */
  private replyIsStray(value: number): boolean {
    const stray = this.trackStrayFrame(value);
    if (stray === 'none') return false;
    if (stray === 'bad') this.garbledReply = true;
    return true;
  }

  private openSession(): void {
    this.attempt += 1;
    this.current = 'opening';
    this.send(byte(ENQ));
    this.wait(this.timings.ackTimeoutMs, () => {
      this.lastSessionReply = 'none';
      this.sessionAttemptFailed();
    });
  }

  private sessionAttemptFailed(): void {
    this.clearTimer();
    // A frame broken off before its ETX does not hold the next attempt's ACK hostage.
    this.strayFrame = 'none';
    this.send(byte(EOT));
    if (this.attempt >= this.timings.sessionAttempts) {
      if (this.lastSessionReply === 'nak') {
        this.fail(
          'session_refused',
          `the terminal answered ENQ with NAK on attempt ${this.attempt} of ${this.timings.sessionAttempts} (busy)`,
        );
      } else {
        this.fail(
          'session_not_acknowledged',
          `no ACK to ENQ within ${this.timings.ackTimeoutMs} ms, ${this.attempt} attempts (terminal off, unplugged, or Cash connection off)`,
        );
      }
      return;
    }
    this.current = 'opening_pause';
    this.wait(this.timings.sessionRetryPauseMs, () => this.openSession());
  }

  private requestAcknowledged(sendEot = true): void {
    this.clearTimer();
    this.acked = true;
    this.options.onEvent({ type: 'acknowledged' });
    if (this.cancelRequested) this.options.onEvent({ type: 'cancel_refused' });
    if (sendEot) this.send(byte(EOT));
    this.current = 'waiting_answer';
    this.options.onEvent({ type: 'waiting_for_answer' });
    this.wait(this.timings.answerTimeoutMs, () =>
      this.fail(
        'answer_timeout',
        `the terminal did not open a session to answer within ${this.timings.answerTimeoutMs} ms`,
      ),
    );
  }

  private requestNaked(): void {
    this.clearTimer();
    // The terminal's reply to this frame was a NAK: whatever came before it was noise.
    this.garbledReply = false;
    if (this.cancelRequested) {
      this.send(byte(EOT));
      this.finish({ type: 'canceled' });
      return;
    }
    if (this.resends >= this.timings.maxResends) {
      this.send(byte(EOT));
      this.fail(
        'request_rejected',
        `the terminal NAKed the request ${this.resends + 1} times (LRC or format rejected)`,
      );
      return;
    }
    this.resends += 1;
    this.send(this.requestFrame);
    this.wait(this.timings.ackTimeoutMs, () => this.requestAckTimedOut());
  }

  /**
   * No reply to the request frame: close the session, but keep listening a moment. An ACK the
   * terminal sent just as the wait ran out reaches it followed by our EOT, which is how a card
   * transaction starts: taking that as "nothing charged" would let the cashier charge again.
   */
  private requestAckTimedOut(): void {
    this.send(byte(EOT));
    this.current = 'abandoning';
    this.wait(this.timings.lateAckMs, () => this.requestGivenUp());
  }

  private requestGivenUp(naked = false): void {
    // A frame begun and never finished: its STX may be the terminal's ACK, garbled.
    if (this.strayFrame !== 'none') this.garbledReply = true;
    if (naked) {
      // The terminal refused the frame after all (noise before its NAK is no reply): nothing was charged.
      if (this.cancelRequested) this.finish({ type: 'canceled' });
      else
        this.fail('request_rejected', `the terminal NAKed the request after the ${this.timings.ackTimeoutMs} ms wait`);
      return;
    }
    this.requestInDoubt();
  }

  /**
   * No ACK, no NAK (or a garbled byte where the reply was due): the request may well have reached the
   * terminal and its ACK been lost or garbled on the line, and our EOT is what starts its card
   * transaction. Calling that "failed, nothing charged" let the cashier charge the card a second time,
   * so the answer is waited for as after an ACK, for the card wait; if it never comes, the outcome is
   * unknown (the cashier checks the terminal's last receipt). A cancel can no longer be honoured.
   */
  private requestInDoubt(): void {
    this.clearTimer();
    this.inDoubt = true;
    if (this.cancelRequested) this.options.onEvent({ type: 'cancel_refused' });
    this.current = 'waiting_answer';
    this.options.onEvent({ type: 'waiting_for_answer', inDoubt: true });
    const reply = this.garbledReply
      ? 'a garbled byte came where its reply to the request was due'
      : 'neither ACK nor NAK came for the request';
    this.wait(this.timings.answerTimeoutMs, () =>
      this.fail(
        'request_ack_timeout',
        `${reply} within ${this.timings.ackTimeoutMs} ms, then no answer within ${this.timings.answerTimeoutMs} ms: the terminal may have taken the request, its ACK lost on the line`,
      ),
    );
  }

  private acceptAnswerSession(): void {
    this.send(byte(ACK));
    this.current = 'receiving';
    this.answerSessions += 1;
    this.framed = false;
    this.body = null;
    this.awaitingLrc = false;
    this.waitForFrame();
  }

  private waitForFrame(): void {
    this.wait(this.timings.frameTimeoutMs, () => {
      if (this.awaitAnotherAnswerSession()) return;
      this.fail(
        'answer_frame_timeout',
        `the terminal opened its answer session but no complete frame arrived within ${this.timings.frameTimeoutMs} ms`,
      );
    });
  }

  /**
   * Nothing of a frame came after we ACKed the terminal's ENQ: it may not have heard that ACK. A
   * terminal then closes its session (EOT), pauses and opens it again with ENQ, as we do: wait for
   * that, up to sessionAttempts sessions in all, instead of calling a payment it may have approved
   * unknown. False when this session is not such a one (a frame began) or the sessions are spent.
   */
  private awaitAnotherAnswerSession(): boolean {
    if (this.current !== 'receiving' || this.framed || this.answerSessions >= this.timings.sessionAttempts)
      return false;
    this.current = 'waiting_answer';
    this.body = null;
    this.awaitingLrc = false;
    const bound = this.timings.sessionRetryPauseMs + this.timings.ackTimeoutMs;
    this.wait(bound, () =>
      this.fail(
        'answer_frame_timeout',
        `the terminal opened its answer session ${this.answerSessions === 1 ? 'once' : `${this.answerSessions} times`} but no complete frame arrived, and it did not open it again within ${bound} ms`,
      ),
    );
    return true;
  }

  private onAnswerByte(value: number): void {
    if (this.awaitingLrc && this.body) {
      this.frameComplete(Uint8Array.from(this.body), value);
      return;
    }
    if (value === STX) {
      // A new frame, or the terminal restarting one: resynchronise on it.
      this.body = [];
      this.framed = true;
      return;
    }
    if (this.body === null) {
      if (value === ENQ && this.current === 'receiving')
        this.send(byte(ACK)); // it missed our ACK
      else if (value === EOT && this.current === 'closing') this.closed();
      // It closed its session before sending anything: it missed our ACK, and opens it again.
      else if (value === EOT && this.current === 'receiving') this.awaitAnotherAnswerSession();
      return;
    }
    if (value === ETX) {
      this.awaitingLrc = true;
      return;
    }
    this.body.push(value);
    if (this.body.length > MAX_BODY_LENGTH) this.badFrame(`more than ${MAX_BODY_LENGTH} bytes without ETX`);
  }

  private frameComplete(body: Uint8Array, received: number): void {
    this.body = null;
    this.awaitingLrc = false;
    const expected = lrc(body);
    if (received !== expected) {
      this.badFrame(`bad LRC 0x${received.toString(16)} (computed 0x${expected.toString(16)})`);
      return;
    }
    if (this.answer) {
      // A re-sent answer (it missed our ACK): ACKed again, the first kept, and the EOT still awaited
      // only as long as after the first, so a terminal repeating itself cannot hold the link open.
      this.send(byte(ACK));
      return;
    }
    this.clearTimer();
    this.answer = body;
    this.send(byte(ACK));
    this.current = 'closing';
    this.wait(this.timings.eotTimeoutMs, () => this.finish({ type: 'answer', body, closedCleanly: false }));
  }

  private badFrame(why: string): void {
    this.body = null;
    this.awaitingLrc = false;
    this.send(byte(NAK));
    if (this.answer) {
      // We already hold a good answer (this was a garbled resend): keep it.
      return;
    }
    if (this.answerNaks >= this.timings.maxAnswerNaks) {
      this.fail('answer_corrupt', `answer rejected ${this.answerNaks + 1} times, last: ${why}`);
      return;
    }
    this.answerNaks += 1;
    this.waitForFrame();
  }

  private closed(): void {
    const body = this.answer;
    if (body) this.finish({ type: 'answer', body, closedCleanly: true });
  }

  private fail(code: LinkErrorCode, message: string): void {
    const inDoubt = !this.acked && this.inDoubt;
    this.finish({
      type: 'failed',
      error: { code, message, acknowledged: this.acked || inDoubt, ...(inDoubt ? { inDoubt } : {}) },
    });
  }

  private finish(event: LinkEvent): void {
    this.clearTimer();
    this.current = 'done';
    this.options.onEvent(event);
  }

  private send(bytes: Uint8Array): void {
    this.options.send(bytes);
  }

  private wait(ms: number, then: () => void): void {
    this.clearTimer();
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.current !== 'done') then();
    }, ms);
  }

  private clearTimer(): void {
    this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
