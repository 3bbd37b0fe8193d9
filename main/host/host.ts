/**
 * The host: composes the journal, settings, the gateway client, the reader manager and the payment
 * service, and exposes exactly the contract — dispatch(command, input) and a stream of events with
 * sequence numbers. Electron's IPC and web mode's WebSocket are both thin wrappers around this.
 */
import { join } from 'node:path';
import { systemClock, type Clock, type TimerHandle } from '../../common/clock';
import type { ReaderRegistry } from '../../drivers/types';
import {
  isCommandName,
  parseCommandInput,
  type CommandName,
  type CommandResult,
  type ConnectivityView,
  type GatewayName,
  type HostEvent,
  type ParsedCommandInput,
  type PaymentView,
  type Result,
  type Snapshot,
} from '../../common/contract';
import { FileSecretStore, MemorySecretStore, type SecretStore } from '../config/secrets';
import { SettingsStore, type Settings, type SettingsUpdate } from '../config/settings';
import { inBackground } from '../core/background';
import { logBudget } from '../core/log-budget';
import { accountWithoutCredentials } from '../gateway/accounts';
import { Connectivity } from '../gateway/connectivity';
import { gatewayView } from '../gateway/registry';
import type { PaymentGateway } from '../gateway/port';
import { QUEUEABLE_KINDS, type PaymentsTuning } from '../payments/engine';
import { PaymentService } from '../payments/service';
import { listTransactions } from '../payments/transactions';
import { ReaderManager, type ReaderTuning } from '../readers/manager';
import { Journal, type PaymentRecord } from '../store/journal';
import {
  lockDataDir,
  prepareDataDir,
  untrustedDataDir,
  untrustedDataDirMessage,
  type DataDirLock,
} from '../store/data-dir-lock';
import { openDatabase, type SqlDatabase } from '../store/sqlite';
import { DisputeWatch } from '../payments/disputes';
import {
  loopbackPortFree,
  returnPath,
  startWebhookReceiver,
  type RunningWebhookReceiver,
  type SettledReturn,
} from '../webhooks/receiver';
import { CounterReceipts } from '../counter/receipts';
import { CounterReports } from '../counter/reports';
import { CustomerDisplay } from '../counter/display';
import type { ReceiptPrinter } from '../../drivers/printers/printer';
import { ActiveGateway, type EmbeddedSandbox, type KnownAccountName } from './active-gateway';
import { DevLog } from './devlog';
import { errorText, HostError, journalWriteFailure, toCommandError } from '../core/errors';

export type { EmbeddedSandbox } from './active-gateway';

/** A gateway to use for this launch instead of the embedded sandbox (test mode, e.g. a standalone sandbox). */
export type LaunchGateway =
  | { name?: 'plutopay'; url: string; secretKey: string }
  | { name: 'payplug'; url: string; secretKey: string }
  | { name: 'plural'; url: string; clientId: string; clientSecret: string; signatureKey: string };

export interface HostOptions {
  /** Where the journal, secrets and embedded sandbox database live; null keeps everything in memory. */
  dataDir: string | null;
  /** This user's id, against which the data directory's owner is checked (tests; default the process's). */
  uid?: number;
  clock?: Clock;
  secrets?: SecretStore;
  /** Starts the embedded sandbox when settings ask for it. */
  startSandbox?: (options: { db: string }) => Promise<EmbeddedSandbox>;
  registry?: ReaderRegistry;
  /** Settings for a fresh data directory (tests, CLI flags). */
  initialSettings?: Partial<Settings>;
  /** Point this launch at a given gateway; its credentials are stored like ones typed in Settings. */
  gateway?: LaunchGateway;
  /**
   * Take payments with this gateway from this launch on, with the credentials the till has for it:
   * the embedded sandbox's emulator of it in test mode, else the account stored in Settings.
   */
  useGateway?: GatewayName;
  /** Create one simulated reader on first start in test mode (the out-of-the-box experience). */
  defaultSimulatedReader?: boolean;
  /** Opens the receipt printer (tests: an in-memory one); default the serial port of Settings. */
  openPrinter?: (port: string) => Promise<ReceiptPrinter>;
  tuning?: HostTuning;
}

/** Timings for tests and benchmarks; each has a default fit for a real counter. */
export interface HostTuning extends ReaderTuning, PaymentsTuning {
  requestTimeoutMs?: number;
  /** Overrides the settle window of a gateway that has one (PayPlug's 2 minutes): tests shorten it. */
  settleWindowMs?: number;
  /**
   * How long a previous gateway's customer returns and notifications are still answered after its
   * last followed link settled (RETURN_GRACE_MS unless given).
   */
  returnGraceMs?: number;
  durability?: 'full' | 'normal';
}

export interface Host {
  dispatch(name: string, input: unknown): Promise<Result<unknown>>;
  /** Typed convenience for tests and the Electron/web glue. */
  invoke<N extends CommandName>(name: N, input: unknown): Promise<Result<CommandResult<N>>>;
  subscribe(listener: (event: HostEvent) => void): () => void;
  snapshot(): Snapshot;
  /** URL of the embedded sandbox, when one runs. */
  readonly sandboxUrl: string | null;
  /** Where the customer display is (web mode's URL with its own token) and how many are connected. */
  customerDisplay(patch: { url?: string | null; connected?: number }): void;
  /**
   * Web mode: the key in the customer display's address, kept across restarts with the other
   * secrets (made on first need). `notKept`: why it will not outlive this launch, or null.
   */
  customerDisplayToken(): { token: string; notKept: string | null };
  /**
   * Web mode: hears the new key when the shop gives the customer display a new address (Settings);
   * without a listener (the desktop app's window has no address) that command is refused.
   */
  onCustomerDisplayToken(listener: (token: string) => void): () => void;
  /** Web mode: the port of the last start on this data directory (its printed addresses carry it), or null. */
  keptWebPort(): number | null;
  keepWebPort(port: number): void;
  readonly devlog: DevLog;
  /** The journal's commits so far and how many were fsynced (the bench's durability figure). */
  commitStats(): { commits: number; syncedCommits: number };
  close(): Promise<void>;
}

type Handlers = { [N in CommandName]: (input: ParsedCommandInput<N>) => Promise<CommandResult<N>> | CommandResult<N> };

/** Open payments the start-up snapshot carries (the newest); the Process screen pages the rest. */
export const SNAPSHOT_OPEN = 500;

/**
 * After a switch of gateway, the previous gateway's customers still come back to the till's return
 * page once its last followed link is settled: the till may have seen it paid by polling before the
 * customer's browser came back (a slow 3-D Secure page, a reload, a phone woken up later). Their
 * returns (and that gateway's notifications) are answered for this long after, then the receiver
 * closes (see docs/reliability.md).
 */
export const RETURN_GRACE_MS = 15 * 60_000;

/** A link's outcome as its customer's return page says it, from the journal; null: not settled. */
function settledReturn(record: PaymentRecord): SettledReturn | null {
  switch (record.status) {
    case 'succeeded':
    case 'requires_capture':
    case 'refunded':
    case 'partially_refunded':
      return 'paid';
    case 'canceled':
      return 'canceled';
    case 'failed':
      // A link failed for good (Plural: no attempt left); one the customer may pay again stays pending.
      return record.declineCode === 'link_expired' ? 'expired' : 'failed';
    default:
      return null;
  }
}

/** The journal setting holding web mode's port, asked for again at the next start. */
const WEB_PORT = 'web.port';
/** The journal setting holding the gateway account's name as last read (see ActiveGateway.businessName). */
const KNOWN_ACCOUNT_NAME = 'gateway.accountName';

const TEST_MODE_ONLY: ReadonlySet<CommandName> = new Set([
  'simulate.presentCard',
  'simulate.payLink',
  'simulate.setFault',
  'readers.addSimulated',
]);

export async function createHost(options: HostOptions): Promise<Host> {
  // Before anything reads the journal: a second app on the same directory stops here.
  if (options.dataDir) prepareDataDir(options.dataDir);
  const lock = options.dataDir ? lockDataDir(options.dataDir) : null;
  try {
    return await assembleHost(options, lock);
  } catch (error) {
    lock?.release();
    throw error;
  }
}

async function assembleHost(options: HostOptions, lock: DataDirLock | null): Promise<Host> {
  const clock = options.clock ?? systemClock;
  const tuning = options.tuning ?? {};
  const db: SqlDatabase = openDatabase(options.dataDir ? join(options.dataDir, 'journal.db') : ':memory:', {
    durability: tuning.durability ?? 'full',
  });
  const journal = new Journal(db, clock);
  // A capture, cancel or refund the last launch was sending when it stopped is queued now: shown
  // (so nobody asks for it again) until recovery has confirmed or sent it, with its key.
  journal.markInterrupted(QUEUEABLE_KINDS, 'The app stopped before the gateway answered; it is sent again.');
  // A data directory others own or may write to: no key is stored or read there (web mode's file).
  const untrusted = options.dataDir && !options.secrets ? untrustedDataDir(options.dataDir, options.uid) : null;
  const refusal = untrusted && options.dataDir ? untrustedDataDirMessage(options.dataDir, untrusted) : null;
  const secrets =
    options.secrets ??
    (options.dataDir ? new FileSecretStore(join(options.dataDir, 'secrets.json'), refusal) : new MemorySecretStore());
  const settings = new SettingsStore(journal, secrets, options.initialSettings);
  if (options.gateway) settings.update(launchUpdate(options.gateway));
  else if (options.useGateway && settings.get().gateway !== options.useGateway)
    settings.update({ gateway: options.useGateway });
  const devlog = new DevLog(clock, 1_000, () => settings.heldSecrets());
  if (refusal) devlog.add('error', refusal);
  for (const notice of settings.notices()) devlog.add('error', notice);
  // The records made while such an address was kept are its account's, named without them now.
  journal.renameAccounts(accountWithoutCredentials);
  if (settings.droppedAtStart.length > 0)
    devlog.add(
      'error',
      `Dropped ${settings.droppedAtStart.join(', ')}: a key of the other mode (a save was interrupted). Enter it again in Settings.`,
    );

  let seq = 0;
  const listeners = new Set<(event: HostEvent) => void>();
  const emit = (event: DistributiveOmit<HostEvent, 'seq'>) => {
    const full = { ...event, seq: ++seq } as HostEvent;
    for (const listener of [...listeners]) {
      try {
        listener(full);
      } catch (error) {
        devlog.add('error', 'An event listener failed', String(error));
      }
    }
  };
  devlog.onEntry((entry) => emit({ type: 'log', entry }));

  // -- the gateway (rebuilt when the gateway, the account or the mode changes) -------------------
  const active = new ActiveGateway({
    settings,
    dataDir: options.dataDir,
    startSandbox: options.startSandbox,
    devlog,
    clock,
    // The account's name as last read: progress, not money (no fsync of its own).
    names: {
      get: () => journal.getSetting<KnownAccountName>(KNOWN_ACCOUNT_NAME),
      set: (known) => journal.progress(() => journal.setSetting(KNOWN_ACCOUNT_NAME, known)),
    },
    ...(tuning.settleWindowMs !== undefined ? { settleWindowMs: tuning.settleWindowMs } : {}),
    // The customer's browser comes back to the till's own loopback return route. Only in test mode:
    // a customer's phone cannot reach this computer, so live orders carry no return address.
    returnUrl: (name) =>
      settings.get().mode === 'test' && webhookReceiver ? `${webhookReceiver.origin}${returnPath(name)}` : null,
    http: {
      timeoutMs: tuning.requestTimeoutMs,
      onRequest: (entry) =>
        // The link's long polls are heartbeats, not news: only their failures are logged.
        entry.path.endsWith('/link/poll') && !entry.error
          ? undefined
          : devlog.add(
              'request',
              `${entry.method} ${entry.path} → ${entry.status ?? 'no answer'} (${entry.ms} ms)`,
              entry.error,
            ),
    },
  });
  const gateway = () => active.get();

  const connectivity = new Connectivity(clock, () => gateway().health());
  const connectivityView = (): ConnectivityView => ({
    gateway: connectivity.state,
    throttled: connectivity.throttledForMs() !== null,
    lastError: connectivity.lastError,
    queued: service.queueSummary(),
    recovering: service.recovery.recovery(),
  });

  let readers: ReaderManager;
  // Created once the payments exist; payment changes refresh it.
  const displayRef: { current: CustomerDisplay | null } = { current: null };
  // The receiver's opening and closing, one at a time (applyWebhookReceiver); declared before the
  // payments, whose changes may ask for it.
  let receiverApplied: Promise<void> | null = null;
  const service = new PaymentService({
    journal,
    clock,
    gateway,
    // A plan made before a switch is followed with the gateway that made it, on its own keys.
    gatewayNamed: (name) => active.forName(name),
    mode: () => settings.get().mode,
    embeddedSandbox: () => settings.get().embeddedSandbox,
    gatewayAccount: () => active.account(),
    gatewayAccountOf: (name) => active.accountFor(name),
    connectivity,
    counter: { tipping: () => settings.get().tipping },
    readers: {
      resolve: (id) => readers.resolve(id),
      cancelCollection: (id) => readers.cancelCollection(id),
      settleUnknown: (id, action, charged) => readers.settleUnknown(id, action, charged),
      refundOnTerminal: (id, request) => readers.refundOnTerminal(id, request),
    },
    onPaymentChanged: (payment) => {
      emit({ type: 'payment', payment });
      displayRef.current?.refresh(payment.id);
      // A reader shows a payment whose outcome is unknown as held (read from the journal): settled by
      // the cashier or the gateway, the reader is free, and the Readers screen must hear it now (found
      // in Chromium: "outcome not known … do not charge again" stayed until the reader's next change).
      if (payment.readerId && payment.status !== 'in_progress' && readers)
        emit({ type: 'readers', readers: readers.views() });
      // A plan's view says which installments are paid: it changes with their payments.
      if (payment.installmentPlanId) emitPlan(payment.installmentPlanId);
      // A previous gateway's link settled (paid, expired): the receiver kept open for its customers'
      // returns closes once no followed link needs it (it stayed open for the rest of the session).
      if (receiverApplied && payment.gateway !== active.peek()?.name)
        inBackground(applyWebhookReceiver(), (error) =>
          devlog.add('error', 'The notification receiver could not be closed', String(error)),
        );
    },
    onPlanChanged: (planId) => emitPlan(planId),
    onAttentionChanged: (change) => emit({ type: 'attention', ...change }),
    onQueueChanged: () => emit({ type: 'connectivity', connectivity: connectivityView() }),
    log: (summary, detail) => devlog.add('event', summary, detail),
    timeZone: () => settings.get().timeZone,
    tuning,
  });
  const { commands } = service;
  // Chargebacks on the active gateway's payments (those that list them): read, journaled, shown.
  const disputes = new DisputeWatch(service.engine, {
    logError: (summary, detail) => devlog.add('error', summary, detail),
  });
  function emitPlan(planId: string): void {
    const plan = service.installments.viewOf(planId);
    if (plan) emit({ type: 'plan', plan });
  }

  // -- receipts: built from the journal, printed after the approval is on disk ------------------
  const emitPayment = (paymentId: string) => {
    const record = journal.getPayment(paymentId);
    if (record) emit({ type: 'payment', payment: service.view(record) });
  };
  const receipts = new CounterReceipts({
    journal,
    settings: () => settings.get(),
    accountName: () => active.businessName(),
    readerLabel: (id) => journal.getReader(id)?.label ?? readers?.resolve(id)?.label ?? null,
    capabilities: () => {
      const current = active.peek();
      return current ? { name: current.name, capabilities: current.capabilities } : null;
    },
    transactionHere: (transactionId) => service.engine.findHere(transactionId),
    gatewayRefunds: async (record) => {
      if (!record.transactionId) return null;
      try {
        const gateway = service.engine.gatewayFor(record);
        return await service.engine.call((g) => g.refunds(record.transactionId!), gateway);
      } catch {
        return null;
      }
    },
    ...(options.openPrinter ? { openPrinter: options.openPrinter } : {}),
    onChanged: emitPayment,
    now: () => clock.now(),
    log: (summary, detail) => devlog.add('event', summary, detail),
  });
  receipts.recoverAtStart();
  const display = new CustomerDisplay({
    journal,
    settings: () => settings.get(),
    accountName: () => active.businessName(),
    onChange: (view) => emit({ type: 'display', display: view }),
  });
  displayRef.current = display;
  // A payment the merchant's own server pushed to one of the till's readers: the customer sees it too.
  service.readerEvents.onPushed((record) => display.offer(record.id));
  const customerDisplay = { url: null as string | null, connected: 0 };
  const displayTokenListeners = new Set<(token: string) => void>();
  const reports = new CounterReports({
    journal,
    clock,
    settings: () => settings.get(),
    gateway: () => active.peek(),
    gatewayFor: (name) => active.forName(name),
    gatewayAccountOf: (name) => active.accountFor(name),
    notFollowed: (record) => service.engine.notFollowedNote(record),
    readerLabel: (id) => journal.getReader(id)?.label ?? readers?.resolve(id)?.label ?? null,
    accountName: () => active.businessName(),
    print: (parts) => receipts.printParts(parts),
    readPlans: async () => {
      // A plan not read (its gateway unreachable, its keys gone): a part it charged in the day is
      // not in this Z, which names the plan, as the log does.
      const notRead = await service.installments.readBeforeClose();
      if (notRead.length > 0)
        devlog.add(
          'event',
          `Before the Z: ${notRead.length === 1 ? '1 running installment plan' : `${notRead.length} running installment plans`} not read`,
          `${notRead.map(({ plan, reason }) => `${plan.id} (${plan.orderReference}): ${reason}`).join('; ')}. ` +
            'A part charged in the day and not read yet counts in the open day once read; the Z names them.',
        );
      return notRead;
    },
    plansNotRead: () => service.installments.notReadLast(),
    takeInPlanParts: (gateway, payments) => service.installments.takeInListed(gateway, payments),
    takeInNotMade: (gateway, payments) => service.recovery.takeInListedNotMade(gateway.name, payments),
  });
  service.sync.onClosed((record) => {
    if (record.status === 'succeeded' || record.status === 'requires_capture') receipts.autoPrint(record);
  });

  async function startReaders(): Promise<void> {
    readers = new ReaderManager({
      journal,
      clock,
      gateway,
      paymentOfTransaction: (transactionId) => service.engine.findHere(transactionId),
      sink: service.readerEvents,
      registry: options.registry,
      testMode: () => settings.get().mode === 'test',
      autoPresentDelayMs: () => settings.get().autoPresentDelayMs,
      onChange: () => emit({ type: 'readers', readers: readers.views() }),
      log: (kind, summary, detail) => devlog.add(kind, summary, detail),
      standaloneSource: (readerId) => service.standalone.source(readerId),
      gatewayThrottledForMs: () => connectivity.throttledForMs(),
      tuning,
    });
    await readers.start();
    const current = settings.get();
    if (
      options.defaultSimulatedReader !== false &&
      current.mode === 'test' &&
      readers.hostedCount() === 0 &&
      !journal.getSetting('defaultReaderCreated')
    ) {
      await readers.addSimulated('Simulated reader 1');
      journal.setSetting('defaultReaderCreated', true);
    }
  }

  // Also without credentials yet: the screens still need what the chosen gateway can do.
  const gatewayInfo = () => gatewayView(settings.get().gateway, active.peek());
  const settingsEvent = () =>
    emit({
      type: 'settings',
      settings: settingsView(),
      mode: settings.get().mode,
      merchant: active.merchant,
      gateway: gatewayInfo(),
    });

  // Nothing that waits for the gateway stands between the cashier and the window: the host serves
  // at once, and the gateway's state, the merchant and recovery of unfinished work follow in the
  // background (shown as the offline banner and the recovery progress).
  await active.configure();
  // Payments made before the till kept their account are this one's (migration 027), before any read.
  service.engine.claimAccount();
  // A refund a terminal was making when the app stopped: only its ticket can say (Needs attention).
  service.standalone.recoverInterruptedRefunds();
  // A payment a reader was collecting when the app stopped: unknown (Needs attention) at once.
  service.readerEvents.recoverInterruptedCollections();
  await startReaders();
  // What the banner shows, whenever it changes (a throttle or a new reason while offline included).
  connectivity.onShownChange(() => emit({ type: 'connectivity', connectivity: connectivityView() }));
  connectivity.onChange((state) => {
    if (state !== 'online') return;
    readers.retryReportsNow();
    disputes.follow();
    inBackground(service.recovery.recover(), (error) =>
      devlog.add('error', 'Recovery after reconnect failed', String(error)),
    );
  });
  async function meetGateway(): Promise<void> {
    if (active.peek()) await connectivity.check();
    await active.loadAccount(settings.get().mode);
    if (active.merchant) settingsEvent();
    // Unfinished payments are reconciled before anything else is sent; it stops early while offline.
    await service.recovery.recover();
    // The disputes opened while the till was off, then every DISPUTE_POLL_MS.
    disputes.follow();
  }

  /**
   * Another gateway, account or mode restarts every reader: a card being read or authorised would be
   * cut off (found by a tester: an approved card came back as "try another card"). Refused until
   * the payment on the reader is finished or canceled.
   */
  function refuseWhileCollecting(): void {
    const busy = readers.views().find((view) => view.hosted && view.action && view.action.status !== 'unknown');
    if (busy)
      throw new HostError(
        'conflict',
        `A payment is on ${busy.label}. Finish or cancel it before changing the gateway, the mode or the keys: the readers restart.`,
      );
    // Nor while one of the gateway's own readers holds the card: once switched, nothing would follow
    // that payment (it is no link) until the till switched back, and its approval would go unseen.
    const { gateway: current, mode } = settings.get();
    const onGatewayReader = service
      .inFlight()
      .find(
        (p) =>
          p.status === 'in_progress' &&
          p.readerId !== null &&
          p.gateway === current &&
          p.testMode === (mode === 'test') &&
          readers.resolve(p.readerId)?.hosted !== true,
      );
    if (onGatewayReader)
      throw new HostError(
        'conflict',
        `A payment is on ${readers.resolve(onGatewayReader.readerId!)?.label ?? "the gateway's reader"}. Finish or cancel it before changing the gateway, the mode or the keys: the till follows it only with them.`,
      );
    // Restarting the readers closes the terminals: a refund being made on one would be cut off.
    const crediting = readers.creditingLabel();
    if (crediting)
      throw new HostError(
        'conflict',
        `${crediting} is making a refund. Let it finish before changing the gateway, the mode or the keys: the readers restart.`,
      );
  }

  async function reconfigure(): Promise<void> {
    // Another gateway, account or mode: drop links and cached gateway state before anything else runs.
    await readers.stop();
    service.watcher.close();
    await active.configure();
    // Payments made before the till kept their account are claimed by this one, before any read.
    service.engine.claimAccount();
    await applyWebhookReceiver();
    if (active.peek()) await connectivity.check();
    await active.loadAccount(settings.get().mode);
    await readers.resetPairings().catch(() => undefined);
    await startReaders();
    settingsEvent();
    emit({ type: 'readers', readers: readers.views() });
    // Payments of another account than this one are not read: Needs attention says so (or no longer).
    service.engine.accountSwitched();
    inBackground(service.recovery.recover(), (error) =>
      devlog.add('error', 'Recovery after a switch failed', String(error)),
    );
    // Another gateway or mode: its own disputes (none read on one that does not list them).
    disputes.follow();
  }

  // -- forwarded notifications and returning customers: verified by the gateway's own rule, then
  // -- only a hint to re-read. The receiver runs when webhooks are forwarded here, and in test mode
  // -- whenever the gateway sends its customers back with signed fields (Plural's return URL).
  let webhookReceiver: RunningWebhookReceiver | null = null;
  let webhookPort: number | null = null;
  let webhookFailure: string | null = null;
  /** What the receipt printer's port said when it was saved (see CounterSettingsView). */
  let printerProblem: string | null = null;
  let printerChecks = 0;
  /**
   * The port is saved whatever it is (a printer may be switched on later), but Settings says soon
   * after when nothing answers there, not the first receipt. In the background: the check waits its
   * turn behind a receipt being printed, and the save does not wait for it.
   */
  function checkPrinterPort(): void {
    const port = settings.get().receiptPrinterPort;
    const check = ++printerChecks;
    printerProblem = null;
    if (!port) return;
    inBackground(
      receipts.checkPrinter(port).then((problem) => {
        if (check !== printerChecks) return; // saved again meanwhile: that check says
        printerProblem = problem;
        settingsEvent();
      }),
      (error) => devlog.add('error', 'Receipt printer check failed', String(error)),
    );
  }
  const settingsView = () =>
    settings.view(
      active.urls(),
      settings.get().webhookPort !== null ? (webhookReceiver?.url() ?? null) : null,
      { ...customerDisplay },
      webhookFailure,
      printerProblem,
    );
  /**
   * The gateways whose customers' browsers come back to the receiver with signed fields: the active
   * one, and another whose open links the till still follows after a switch (a Plural link paid while
   * the till uses PayPlug), each return checked by its own gateway's rule. Only in test mode (see
   * returnUrl).
   */
  const returning = (): PaymentGateway[] => {
    const elsewhere = answeredElsewhere();
    if (settings.get().mode !== 'test') return [];
    const current = active.peek();
    return [...(current ? [current] : []), ...elsewhere].filter((g) => g.verifyReturn !== undefined);
  };
  // A previous gateway no longer followed (its last link settled) is still answered until its grace
  // ends (RETURN_GRACE_MS): its name and when, on the monotonic clock.
  const returnGraceMs = tuning.returnGraceMs ?? RETURN_GRACE_MS;
  const lingering = new Map<GatewayName, number>();
  let followedBefore = new Set<GatewayName>();
  let lingerTimer: TimerHandle | undefined;
  /**
   * The gateways other than the active one whose notifications and customer returns are answered:
   * those the till follows (service.followedElsewhere), and one whose last followed link settled less
   * than returnGraceMs ago, built from its own stored keys (none once they are removed).
   */
  function answeredElsewhere(): PaymentGateway[] {
    const now = clock.monotonic();
    const activeName = active.peek()?.name;
    const followed = service.followedElsewhere();
    const names = new Set(followed.map((g) => g.name));
    for (const name of followedBefore)
      if (!names.has(name) && name !== activeName && !lingering.has(name)) {
        lingering.set(name, now + returnGraceMs);
        clock.clearTimeout(lingerTimer);
        // When it ends, the receiver is applied again (and closes if nothing else needs it).
        lingerTimer = clock.setTimeout(() => {
          lingerTimer = undefined;
          inBackground(applyWebhookReceiver(), (error) =>
            devlog.add('error', 'The notification receiver could not be closed', String(error)),
          );
        }, returnGraceMs);
      }
    followedBefore = names;
    const after: PaymentGateway[] = [];
    for (const [name, until] of lingering) {
      const gateway = names.has(name) || name === activeName || until <= now ? null : active.forName(name);
      if (gateway) after.push(gateway);
      else lingering.delete(name);
    }
    return [...followed, ...after];
  }
  const returnsHere = () => returning().length > 0;

  // With no port set, the customer's return goes to whichever port the receiver got; that port is
  // kept and asked for again at the next start, since orders made before a restart carry it in
  // their return URL (a customer finishing one after the restart would otherwise find nothing).
  const RETURN_PORT = 'returns.port';
  // Anyone who can reach the receiver's loopback port (a page open in the cashier's browser, with
  // no-cors fetches or images) can cause these lines at will: a flood would push every earlier
  // entry out of the developer log. A few a minute are written, the rest counted.
  const budgeted = <T>(write: (line: T, more: string) => void) =>
    logBudget<T>((line, unlogged) => write(line, unlogged > 0 ? ` (${unlogged} more since the last one logged)` : ''), {
      perWindow: RECEIVER_LOG_LINES_PER_MINUTE,
      now: () => clock.monotonic(),
    });
  const logRefusedNotification = budgeted<string>((reason, more) =>
    devlog.add('event', `Forwarded notification refused: ${reason}${more}`),
  );
  const logIgnoredNotification = budgeted<{ summary: string; about: string }>(({ summary, about }, more) =>
    devlog.add('event', summary, `${about}: ${HINT_OUTCOMES.ignored}${more}`),
  );
  const logRefusedReturn = budgeted<string>((reason, more) =>
    devlog.add('error', `A return from the payment page was refused: ${reason}${more}`),
  );
  /**
   * Opens, moves or closes the receiver as the settings and the followed links want it, one call at a
   * time: a Settings save and a previous gateway's last followed link settling may ask together.
   */
  function applyWebhookReceiver(): Promise<void> {
    const next = (receiverApplied ?? Promise.resolve()).then(() => applyWebhookReceiverNow());
    receiverApplied = next.catch(() => undefined);
    return next;
  }
  async function applyWebhookReceiverNow(): Promise<void> {
    // Looked at on every apply, a set port or not: a previous gateway's grace begins only if its
    // followed links were seen (answeredElsewhere), and a switch or a settled link always applies.
    const returnsNow = returnsHere();
    const wanted = settings.get().webhookPort ?? (returnsNow ? 0 : null);
    if (wanted === webhookPort && (wanted === null || webhookReceiver)) return;
    const closing = webhookReceiver;
    await webhookReceiver?.close();
    webhookReceiver = null;
    webhookPort = wanted;
    webhookFailure = null;
    if (wanted === null) {
      // Kept open for a previous gateway's followed links, the last of which has settled: its port is
      // kept (RETURN_PORT) and asked for again if the receiver is needed again.
      if (closing) devlog.add('event', `No longer receiving customers back from the payment page at ${closing.origin}`);
      return;
    }
    const kept = wanted === 0 ? journal.getSetting<number>(RETURN_PORT) : undefined;
    try {
      const start = (port: number) =>
        startWebhookReceiver({
          port,
          clock,
          notifications: () => active.peek()?.notifications ?? null,
          seen: (id, at) => journal.webhookEventSeen(id, at),
          // Journaled before the 200: its id, and the payment it names as still to read (see docs/reliability.md).
          take: ({ eventId, atMs, event, active }) =>
            journal.atomically(() => {
              if (eventId !== null) journal.rememberWebhookEvent(eventId, atMs);
              if (active && event.paymentId && !event.disputeId) service.noteNotified(event.paymentId);
            }),
          onRefused: logRefusedNotification,
          onDuplicate: (eventId) => devlog.add('event', `Notification ${eventId} was already received: not read again`),
          onEvent: (event) => {
            // A plan changed (aborted, failed, a part charged): the running plans are read again.
            if (event.disputeId) {
              // A chargeback: the dispute is read from the gateway (the body is never used).
              disputes.notified(event.disputeId);
              devlog.add(
                'event',
                `Notification ${event.type}${event.eventId ? ` (${event.eventId})` : ''}`,
                event.disputeId,
              );
              return;
            }
            const outcome = event.paymentId
              ? service.notified(event.paymentId)
              : event.type === 'installment_plan'
                ? service.notifiedPlans()
                : 'ignored';
            const summary = `Notification ${event.type}${event.eventId ? ` (${event.eventId})` : ''}`;
            const about = event.paymentId ?? event.type;
            // One the till knows nothing of: PayPlug's are unsigned, so any local page can post them.
            if (outcome === 'ignored') logIgnoredNotification({ summary, about });
            else devlog.add('event', summary, `${about}: ${HINT_OUTCOMES[outcome]}`);
          },
          // A gateway the till no longer uses whose running plans or open links it still follows
          // (PayPlug's, after a switch): its notifications are checked by it, with its own stored
          // keys, and read the link or the plans at once (the watcher's round would be all otherwise).
          otherNotifications: (path) => {
            const gateway = answeredElsewhere().find((other) => other.notifications?.path === path);
            if (!gateway?.notifications) return null;
            return {
              notifications: gateway.notifications,
              onEvent: (event) => {
                const outcome = service.notifiedElsewhere(gateway.name, event.paymentId ?? null);
                const summary = `Notification ${event.type}${event.eventId ? ` (${event.eventId})` : ''} from ${gateway.label}`;
                const about = event.paymentId ?? event.type;
                if (outcome === 'ignored') logIgnoredNotification({ summary, about });
                else devlog.add('event', summary, `${about}: ${HINT_OUTCOMES[outcome]}`);
              },
            };
          },
          returns: (path) => {
            // Any request reaches here: the journal's open links are looked at only for a return path.
            if (!path.startsWith(returnPath(''))) return null;
            const gateway = returning().find((g) => returnPath(g.name) === path);
            return gateway ? { name: gateway.name, verifyReturn: (params) => gateway.verifyReturn!(params) } : null;
          },
          onReturn: (paymentId, name) => {
            // Another gateway's (a link made before a switch): read with its own keys, as its notifications are.
            const other = name === active.peek()?.name ? null : returning().find((g) => g.name === name);
            const outcome = other ? service.notifiedElsewhere(other.name, paymentId) : service.notified(paymentId);
            devlog.add('event', `The customer came back from the payment page of ${paymentId}`, HINT_OUTCOMES[outcome]);
          },
          settled: (paymentId, name) => {
            const record = service.engine.journal.findByTransactionId(
              paymentId,
              service.engine.readingOf(name as GatewayName),
            );
            return record ? settledReturn(record) : null;
          },
          shopName: () => settings.get().shopName ?? active.businessName(),
          onReturnRefused: logRefusedReturn,
          onFailure: (what, error) =>
            devlog.add(
              'error',
              `A ${what} could not be taken${journalWriteFailure(error) ? ': the journal cannot be written' : ''}`,
              errorText(error),
            ),
        });
      try {
        webhookReceiver = await start(kept ?? wanted);
      } catch (error) {
        // The kept port was taken meanwhile: any free one, as on a first start.
        if (kept === undefined || (error as { code?: unknown } | null)?.code !== 'EADDRINUSE') throw error;
        webhookReceiver = await start(0);
      }
      if (wanted === 0) journal.setSetting(RETURN_PORT, Number(new URL(webhookReceiver.origin).port));
      devlog.add(
        'event',
        settings.get().webhookPort === null
          ? // Only for customers coming back from the payment page: forwarding is off in Settings.
            `Receiving customers back from the payment page at ${webhookReceiver.origin}`
          : `Receiving forwarded notifications at ${webhookReceiver.url() ?? `port ${wanted}`}`,
      );
    } catch (error) {
      // Shown in Settings too, where saving again retries: a log line alone went unseen.
      webhookFailure =
        (error as { code?: unknown } | null)?.code === 'EADDRINUSE'
          ? `port ${wanted} on 127.0.0.1 is in use by another program`
          : `port ${wanted} could not be opened (${errorText(error)})`;
      devlog.add('error', `Could not listen for notifications on port ${wanted}`, errorText(error));
    }
  }
  await applyWebhookReceiver();

  /**
   * The newest payments, every payment in flight or in doubt however many, every receipt still to
   * reprint (its item left the screen once 50 newer payments were taken), and the newest
   * SNAPSHOT_OPEN open ones (found by a tester: an open payment vanished once 50 newer ones were
   * taken). Past SNAPSHOT_OPEN the oldest pending ones (unpaid links, payments not sent to a
   * reader) are not carried: the Process screen pages every open payment with payments.open and
   * says how many more there are (it once showed the newest 500 and nothing of the rest).
   */
  const snapshotPayments = (): PaymentView[] => {
    const byId = new Map(service.list('all', 50).map((payment) => [payment.id, payment]));
    for (const payment of [...service.inFlight(), ...service.unprinted(), ...service.list('active', SNAPSHOT_OPEN)])
      if (!byId.has(payment.id)) byId.set(payment.id, payment);
    return [...byId.values()];
  };

  const snapshot = (): Snapshot => ({
    seq,
    mode: settings.get().mode,
    gateway: gatewayInfo(),
    merchant: active.merchant,
    settings: settingsView(),
    readers: readers.views(),
    payments: snapshotPayments(),
    connectivity: connectivityView(),
    attention: service.attention(),
    display: display.view(),
  });

  const handlers: Handlers = {
    'session.snapshot': () => snapshot(),
    'payments.create': async (input) => {
      const created = await commands.create(input);
      const record = journal.getPayment(created.id);
      // Canceled as it was made (its cancel came first): nothing was sent, no receipt will be.
      if (record?.receiptEmail && record.status !== 'canceled') receipts.createdWithEmail(record);
      display.show(created.id);
      const view = record ? service.view(record) : created;
      // Created for a reader: sent at once, saving the screen a round trip before the card is asked.
      if (
        !input.readerId ||
        view.status !== 'pending' ||
        !!record?.cancelAskedAt ||
        view.channel !== 'card_present' ||
        view.tip?.state === 'awaiting'
      )
        return view;
      try {
        return await commands.process({ paymentId: view.id, readerId: input.readerId });
      } catch (error) {
        const notSent = toCommandError(error);
        if (notSent.code === 'internal')
          devlog.add(
            'error',
            'payments.create: sending to the reader failed',
            error instanceof Error ? (error.stack ?? error.message) : String(error),
          );
        return { ...service.view(journal.getPayment(view.id)!), notSent };
      }
    },
    'payments.setTip': (input) => commands.chooseTip(input, 'cashier'),
    'payments.process': async (input) => {
      const processed = await commands.process(input);
      display.show(processed.id);
      return processed;
    },
    'payments.cancel': (input) => commands.cancel(input),
    'payments.cancelCreate': (input) => commands.cancelCreate(input),
    'payments.capture': (input) => commands.capture(input),
    'payments.refund': (input) => commands.refund(input),
    'payments.list': (input) => service.list(input.filter, input.limit),
    'payments.uncaptured': (input) => service.uncaptured(input.offset, input.limit),
    'payments.open': (input) => service.open(input.offset, input.limit),
    'transactions.list': (input) => {
      const active = gateway();
      return listTransactions(input, {
        gateway: active,
        journal,
        reading: service.engine.readingOf(active.name),
        timeZone: settings.get().timeZone,
        connectivity: () => connectivity.state,
        reached: (outcome) => (outcome === null ? connectivity.reportSuccess() : connectivity.reportError(outcome)),
        mode: () => settings.get().mode,
        readableElsewhere: (record) => service.engine.readableElsewhere(record) !== null,
      });
    },
    'transactions.get': async (input) => {
      const detail = await commands.detail(input.transactionId);
      const on = disputes.on(detail, detail.payment?.gateway ?? gateway().name);
      return on.length > 0 ? { ...detail, disputes: on } : detail;
    },
    'disputes.list': (input) => disputes.list(input.refresh === true),
    'readers.list': () => readers.views(),
    'readers.scan': () => readers.scan(),
    'readers.pair': (input) => readers.pair(input),
    'readers.addSimulated': (input) => readers.addSimulated(input.label),
    'readers.reconnect': (input) => readers.reconnect(input.readerId),
    'readers.configure': (input) => readers.configure(input.readerId, input),
    'readers.forget': async (input) => {
      await readers.forget(input.readerId);
      return { forgotten: true as const };
    },
    'simulate.presentCard': (input) => readers.presentCard(input.readerId, input.cardNumber),
    'simulate.setFault': (input) => readers.setFault(input.readerId, input.fault),
    'simulate.payLink': (input) => commands.payLink(input),
    // By either id, as print: Details names a payment the till only looked up by the gateway's.
    'receipts.render': async (input) => receipts.render((await commands.resolve(input.paymentId)).id, input),
    'receipts.print': async (input) => {
      const record = await commands.resolve(input.paymentId);
      return receipts.print(record.id, input.copies);
    },
    'receipts.email': async (input) => receipts.email((await commands.resolve(input.paymentId)).id, input.email),
    'receipts.list': async (input) => receipts.receipts((await commands.resolve(input.paymentId)).id),
    'reports.x': (input) => reports.x(input.date),
    'reports.close': (input) => reports.close(input),
    'reports.list': (input) => reports.list(input.limit),
    'reports.get': (input) => reports.get(input.number),
    'reports.reconcile': async (input) => {
      const result = await reports.reconcile(input.date, input.terminal);
      // The active gateway answered (another gateway of the day has no say in the till's connection).
      if (result.gateways?.some((g) => g.compared && g.name === active.peek()?.name)) connectivity.reportSuccess();
      return result;
    },
    'reports.csv': (input) => reports.csv(input),
    'reports.print': (input) => reports.print(input),
    'display.snapshot': () => display.view(),
    'customer.chooseTip': async (input) => {
      if (input.paymentId !== display.currentId()) {
        throw new HostError('conflict', 'This screen is out of date: the cashier has started another payment.');
      }
      await commands.chooseTip(input, 'customer');
      return display.view();
    },
    'display.takeDown': async (input) => {
      const record = await commands.resolve(input.paymentId);
      display.takeDown(record.id);
      return display.view();
    },
    'settings.get': () => settingsView(),
    'settings.newDisplayAddress': () => {
      if (displayTokenListeners.size === 0)
        throw new HostError('conflict', 'This customer display is a window of the app: it has no address to change.');
      const token = settings.newDisplayToken();
      for (const listener of [...displayTokenListeners]) listener(token);
      devlog.add(
        'event',
        settings.displayTokenProblem
          ? `Customer display: new address, for this launch only (${settings.displayTokenProblem})`
          : 'Customer display: new address; the old one no longer works',
      );
      return settingsView();
    },
    'settings.update': async (input) => {
      // A port another program holds is refused before anything is saved, not found out afterwards.
      const asked = input.webhookPort;
      if (asked && (asked !== webhookPort || !webhookReceiver) && !(await loopbackPortFree(asked)))
        throw new HostError('validation', `Port ${asked} on 127.0.0.1 is in use by another program.`, {
          issues: [{ path: 'webhookPort', message: 'in use by another program: choose another, or any free port' }],
        });
      const { accountChanged } = settings.update(input, refuseWhileCollecting);
      if (input.autoPresentDelayMs !== undefined) readers.setAutoPresentDelay(input.autoPresentDelayMs);
      if (input.webhookPort !== undefined) await applyWebhookReceiver();
      if (input.receiptPrinterPort !== undefined) checkPrinterPort();
      devlog.add('event', accountChanged ? 'Settings changed: gateway, account or mode switched' : 'Settings changed');
      if (accountChanged) await reconfigure();
      else settingsEvent();
      // Another gateway's keys removed or entered again: its plans and links say whether they are followed.
      service.settingsChanged();
      // And whether its customers still come back to the till (a Plural link's return page).
      await applyWebhookReceiver();
      display.refresh();
      return settingsView();
    },
    'devlog.list': (input) => devlog.list(input.limit),
    'attention.list': () => service.attention(),
    'attention.resolve': (input) => commands.resolveAttention(input),
    'attention.retry': (input) => service.reconcileNow(input.paymentId),
    'payments.annotate': (input) => commands.annotate(input),
    'savedCards.list': (input) => service.savedCards.list(input.customer),
    'savedCards.forget': (input) => {
      service.savedCards.forget(input.cardId);
      return { forgotten: true as const };
    },
    'installments.create': async (input) => {
      const plan = await service.installments.create(input);
      // The customer pays the first part by link: its QR goes on the customer display, as any link's.
      const first = plan.payUrl ? plan.schedule[0]?.paymentIds[0] : undefined;
      const record = first ? service.engine.findHere(first) : undefined;
      if (record) display.show(record.id);
      return plan;
    },
    'installments.list': () => service.installments.list(),
    'installments.get': (input) => service.installments.get(input.planId),
    'installments.abort': (input) => service.installments.abort(input.planId),
    'settlements.list': (input) => service.settlements.list(input),
    'settlements.release': (input) => service.settlements.release(input),
    'settlements.cancel': (input) => service.settlements.cancel(input),
  };

  async function dispatch(name: string, input: unknown): Promise<Result<unknown>> {
    if (!isCommandName(name))
      return { ok: false, error: { code: 'validation', message: `Unknown command "${String(name).slice(0, 60)}".` } };
    const parsed = parseCommandInput(name, input);
    if (!parsed.ok) return parsed;
    if (TEST_MODE_ONLY.has(name) && settings.get().mode !== 'test') {
      return { ok: false, error: { code: 'test_mode_only', message: 'This is only available in test mode.' } };
    }
    try {
      const handler = handlers[name] as (input: unknown) => Promise<unknown> | unknown;
      return { ok: true, value: await handler(parsed.value) };
    } catch (error) {
      const commandError = toCommandError(error);
      if (commandError.code === 'internal')
        devlog.add(
          'error',
          journalWriteFailure(error) ? `${name} failed: the journal cannot be written` : `${name} failed`,
          error instanceof Error ? (error.stack ?? error.message) : String(error),
        );
      return { ok: false, error: commandError };
    }
  }

  inBackground(meetGateway(), (error) => devlog.add('error', 'Recovery at start failed', String(error)));

  let closed = false;
  return {
    dispatch,
    invoke: <N extends CommandName>(name: N, input: unknown) =>
      dispatch(name, input) as Promise<Result<CommandResult<N>>>,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    snapshot,
    get sandboxUrl() {
      return active.sandboxUrl;
    },
    customerDisplay(patch) {
      if (patch.url !== undefined) customerDisplay.url = patch.url;
      if (patch.connected !== undefined) customerDisplay.connected = patch.connected;
      settingsEvent();
    },
    customerDisplayToken() {
      const token = settings.displayToken();
      return { token, notKept: settings.displayTokenProblem };
    },
    onCustomerDisplayToken(listener) {
      displayTokenListeners.add(listener);
      return () => displayTokenListeners.delete(listener);
    },
    keptWebPort() {
      const port = journal.getSetting<unknown>(WEB_PORT);
      return typeof port === 'number' && Number.isInteger(port) && port > 0 && port <= 65535 ? port : null;
    },
    keepWebPort(port) {
      if (port !== journal.getSetting<unknown>(WEB_PORT)) journal.setSetting(WEB_PORT, port);
    },
    devlog,
    commitStats: () => journal.commitStats,
    async close() {
      if (closed) return;
      closed = true;
      disputes.close();
      service.close();
      connectivity.stop();
      await readers.stop();
      // One being opened or closed meanwhile ends first, so none is left listening.
      await receiverApplied;
      clock.clearTimeout(lingerTimer);
      await webhookReceiver?.close();
      await active.close();
      listeners.clear();
      db.close();
      lock?.release();
    },
  };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The settings a launch gateway stands for (test mode, no embedded sandbox). */
/**
 * The launch's gateway as a Settings change, checked as one typed in Settings is (the key shapes,
 * a Plural client secret long enough to be masked in the log, no query in the address).
 */
/** What became of a notification's hint (PaymentService.notified), for the developer log. */
/** How many refused or unknown notifications (and refused returns) of a minute reach the developer log. */
export const RECEIVER_LOG_LINES_PER_MINUTE = 10;

const HINT_OUTCOMES: Record<ReturnType<PaymentService['notified']>, string> = {
  read: 'reading it again',
  coalesced: 'read again after the reading under way',
  deferred: 'read again shortly (many notifications at once)',
  ignored: 'not a payment of this till, ignored',
};

function launchUpdate(launch: LaunchGateway): SettingsUpdate {
  const parsed = parseCommandInput('settings.update', launchSettings(launch));
  if (!parsed.ok) throw new Error(`The gateway given at launch is refused: ${parsed.error.message}`);
  return parsed.value;
}

function launchSettings(launch: LaunchGateway): SettingsUpdate {
  switch (launch.name) {
    case undefined:
    case 'plutopay':
      return { gateway: 'plutopay', embeddedSandbox: false, apiBaseUrl: launch.url, secretKey: launch.secretKey };
    case 'payplug':
      return {
        gateway: 'payplug',
        embeddedSandbox: false,
        payplugApiBaseUrl: launch.url,
        payplugSecretKey: launch.secretKey,
      };
    case 'plural':
      return {
        gateway: 'plural',
        embeddedSandbox: false,
        pluralApiBaseUrl: launch.url,
        pluralClientId: launch.clientId,
        pluralClientSecret: launch.clientSecret,
        pluralSignatureKey: launch.signatureKey,
      };
  }
}
