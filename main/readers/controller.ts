/**
 * One controller per hosted reader (never two: mixed controllers are how readers end up "busy"
 * in wrong states). It keeps the reader's channel to its action source open — for a gateway's
 * reader link, a fresh session (and single-use credential) every time, long polls as heartbeats,
 * reconnect with backoff — turns the actions it receives into device collections, and reports the
 * device's outcome back, journaled first. The source is a gateway's reader link, or the till itself
 * for a terminal that charges through its own bank: the controller does not know which.
 */
import type { Clock, TimerHandle } from '../../common/clock';
import type { ReaderStage, ReaderStatus } from '../../common/contract';
import type { CardOutcome, CollectRequest, CollectStage, Reader } from '../../drivers/types';
import { inBackground } from '../core/background';
import { GatewayError, GatewayUnreachable, LinkEnded } from '../gateway/errors';
import type { DeviceResult, GatewayPayment, LinkPoll, LinkPurpose, ReaderAction } from '../gateway/port';
import { ActionMisfit, ADVICE_UNKNOWN, INTERRUPTED, type ReaderEventSink } from '../payments/reader-events';
import { errorText, journalWriteFailure } from '../core/errors';

/** Past the longest a device's protocol may take, the moment given for its outcome to reach the controller. */
const OUTCOME_MARGIN_MS = 1_000;

/** Where a hosted reader's actions come from and where its outcomes go. */
export interface ActionSource {
  /** Pairs the reader with the source if needed; resolves the source's id for it. */
  pair(): Promise<string>;
  /**
   * Opens a channel for the reader (a reader link session); a collecting one supersedes the reader's
   * earlier channels. 'report': only to post outcomes of a device that is away — the source must not
   * offer the reader actions meanwhile (a gateway keeps it offline), the channel supersedes none and is
   * not polled.
   */
  open(sourceReaderId: string, purpose?: LinkPurpose): Promise<ActionChannel>;
  /**
   * How long the reader must still hold its calls (ms; 0 or absent: none): the wait a throttling
   * gateway (429) asked of another call of the till. The reader's own 429s are kept to as well.
   */
  heldForMs?(): number;
}

export interface ActionChannel {
  /** The source's id for the channel (a link session's id), for the log. */
  readonly id?: string;
  /** Resolves when the reader's state differs from `version`, or after about waitMs. */
  poll(version: number | undefined, waitMs: number, signal: AbortSignal): Promise<LinkPoll>;
  /** Posts a device outcome; resolves with the payment as the source now holds it. */
  post(actionId: string, result: DeviceResult): Promise<GatewayPayment>;
  close(): Promise<void>;
}

export interface ControllerOptions {
  /** The app's reader id (rdr_…). */
  id: string;
  clock: Clock;
  source: () => ActionSource;
  sink: ReaderEventSink;
  onChange: () => void;
  log: (kind: 'link' | 'reader' | 'error', summary: string, detail?: string) => void;
  pollWaitMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Card wait passed to the device. */
  collectTimeoutMs?: number;
  /**
   * How long past the card wait a silent device is given before the outcome is unknown (default
   * 15 s); never less than the device's own protocol allows (Reader.longestBeyondCardWaitMs).
   */
  answerGraceMs?: number;
  /** The device went away by itself (its port closed): whoever opens devices may try it again. */
  onDeviceLost?: () => void;
}

interface CurrentAction {
  action: ReaderAction;
  stage: ReaderStage;
  presentedCard: string | null;
}

export class ReaderController {
  readonly id: string;
  private device: Reader | null = null;
  private deviceUnsubscribe: (() => void) | null = null;
  private channel: ActionChannel | null = null;
  private generation = 0;
  private running = false;
  private stopped = false;
  private pollAbort: AbortController | null = null;
  /** The end of the wait a throttling gateway (429) asked the link for, on the monotonic clock. */
  private throttledUntil = Number.NEGATIVE_INFINITY;
  /** The end of the wait an unavailable gateway (503) named for the link, on the monotonic clock. */
  private unavailableUntil = Number.NEGATIVE_INFINITY;
  private wake: (() => void) | null = null;
  private current: CurrentAction | null = null;
  /** A credit is on the device (standalone refunds): no action is collected meanwhile. */
  private crediting = false;
  /**
   * An action arrived while a credit was on the device and was left for later: the next poll's
   * answer is handled even if its version did not change, or the action would wait for ever.
   */
  private pollDeferred = false;
  /**
   * Collecting channels whose close the source may not have had (it did not answer when the device
   * went away, or when a poll failed): through one, the gateway still shows the reader online — another
   * till could push it a payment — until it goes stale. Closed again before a report channel posts,
   * and while the device is away; forgotten once a new collecting channel opens (it supersedes them).
   */
  private unclosed = new Set<ActionChannel>();
  /** The closes of dropped channels still under way: a report channel waits for them (see unclosed). */
  private closing: Promise<void> = Promise.resolve();
  private reporting: Promise<void> = Promise.resolve();
  private reportRetryTimer: TimerHandle | undefined;
  private reportRetryMs = 0;
  private unresolved = new Map<string, ReaderAction>();
  /**
   * Outcomes the device gave that the journal could not take (a full or failing disk): held here,
   * never collected again, journaled — and only then reported — as soon as the journal takes them.
   */
  private unrecorded = new Map<string, { action: ReaderAction; result: DeviceResult }>();
  /**
   * Actions (id, amount, currency) refused for asking other money than their payment: never collected,
   * and not taken up again while the gateway keeps asking the same (the payment is in Needs attention).
   * The same action for the payment's money later is collected as any other.
   */
  private misfits = new Set<string>();
  /** What the reader says about the last action it left for other money, while that is what it holds. */
  private misfitProblem: string | null = null;
  /** Why the journal cannot follow this reader's payments now (said with its status), or null. */
  journalProblem: string | null = null;
  status: ReaderStatus = 'connecting';
  statusDetail: string | null = null;
  lastSeenAt: string | null = null;
  /** The source's id for this reader (the gateway's reader id), once paired in this run. */
  sourceReaderId: string | null = null;

  constructor(private readonly options: ControllerOptions) {
    this.id = options.id;
  }

  get hasDevice(): boolean {
    return this.device !== null && this.device.state !== 'disconnected';
  }

  get reader(): Reader | null {
    return this.device;
  }

  /** A credit (a refund on a standalone terminal) is on the device now. */
  get isCrediting(): boolean {
    return this.crediting;
  }

  get action(): { transactionId: string; stage: ReaderStage; status: string } | null {
    return this.current
      ? { transactionId: this.current.action.paymentId, stage: this.current.stage, status: this.current.action.status }
      : null;
  }

  /** Gives the controller its device (at start, or when a USB reader is plugged back in). */
  attachDevice(device: Reader): void {
    this.deviceUnsubscribe?.();
    this.device = device;
    this.deviceUnsubscribe = device.onDisconnect((reason) => this.deviceLost(reason));
    this.options.log('reader', `${device.info.label} connected`);
    this.background(this.retryUnresolved());
    this.kick();
  }

  /** The device went away: the gateway must see the reader offline, not silently stale. */
  deviceLost(reason: string): void {
    if (!this.device) return;
    this.options.log('reader', `${this.device.info.label} disconnected`, reason);
    this.deviceUnsubscribe?.();
    this.deviceUnsubscribe = null;
    this.device = null;
    this.setStatus('offline', `Reader disconnected (${reason}). Plug it back in; the app reconnects by itself.`);
    this.restartLoop();
    this.options.onDeviceLost?.();
  }

  /**
   * Its device is listed but could not be opened (another program holds the port, the terminal did
   * not answer its probe): the cashier sees why, not only that it is not connected.
   */
  deviceUnavailable(reason: string): void {
    if (this.hasDevice || this.stopped) return;
    this.setStatus('offline', `Reader not connected: ${reason}`);
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.background(this.loop(this.generation));
  }

  /** Drops the current session and starts over at once (the Reconnect button). */
  reconnect(): void {
    if (this.status === 'superseded') this.running = false;
    this.restartLoop();
    this.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const [actionId, { result }] of this.unrecorded)
      this.options.log(
        'error',
        `Stopping with the outcome of ${actionId} never journaled (${result.outcome}): check the reader's last receipt`,
        JSON.stringify(result),
      );
    this.options.clock.clearTimeout(this.reportRetryTimer);
    this.generation++;
    this.pollAbort?.abort();
    this.wake?.();
    const channel = this.channel;
    this.channel = null;
    if (channel) await channel.close().catch(() => undefined);
    this.deviceUnsubscribe?.();
  }

  /**
   * Cashier cancel from the app: only while no card is being authorised, and on a device that stops
   * only until it takes the request (Concert), only until then ('taken': its own keys stop it now).
   */
  async cancelCollection(): Promise<'canceled' | 'too_late' | 'taken' | 'not_collecting'> {
    if (!this.current || !this.device) return 'not_collecting';
    const device = this.device;
    if (await device.cancel()) return 'canceled';
    return device.cancelsUntil === 'request' ? 'taken' : 'too_late';
  }

  /**
   * A credit (refund) on this reader's device, for a terminal on the shop's own bank. Refused while
   * the reader collects a payment; 'unsupported' when the device has no credit transaction.
   */
  async credit(request: { amount: number; currency: string; reference: string }): Promise<CardOutcome | 'unsupported'> {
    const device = this.device;
    if (!device || device.state === 'disconnected') {
      return { kind: 'failed', code: 'reader_disconnected', message: 'The terminal is not connected.' };
    }
    if (!device.refund) return 'unsupported';
    if (this.current || this.crediting) {
      return { kind: 'failed', code: 'reader_busy', message: 'The terminal is busy with another payment.' };
    }
    this.crediting = true;
    this.options.onChange();
    try {
      const timeoutMs = this.options.collectTimeoutMs ?? 120_000;
      return await this.collectWithinBound(device, { ...request, timeoutMs }, () => undefined, 'refund');
    } finally {
      this.crediting = false;
      this.options.onChange();
    }
  }

  presentCard(cardNumber?: string): boolean {
    if ((!this.current && !this.crediting) || !this.device?.presentCard) return false;
    return this.device.presentCard(cardNumber);
  }

  /** The cashier established the outcome the device could not report: journal it and report it. */
  async settleUnknown(action: ReaderAction, charged: boolean): Promise<void> {
    this.unresolved.delete(action.id);
    await this.settle(
      action,
      charged
        ? { kind: 'approved', card: null }
        : {
            kind: 'failed',
            code: 'reader_error',
            message: 'The cashier confirmed on the reader that the card was not charged.',
          },
    );
  }

  // -- the link loop ----------------------------------------------------------------------------

  private restartLoop(): void {
    this.dropSession();
    if (!this.stopped) this.start();
  }

  /** Drops the current session and leaves the reader idle until start() (no source of actions now). */
  idle(): void {
    this.dropSession();
  }

  private dropSession(): void {
    this.generation++;
    this.pollAbort?.abort();
    const channel = this.channel;
    this.channel = null;
    if (channel) {
      const closed = this.closeCollecting(channel);
      this.closing = Promise.all([this.closing, closed]).then(() => undefined);
      this.background(closed);
    }
    this.running = false;
  }

  private kick(): void {
    this.wake?.();
  }

  private async loop(generation: number): Promise<void> {
    let backoff = this.options.minBackoffMs ?? 1_000;
    let attempt = 0;
    while (generation === this.generation && !this.stopped) {
      if (!this.hasDevice) {
        if (this.status !== 'offline') this.setStatus('offline', 'Reader not connected.');
        // What the device said before it went away is posted now, not once it is back (it may never be).
        // A throttling or unavailable gateway's named wait is kept to here too.
        const hold = this.offlineHoldMs();
        const reported =
          hold > 0 ? !this.reportsWaiting() && this.unclosed.size === 0 : await this.reportWithoutDevice(generation);
        if (generation !== this.generation || this.stopped) return;
        // The device came back while the report was being made: its link opens now, not after the
        // minute's sleep (found by the soak: a restarted till's terminal stayed offline for that
        // minute, and the cashier's word on its last payment with it).
        if (this.hasDevice) continue;
        // An outcome journaled while that report was being made (its kick came with the loop awake).
        if (reported && this.reportsWaiting()) continue;
        // And the wait a close or report just failed with asked for (429, 503), not only the backoff.
        const asked = hold > 0 ? hold : this.offlineHoldMs();
        await this.sleep(reported ? 60_000 : Math.max(backoff, asked));
        if (!reported && asked <= 0) backoff = Math.min(backoff * 2, this.options.maxBackoffMs ?? 30_000);
        continue;
      }
      // A throttling gateway's wait is kept to, even when something wakes the loop early (a device):
      // the one it asked of the link, and the one another call of the till heard.
      // And an unavailable gateway's (503) named wait, the same way.
      const throttled = Math.max(this.throttledUntil, this.unavailableUntil) - this.options.clock.monotonic();
      if (throttled > 0) {
        await this.sleep(throttled);
        continue;
      }
      const held = this.heldForMs();
      if (held > 0) {
        this.setStatus(
          attempt === 0 ? 'connecting' : 'reconnecting',
          `The gateway is limiting this till's requests; connecting in ${Math.ceil(held / 1000)} s.`,
        );
        await this.sleep(held);
        continue;
      }
      this.setStatus(
        attempt === 0 ? 'connecting' : 'reconnecting',
        attempt === 0 ? 'Connecting to the gateway…' : this.statusDetail,
      );
      attempt++;
      let opened: ActionChannel | null = null;
      try {
        const source = this.options.source();
        this.sourceReaderId = await source.pair();
        const channel = await source.open(this.sourceReaderId);
        if (generation !== this.generation) {
          await this.closeCollecting(channel);
          return;
        }
        opened = channel;
        this.channel = channel;
        // The collecting channels left open before this one are superseded by it: nothing to close.
        this.unclosed.clear();
        backoff = this.options.minBackoffMs ?? 1_000;
        this.setStatus('online', null);
        this.options.log('link', `Link open for ${this.id}`);
        this.background(this.flushReports());
        let version: number | undefined;
        while (generation === this.generation && this.hasDevice) {
          // Polled through another call's throttle, each poll was throttled in turn (and logged).
          const hold = source.heldForMs?.() ?? 0;
          if (hold > 0) {
            await this.sleep(hold);
            continue;
          }
          this.pollAbort = new AbortController();
          const poll = await channel.poll(version, this.options.pollWaitMs ?? 25_000, this.pollAbort.signal);
          this.lastSeenAt = new Date(this.options.clock.now()).toISOString();
          const deferred = this.pollDeferred && !this.crediting && !this.current;
          if (poll.version !== version || deferred) {
            version = poll.version;
            this.pollDeferred = false;
            this.handlePoll(poll);
          }
        }
      } catch (error) {
        if (generation !== this.generation || this.stopped) return;
        this.channel = null;
        // Not ended by the source (it did not answer): the channel may still be open there.
        if (opened && !(error instanceof LinkEnded)) this.unclosed.add(opened);
        if (error instanceof LinkEnded && error.reason === 'superseded') {
          this.setStatus('superseded', 'Another computer took over this reader. Press Reconnect to take it back here.');
          this.running = false;
          return;
        }
        const sessionEnded = error instanceof LinkEnded;
        const message = errorText(error);
        // A throttling gateway (429) named its wait: nothing is asked sooner (before, the link polled
        // again after its own 1 s backoff, and was throttled again, for as long as it lasted).
        const { asked, unavailable } = this.keepAskedWait(error);
        const delay = sessionEnded ? 0 : Math.max(backoff, asked, unavailable);
        this.setStatus(
          'reconnecting',
          delay > 0
            ? `${message} Retrying in ${Math.ceil(delay / 1000)} s.`
            : 'Link closed by the gateway; reconnecting.',
        );
        this.options.log('link', `Link for ${this.id} lost`, message);
        if (error instanceof GatewayError && error.status !== 401) {
          // A refusal other than a spent session (e.g. the terminal was deleted): back off harder.
          backoff = Math.min(backoff * 4, this.options.maxBackoffMs ?? 30_000);
        } else if (!(error instanceof GatewayError) && !(error instanceof GatewayUnreachable) && !sessionEnded) {
          this.options.log(
            'error',
            `Reader ${this.id} controller error`,
            error instanceof Error ? (error.stack ?? error.message) : String(error),
          );
        }
        if (delay > 0) await this.sleep(delay);
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs ?? 30_000);
      }
    }
  }

  /**
   * Outcomes the device gave before it went away (a cable pulled just after the terminal approved),
   * or before a restart, still to be posted: a session is opened only to post them ('report': the
   * gateway keeps the reader offline meanwhile, so no till can push a payment to a reader without its
   * device), and closed. Without this an approval waited for the device to come back — the payment
   * meanwhile shown on the reader, and open to a cancel while the card was charged. Only the loop
   * opens sessions.
   * False when some are still waiting (the source did not take them): tried again after a backoff.
   */
  private async reportWithoutDevice(generation: number): Promise<boolean> {
    // A collecting channel left open would keep the reader online at the gateway beside the report
    // channel (which supersedes none): closed first, or nothing is posted yet.
    await this.closing;
    if (!(await this.closeLeftovers())) return false;
    if (generation !== this.generation || this.stopped) return true;
    if (!this.reportsWaiting()) return true;
    let channel: ActionChannel | null = null;
    try {
      const source = this.options.source();
      this.sourceReaderId = await source.pair();
      channel = await source.open(this.sourceReaderId, 'report');
      // Started over meanwhile (Reconnect, stop), or the device is back: that loop reports.
      if (generation !== this.generation || this.hasDevice) return true;
      this.channel = channel;
      this.options.log('link', `Reporting ${this.id}'s outcomes while its reader is away`);
      await this.flushReports();
      return !this.reportsWaiting();
    } catch (error) {
      if (generation !== this.generation || this.stopped) return true;
      this.options.log('link', `Could not report ${this.id}'s outcomes while its reader is away`, errorText(error));
      // A wait the gateway named (429, 503) is kept to before the next try, as the link's own.
      this.keepAskedWait(error);
      return false;
    } finally {
      if (channel && this.channel === channel) this.channel = null;
      if (channel) await channel.close().catch(() => undefined);
    }
  }

  /** Closes a collecting channel; kept to be closed again when the source may not have had it. */
  private async closeCollecting(channel: ActionChannel): Promise<void> {
    try {
      await channel.close();
    } catch (error) {
      if (!mayStillBeOpen(error)) return;
      // Closed again once the gateway answers: not before a wait it named (429, 503).
      this.keepAskedWait(error);
      this.unclosed.add(channel);
      this.options.log(
        'link',
        `Could not close ${this.id}'s link${channel.id ? ` ${channel.id}` : ''}; closing it once the gateway answers`,
        errorText(error),
      );
    }
  }

  /** Closes the channels left open (unclosed). False when one may still be open (the source did not answer). */
  private async closeLeftovers(): Promise<boolean> {
    for (const channel of [...this.unclosed]) {
      try {
        await channel.close();
        this.options.log('link', `Closed ${this.id}'s link${channel.id ? ` ${channel.id}` : ''} left open before`);
      } catch (error) {
        if (mayStillBeOpen(error)) {
          this.keepAskedWait(error);
          this.options.log('link', `Could not yet close ${this.id}'s link left open before`, errorText(error));
          return false;
        }
        // Refused: the source says it is over already (closed, superseded, gone stale).
      }
      this.unclosed.delete(channel);
    }
    return true;
  }

  /**
   * The wait a gateway named in refusing a call of this reader (a 429's Retry-After, a 503's), kept:
   * neither the link nor a close or report is asked sooner, whatever wakes the loop. Zeros when it
   * named none.
   */
  private keepAskedWait(error: unknown): { asked: number; unavailable: number } {
    const asked = error instanceof GatewayUnreachable ? (error.retryAfterMs ?? 0) : 0;
    if (asked > 0) this.throttledUntil = this.options.clock.monotonic() + asked;
    const unavailable = error instanceof GatewayUnreachable ? (error.unavailableForMs ?? 0) : 0;
    if (unavailable > 0) this.unavailableUntil = this.options.clock.monotonic() + unavailable;
    return { asked, unavailable };
  }

  private reportsWaiting(): boolean {
    try {
      return this.options.sink.reportsWaiting(this.id);
    } catch (error) {
      this.options.log('error', `Reader ${this.id}: could not read its waiting outcomes`, errorText(error));
      return false;
    }
  }

  /** How long the gateway asked this reader's calls, or another call of the till, to wait from now. */
  private offlineHoldMs(): number {
    return Math.max(
      Math.max(this.throttledUntil, this.unavailableUntil) - this.options.clock.monotonic(),
      this.heldForMs(),
    );
  }

  /** The source's hold (a throttle another call heard); 0 when there is none or no source yet. */
  private heldForMs(): number {
    try {
      return this.options.source().heldForMs?.() ?? 0;
    } catch {
      // No source now (no credentials yet): the connect attempt says why.
      return 0;
    }
  }

  private handlePoll(poll: LinkPoll): void {
    const action = poll.action;
    // The action left for other money is gone (canceled, another one): the reader stops saying so.
    if (this.misfitProblem !== null && !(action?.status === 'in_progress' && this.misfits.has(misfitKey(action)))) {
      if (this.journalProblem === this.misfitProblem) this.setJournalProblem(null);
      this.misfitProblem = null;
      this.misfits.clear();
    }
    if (!action) return;
    const current = this.current;
    if (action.status === 'in_progress') {
      if (current?.action.id === action.id) {
        const card = action.presentedCard;
        if (card && current.presentedCard !== card) {
          current.presentedCard = card;
          if (!this.device?.presentCard?.(card))
            this.options.log('reader', `A test card was presented to ${this.id}, which cannot take test cards`);
        }
        return;
      }
      if (this.options.sink.waiting(this.id, action.id)) return;
      if (this.unrecorded.has(action.id)) return;
      if (current) {
        // The slot moved on (the old action was canceled between two polls): stop the old collection.
        // The new action is taken at the next poll's answer, whatever its version: the version may not
        // change again, and the action would wait for ever.
        this.pollDeferred = true;
        this.background(this.device?.cancel());
        return;
      }
      if (this.unresolved.has(action.id)) return;
      if (this.misfits.has(misfitKey(action))) {
        // Left, not asked about again; the next poll is looked at all the same, whatever its
        // version: the same action for the payment's money is collected as any other.
        this.pollDeferred = true;
        return;
      }
      if (this.crediting) {
        this.pollDeferred = true;
        return;
      }
      const taken = this.options.sink.taken(action);
      // Its payment moved on here; the gateway hears of it from the outbox, and its next answer says so.
      if (taken === 'settled') return;
      if (taken) {
        // Asking the device to collect it again could charge the card twice: ask it what happened
        // instead, and leave the rest to the cashier (Needs attention).
        this.unresolved.set(action.id, action);
        if (taken === 'interrupted') this.safely(() => this.options.sink.unknown(action, INTERRUPTED, ADVICE_UNKNOWN));
        this.background(this.retryUnresolved());
        return;
      }
      this.background(this.collect(action));
      return;
    }
    if (current?.action.id === action.id && action.status === 'canceled') {
      current.action = action;
      this.background(this.device?.cancel());
    }
  }

  private async collect(action: ReaderAction): Promise<void> {
    const device = this.device;
    if (!device) return;
    const current: CurrentAction = { action, stage: 'sent', presentedCard: null };
    this.current = current;
    this.options.onChange();
    try {
      await this.options.sink.started(this.id, action);
    } catch (error) {
      if (error instanceof ActionMisfit) {
        // Other money than the payment's: never collected, and left (the payment went to Needs
        // attention). Asking again at every poll would only refuse it again.
        this.current = null;
        this.pollDeferred = true;
        this.misfits.add(misfitKey(action));
        // Refused before (the journal keeps it across a restart): the cashier was told then and may
        // have handled it; the reader still leaves it, and says so, without raising it again.
        this.misfitProblem = error.before
          ? `${errorText(error)}. The reader does not ask for the card: it refused this action before ` +
            "(the payment's timeline says when)."
          : `${errorText(error)}. The reader does not ask for the card; the payment is in Needs attention (F8): ` +
            'cancel it and charge the customer again.';
        this.setJournalProblem(this.misfitProblem);
        this.options.onChange();
        if (!error.before)
          this.options.log(
            'error',
            `Refused action ${action.id}: it asks for other money than its payment`,
            errorText(error),
          );
        return;
      }
      // No card is asked for while the journal cannot hold the payment: the device's answer could
      // then not be recorded, and the action — unmarked as taken — would be collected again on the
      // next poll or reconnect (a second charge). The next poll's answer tries again.
      this.current = null;
      this.pollDeferred = true;
      // Told even when the problem is said as before: the action shown on the reader has left it.
      this.options.onChange();
      // Not every refusal is the journal's: a payment pushed by the merchant's own server is read
      // from the gateway first, which may not answer. Said as a full disk, the cashier was sent to
      // free space on a disk that had plenty.
      const journal = journalWriteFailure(error) !== null;
      this.setJournalProblem(
        journal
          ? `The app cannot record this payment (${errorText(error)}), so the reader does not ask for the card yet. ` +
              'It asks once the journal can be written again; see the developer log.'
          : `The app could not take this payment on the reader (${errorText(error)}), so the reader does not ask for the card yet. ` +
              'It tries again by itself; see the developer log.',
      );
      this.options.log(
        'error',
        `Could not ${journal ? 'journal' : 'take'} action ${action.id}: the card was not asked for; trying again at the next poll`,
        errorText(error),
      );
      return;
    }
    this.setJournalProblem(null);
    const timeoutMs = this.options.collectTimeoutMs ?? 120_000;
    const outcome = await this.collectWithinBound(
      device,
      {
        amount: action.amount,
        currency: action.currency,
        reference: action.id,
        timeoutMs,
      },
      (stage: CollectStage) => {
        current.stage = stage;
        if (!this.noteStage(action, stage) && stage === 'waiting_for_card') {
          // The journal does not know the card is asked for: after a restart the action would be
          // collected again. No card has been read yet, so the reader stops asking.
          this.background(device.cancel());
          this.options.onChange();
          return;
        }
        this.options.onChange();
        if (stage === 'waiting_for_card' && action.presentedCard) {
          current.presentedCard = action.presentedCard;
          device.presentCard?.(action.presentedCard);
        }
      },
    );
    this.current = null;
    this.options.onChange();
    await this.settle(current.action, outcome);
  }

  /**
   * A device that stops answering (a hung terminal) must not hold the payment for ever: past its
   * own card wait plus a grace period, the app stops waiting and the outcome is unknown — the
   * card may have been taken — until the device or the cashier says more. The device is asked
   * to cancel, and its late answer, if any, is ignored. The bound counts from the moment the
   * device starts waiting for the card (its first `waiting_for_card`: for a Concert terminal, its
   * ACK of the request), as the device's own card wait does; until then, from the start.
   */
  private collectWithinBound(
    device: Reader,
    request: CollectRequest,
    onStage: (stage: CollectStage) => void,
    kind: 'collect' | 'refund' = 'collect',
  ): Promise<CardOutcome> {
    const boundMs = (request.timeoutMs ?? 120_000) + this.graceOver(device);
    return new Promise<CardOutcome>((resolve) => {
      let settled = false;
      let cardWaitStarted = false;
      const giveUp = () => {
        if (settled) return;
        settled = true;
        this.options.log('reader', `${device.info.label} did not answer within ${Math.round(boundMs / 1000)} s`);
        this.background(device.cancel());
        resolve({
          kind: 'unknown',
          code: 'reader_error',
          message: `The reader did not answer within ${Math.round(boundMs / 1000)} s, so the app cannot tell whether the card was charged.`,
        });
      };
      let timer = this.options.clock.setTimeout(giveUp, boundMs);
      const stage = (value: CollectStage) => {
        if (value === 'waiting_for_card' && !cardWaitStarted && !settled) {
          cardWaitStarted = true;
          this.options.clock.clearTimeout(timer);
          timer = this.options.clock.setTimeout(giveUp, boundMs);
        }
        onStage(value);
      };
      (kind === 'refund' && device.refund ? device.refund(request, stage) : device.collect(request, stage)).then(
        (outcome) => {
          if (settled) return;
          settled = true;
          this.options.clock.clearTimeout(timer);
          resolve(outcome);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          this.options.clock.clearTimeout(timer);
          resolve({
            kind: 'failed',
            code: 'reader_error',
            message: errorText(error),
          });
        },
      );
    });
  }

  /**
   * The grace over a device's card wait: the controller's own, or what the device's protocol may still
   * take (a Concert terminal answering in its last session after its last NAK) and a moment for its
   * outcome to arrive, whichever is longer — never cutting off an exchange the device would complete.
   */
  private graceOver(device: Reader): number {
    const own = this.options.answerGraceMs ?? 15_000;
    const protocol = device.longestBeyondCardWaitMs;
    return protocol === undefined ? own : Math.max(own, protocol + OUTCOME_MARGIN_MS);
  }

  /** Journals and reports a device outcome; an unknown one waits for the device to say more. */
  private async settle(action: ReaderAction, outcome: CardOutcome): Promise<void> {
    // The device's technical cause (a port's error) is for support: the log, and the payment's
    // timeline for an unknown outcome; the cashier reads the message.
    if ((outcome.kind === 'failed' || outcome.kind === 'unknown') && outcome.detail)
      this.options.log('reader', `${this.id}, action ${action.id}: ${outcome.message}`, outcome.detail);
    if (outcome.kind === 'unknown') {
      this.unresolved.set(action.id, action);
      this.safely(() => this.options.sink.unknown(action, outcome.message, ADVICE_UNKNOWN, outcome.detail));
      await this.retryUnresolved();
      return;
    }
    const result = toDeviceResult(outcome);
    // Held before the journal is asked: the action must never be collected again, whatever happens.
    this.unrecorded.set(action.id, { action, result });
    this.journalHeldOutcomes();
    await this.flushReports();
  }

  /**
   * Journals the device outcomes the journal refused before (a full disk): each is reported only
   * once it is on disk. True when none is left waiting.
   */
  private journalHeldOutcomes(): boolean {
    for (const [actionId, { action, result }] of [...this.unrecorded]) {
      try {
        this.options.sink.record(this.id, action, result);
      } catch (error) {
        const what = result.outcome === 'approved' ? 'approved the card' : `ended the payment (${result.outcome})`;
        this.setJournalProblem(
          `The reader ${what}, but the app cannot record it (${errorText(error)}). ` +
            'Free space on the disk holding the data directory (or check it): the app records and reports it then, by itself. ' +
            'Do not charge the customer again, and do not close the app meanwhile.',
        );
        this.options.log(
          'error',
          `Could not journal the outcome of ${actionId} (${result.outcome}); holding it`,
          errorText(error),
        );
        return false;
      }
      this.unrecorded.delete(actionId);
      this.options.log('reader', `The outcome of ${actionId} is journaled now`);
    }
    this.setJournalProblem(null);
    return true;
  }

  private setJournalProblem(problem: string | null): void {
    if (this.journalProblem === problem) return;
    this.journalProblem = problem;
    this.options.onChange();
  }

  /** Asks a device that came back what happened to the collections that ended unknown. */
  private async retryUnresolved(): Promise<void> {
    const device = this.device;
    if (!device?.recoverOutcome || device.state === 'disconnected') return;
    for (const [actionId, action] of [...this.unresolved]) {
      const recovered = await device.recoverOutcome(actionId).catch(() => null);
      if (!recovered || recovered.kind === 'unknown') continue;
      this.unresolved.delete(actionId);
      this.options.log('reader', `Recovered the outcome of ${actionId} from the reader: ${recovered.kind}`);
      await this.settle(action, recovered);
    }
  }

  /**
   * Posts every journaled outcome for this reader, in order, over the current session. Calls queue
   * behind each other, so two flushes never post the same report concurrently.
   */
  private flushReports(): Promise<void> {
    // A failed run must not poison the queue for the next one.
    this.reporting = this.reporting.catch(() => undefined).then(() => this.postPendingReports());
    return this.reporting;
  }

  private async postPendingReports(): Promise<void> {
    const journaled = this.unrecorded.size === 0 || this.journalHeldOutcomes();
    const channel = this.channel;
    if (!channel) {
      if (!journaled) this.retryReportsLater();
      // The device went away with this outcome: the loop opens a session to post it.
      else if (!this.hasDevice) this.kick();
      return;
    }
    const delivered = await this.options.sink.deliver(this.id, (actionId, result) => channel.post(actionId, result));
    if (delivered === 'retry' || !journaled) this.retryReportsLater();
    else this.reportRetryMs = 0;
  }

  /** The gateway is reachable again: post waiting outcomes now instead of at the next backoff. */
  retryReportsNow(): void {
    if (this.stopped) return;
    this.options.clock.clearTimeout(this.reportRetryTimer);
    this.reportRetryTimer = undefined;
    this.reportRetryMs = 0;
    this.background(this.flushReports());
  }

  private retryReportsLater(): void {
    if (this.stopped || this.reportRetryTimer !== undefined) return;
    const min = this.options.minBackoffMs ?? 1_000;
    this.reportRetryMs = Math.min(Math.max(min, this.reportRetryMs * 2), this.options.maxBackoffMs ?? 30_000);
    this.reportRetryTimer = this.options.clock.setTimeout(() => {
      this.reportRetryTimer = undefined;
      this.background(this.flushReports());
    }, this.reportRetryMs);
  }

  private setStatus(status: ReaderStatus, detail: string | null): void {
    if (this.status === status && this.statusDetail === detail) return;
    this.status = status;
    this.statusDetail = detail;
    this.options.onChange();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      // Loops of two generations can overlap (an unplug during a reconnect backoff): each sleep
      // owns its timer, and an older sleep ending must not cancel the newer one kick() wakes.
      let timer: TimerHandle | undefined = undefined;
      const done = () => {
        this.options.clock.clearTimeout(timer);
        if (this.wake === done) this.wake = null;
        resolve();
      };
      this.wake = done;
      timer = this.options.clock.setTimeout(done, ms);
    });
  }

  private background(work: Promise<unknown> | undefined): void {
    inBackground(work, (error) =>
      this.options.log('error', `Reader ${this.id}: background work failed`, errorText(error)),
    );
  }

  /**
   * Journals a stage of the collection; false (said to the cashier) when the journal refused it.
   * Only 'waiting_for_card' is then stopped (no card read yet). At 'processing' the card is being
   * authorised: too late to stop, and the reader does not, so the cashier is not told it stops
   * asking (they would take another means of payment while the card is charged) but to wait for
   * the reader and keep the app open, which holds the outcome until the journal takes it.
   */
  private noteStage(action: ReaderAction, stage: CollectStage): boolean {
    try {
      this.options.sink.stage(action, stage);
      return true;
    } catch (error) {
      this.setJournalProblem(
        stage === 'processing'
          ? `The reader is authorising the card, but the app cannot record it (${errorText(error)}). ` +
              'Wait for the reader’s answer; do not charge the customer again and do not close the app: ' +
              'it records the outcome once the journal can be written; see the developer log.'
          : `The app cannot record that the reader asks for the card (${errorText(error)}), so the reader stopped asking: ` +
              'no card was read. Free space on the disk holding the data directory, then send the payment to the reader again; see the developer log.',
      );
      this.options.log('error', `Could not journal ${stage} of action ${action.id}`, errorText(error));
      return false;
    }
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.options.log('error', `Reader ${this.id}: a handler failed`, errorText(error));
    }
  }
}

function toDeviceResult(outcome: Exclude<CardOutcome, { kind: 'unknown' }>): DeviceResult {
  switch (outcome.kind) {
    case 'approved':
      return {
        outcome: 'approved',
        card: outcome.card,
        ...(outcome.authCode ? { authCode: outcome.authCode } : {}),
        ...(outcome.entryMode ? { entryMode: outcome.entryMode } : {}),
        ...(outcome.terminalLines?.length ? { terminalLines: [...outcome.terminalLines] } : {}),
      };
    case 'declined':
      return {
        outcome: 'declined',
        failureCode: outcome.code,
        failureMessage: outcome.message,
        ...(outcome.terminalLines?.length ? { terminalLines: [...outcome.terminalLines] } : {}),
      };
    case 'canceled':
      return {
        outcome: 'failed',
        failureCode: 'reader_canceled',
        failureMessage: 'Canceled on the reader before a card was authorised.',
      };
    case 'failed':
      return {
        outcome: 'failed',
        failureCode: outcome.code === 'protocol_error' ? 'reader_error' : outcome.code,
        failureMessage: outcome.message,
      };
  }
}

/** A reader action as the money it asks for: the same action for other money is another. */
function misfitKey(action: ReaderAction): string {
  return `${action.id}|${action.amount}|${action.currency.toUpperCase()}`;
}

/** A close that failed this way may not have reached the source: the channel may still be open there. */
function mayStillBeOpen(error: unknown): boolean {
  return !(error instanceof GatewayError) && !(error instanceof LinkEnded);
}
