/**
 * The host: composes the journal, settings, the gateway client, the reader manager and the payment
 * service, and exposes exactly the contract — dispatch(command, input) and a stream of events with
 * sequence numbers. Electron's IPC and web mode's WebSocket are both thin wrappers around this.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../common/clock';
import type { ReaderRegistry } from '../../drivers/types';
import {
  isCommandName,
  parseCommandInput,
  type CommandName,
  type CommandResult,
  type ConnectivityView,
  type HostEvent,
  type MerchantView,
  type ParsedCommandInput,
  type Result,
  type Snapshot,
} from '../../common/contract';
import { FileSecretStore, MemorySecretStore, type SecretStore } from '../config/secrets';
import { SettingsStore, type Settings } from '../config/settings';
import { Connectivity } from '../gateway/connectivity';
import { GatewayHttp } from '../gateway/http';
import { ReaderLinkClient } from '../gateway/link';
import { PlutoPayClient } from '../gateway/plutopay';
import { PaymentService } from '../payments/service';
import { listTransactions } from '../payments/transactions';
import { ReaderManager } from '../readers/manager';
import { Journal } from '../store/journal';
import { openDatabase, type SqlDatabase } from '../store/sqlite';
import { inBackground } from './background';
import { startWebhookReceiver, type RunningWebhookReceiver } from '../webhooks/receiver';
import { DevLog } from './devlog';
import { HostError, toCommandError } from './errors';

/** The embedded sandbox, as the host needs it (sandbox/index.ts provides startSandbox). */
export interface EmbeddedSandbox {
  url: string;
  secret_key: string;
  publishable_key: string;
  close(): Promise<void>;
}

export interface HostOptions {
  /** Where the journal, secrets and embedded sandbox database live; null keeps everything in memory. */
  dataDir: string | null;
  clock?: Clock;
  secrets?: SecretStore;
  /** Starts the embedded sandbox when settings ask for it. */
  startSandbox?: (options: { db: string }) => Promise<EmbeddedSandbox>;
  registry?: ReaderRegistry;
  /** Settings for a fresh data directory (tests, CLI flags). */
  initialSettings?: Partial<Settings>;
  /**
   * Point this launch at a given gateway (test mode, e.g. a standalone sandbox) instead of the
   * embedded one. The key is stored like one typed in Settings.
   */
  gateway?: { url: string; secretKey: string };
  /** Create one simulated reader on first start in test mode (the out-of-the-box experience). */
  defaultSimulatedReader?: boolean;
  tuning?: {
    pollWaitMs?: number;
    requestTimeoutMs?: number;
    cloudRefreshMs?: number;
    simulatedProcessingMs?: number;
    /** How long a simulated reader stays unplugged after an injected disconnect. */
    simulatedReplugMs?: number;
    retryDelayMs?: number;
    collectTimeoutMs?: number;
    /** How long past the card wait a silent reader is given before its outcome is unknown. */
    answerGraceMs?: number;
    durability?: 'full' | 'normal';
  };
}

export interface Host {
  dispatch(name: string, input: unknown): Promise<Result<unknown>>;
  /** Typed convenience for tests and the Electron/web glue. */
  invoke<N extends CommandName>(name: N, input: unknown): Promise<Result<CommandResult<N>>>;
  subscribe(listener: (event: HostEvent) => void): () => void;
  snapshot(): Snapshot;
  /** URL of the embedded sandbox, when one runs. */
  readonly sandboxUrl: string | null;
  readonly devlog: DevLog;
  close(): Promise<void>;
}

type Handlers = { [N in CommandName]: (input: ParsedCommandInput<N>) => Promise<CommandResult<N>> | CommandResult<N> };

const TEST_MODE_ONLY: ReadonlySet<CommandName> = new Set([
  'simulate.presentCard',
  'simulate.setFault',
  'readers.addSimulated',
]);

export async function createHost(options: HostOptions): Promise<Host> {
  const clock = options.clock ?? systemClock;
  const tuning = options.tuning ?? {};
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const db: SqlDatabase = openDatabase(options.dataDir ? join(options.dataDir, 'journal.db') : ':memory:', {
    durability: tuning.durability ?? 'full',
  });
  const journal = new Journal(db, clock);
  const secrets =
    options.secrets ??
    (options.dataDir ? new FileSecretStore(join(options.dataDir, 'secrets.json')) : new MemorySecretStore());
  const settings = new SettingsStore(journal, secrets, options.initialSettings);
  if (options.gateway) {
    settings.update({ embeddedSandbox: false, apiBaseUrl: options.gateway.url, secretKey: options.gateway.secretKey });
  }
  const devlog = new DevLog(clock);

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

  // -- gateway wiring (rebuilt when the account or mode changes) --------------------------------
  let sandbox: EmbeddedSandbox | null = null;
  let client: PlutoPayClient | null = null;
  let link: ReaderLinkClient | null = null;
  let baseUrl = '';
  let merchant: MerchantView | null = null;

  const http = (url: string) =>
    new GatewayHttp({
      baseUrl: url,
      ...(tuning.requestTimeoutMs !== undefined ? { timeoutMs: tuning.requestTimeoutMs } : {}),
      onRequest: (entry) =>
        // The link's long polls are heartbeats, not news: only their failures are logged.
        entry.path.endsWith('/link/poll') && !entry.error
          ? undefined
          : devlog.add(
              'request',
              `${entry.method} ${entry.path} → ${entry.status ?? 'no answer'} (${entry.ms} ms)`,
              entry.error,
            ),
    });

  async function configureGateway(): Promise<void> {
    const current = settings.get();
    let secretKey: string | null;
    if (current.embeddedSandbox) {
      if (!sandbox) {
        if (!options.startSandbox) throw new Error('embedded sandbox requested but not available');
        sandbox = await options.startSandbox({
          db: options.dataDir ? join(options.dataDir, 'sandbox.db') : ':memory:',
        });
        devlog.add('event', `Embedded sandbox running at ${sandbox.url}`);
      }
      baseUrl = sandbox.url;
      secretKey = sandbox.secret_key;
    } else {
      if (sandbox) {
        await sandbox.close();
        sandbox = null;
      }
      baseUrl = current.apiBaseUrl;
      secretKey = settings.secretKey();
    }
    const transport = http(baseUrl);
    client = secretKey ? new PlutoPayClient(transport, secretKey) : null;
    link = new ReaderLinkClient(transport);
    merchant = null;
  }

  const gateway = (): PlutoPayClient => {
    if (!client) throw new HostError('unauthorized', 'No secret key is set for this mode. Add one in Settings (F7).');
    return client;
  };

  const connectivity = new Connectivity(clock, () => gateway().health());
  const connectivityView = (): ConnectivityView => ({
    gateway: connectivity.state,
    lastError: connectivity.lastError,
    queued: service.queueSummary(),
    recovering: service.recovery(),
  });

  let readers: ReaderManager;
  const service = new PaymentService({
    journal,
    clock,
    gateway,
    connectivity,
    readers: {
      resolve: (id) => readers.resolve(id),
      byProcessorId: (id) => readers.byProcessorId(id),
      cancelCollection: (id) => readers.cancelCollection(id),
      settleUnknown: (id, action, charged) => readers.settleUnknown(id, action, charged),
    },
    onPaymentChanged: (payment) => emit({ type: 'payment', payment }),
    onAttentionChanged: (attention) => emit({ type: 'attention', attention }),
    onQueueChanged: () => emit({ type: 'connectivity', connectivity: connectivityView() }),
    log: (summary, detail) => devlog.add('event', summary, detail),
    ...(tuning.retryDelayMs !== undefined ? { retryDelayMs: tuning.retryDelayMs } : {}),
  });

  const buildReaders = () =>
    new ReaderManager({
      journal,
      clock,
      gateway,
      link: () => {
        if (!link) throw new HostError('unauthorized', 'The gateway is not configured.');
        return link;
      },
      sink: service,
      ...(options.registry ? { registry: options.registry } : {}),
      testMode: () => settings.get().mode === 'test',
      autoPresentDelayMs: () => settings.get().autoPresentDelayMs,
      onChange: () => emit({ type: 'readers', readers: readers.views() }),
      log: (kind, summary, detail) => devlog.add(kind, summary, detail),
      ...(tuning.pollWaitMs !== undefined ? { pollWaitMs: tuning.pollWaitMs } : {}),
      ...(tuning.cloudRefreshMs !== undefined ? { cloudRefreshMs: tuning.cloudRefreshMs } : {}),
      ...(tuning.simulatedProcessingMs !== undefined ? { simulatedProcessingMs: tuning.simulatedProcessingMs } : {}),
      ...(tuning.simulatedReplugMs !== undefined ? { simulatedReplugMs: tuning.simulatedReplugMs } : {}),
      ...(tuning.collectTimeoutMs !== undefined ? { collectTimeoutMs: tuning.collectTimeoutMs } : {}),
      ...(tuning.answerGraceMs !== undefined ? { answerGraceMs: tuning.answerGraceMs } : {}),
    });

  async function loadMerchant(): Promise<void> {
    if (!client) return;
    try {
      const m = await client.merchant();
      merchant = {
        id: m.id,
        businessName: m.business_name,
        displayName: m.display_name,
        defaultCurrency: m.default_currency.toUpperCase(),
        testMode: m.test_mode,
      };
      if (m.test_mode !== (settings.get().mode === 'test')) {
        devlog.add(
          'error',
          `The gateway account is in ${m.test_mode ? 'test' : 'live'} mode but the app is in ${settings.get().mode} mode.`,
        );
      }
    } catch (error) {
      devlog.add(
        'request',
        'Could not load the merchant account',
        error instanceof Error ? error.message : String(error),
      );
    }
  }

  async function startReaders(): Promise<void> {
    readers = buildReaders();
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

  // Nothing that waits for the gateway stands between the cashier and the window: the host serves
  // at once, and the gateway's state, the merchant and recovery of unfinished work follow in the
  // background (shown as the offline banner and the recovery progress).
  await configureGateway();
  await startReaders();
  connectivity.onChange((state) => {
    emit({ type: 'connectivity', connectivity: connectivityView() });
    if (state !== 'online') return;
    readers.retryReportsNow();
    inBackground(service.recover(), (error) => devlog.add('error', 'Recovery after reconnect failed', String(error)));
  });
  async function meetGateway(): Promise<void> {
    if (client) await connectivity.check();
    await loadMerchant();
    if (merchant) emit({ type: 'settings', settings: settingsView(), mode: settings.get().mode, merchant });
    // Unfinished payments are reconciled before anything else is sent; it stops early while offline.
    await service.recover();
  }

  async function reconfigure(): Promise<void> {
    // A different account or mode: drop links and cached gateway state before anything else runs.
    await readers.stop();
    await configureGateway();
    if (client) await connectivity.check();
    await loadMerchant();
    await readers.resetPairings().catch(() => undefined);
    await startReaders();
    emit({ type: 'settings', settings: settingsView(), mode: settings.get().mode, merchant });
    emit({ type: 'readers', readers: readers.views() });
  }

  // -- forwarded webhooks: verified, then used only as a hint to re-read the gateway --------------
  let webhookReceiver: RunningWebhookReceiver | null = null;
  let webhookPort: number | null = null;
  const settingsView = () => settings.view(baseUrl, webhookReceiver?.url ?? null);

  async function applyWebhookReceiver(): Promise<void> {
    const wanted = settings.get().webhookPort;
    if (wanted === webhookPort && (wanted === null || webhookReceiver)) return;
    await webhookReceiver?.close();
    webhookReceiver = null;
    webhookPort = wanted;
    if (wanted === null) return;
    try {
      webhookReceiver = await startWebhookReceiver({
        port: wanted,
        clock,
        secret: () => settings.webhookSecret(),
        replay: { remember: (id, at) => journal.rememberWebhookEvent(id, at) },
        onRefused: (reason) => devlog.add('event', `Forwarded webhook refused: ${reason}`),
        onEvent: (event) => {
          devlog.add('event', `Webhook ${event.type} (${event.id})`);
          const data = event.data as { id?: string; transaction_id?: string };
          const transactionId = event.type.startsWith('refund.')
            ? data.transaction_id
            : event.type.startsWith('payment.')
              ? data.id
              : undefined;
          const record = transactionId ? journal.findByTransactionId(transactionId) : undefined;
          if (record)
            inBackground(service.reconcile(record), (error) =>
              devlog.add('error', `Reconciling after ${event.type} failed`, String(error)),
            );
        },
      });
      devlog.add('event', `Receiving forwarded webhooks at ${webhookReceiver.url}`);
    } catch (error) {
      devlog.add(
        'error',
        `Could not listen for webhooks on port ${wanted}`,
        error instanceof Error ? error.message : String(error),
      );
    }
  }
  await applyWebhookReceiver();

  const snapshot = (): Snapshot => ({
    seq,
    mode: settings.get().mode,
    merchant,
    settings: settingsView(),
    readers: readers.views(),
    payments: service.list('all', 50),
    connectivity: connectivityView(),
    attention: service.attention(),
  });

  const handlers: Handlers = {
    'session.snapshot': () => snapshot(),
    'payments.create': (input) => service.create(input),
    'payments.process': (input) => service.process(input),
    'payments.cancel': (input) => service.cancel(input),
    'payments.capture': (input) => service.capture(input),
    'payments.refund': (input) => service.refund(input),
    'payments.list': (input) => service.list(input.filter, input.limit),
    'transactions.list': async (input) => {
      const page = await listTransactions(input, { gateway: gateway(), journal });
      connectivity.reportSuccess();
      return page;
    },
    'transactions.get': (input) => service.detail(input.transactionId),
    'readers.list': () => readers.views(),
    'readers.pair': (input) => readers.pair(input),
    'readers.addSimulated': (input) => readers.addSimulated(input.label),
    'readers.reconnect': (input) => readers.reconnect(input.readerId),
    'readers.forget': async (input) => {
      await readers.forget(input.readerId);
      return { forgotten: true as const };
    },
    'simulate.presentCard': (input) => readers.presentCard(input.readerId, input.cardNumber),
    'simulate.setFault': (input) => readers.setFault(input.readerId, input.fault),
    'settings.get': () => settingsView(),
    'settings.update': async (input) => {
      const { accountChanged } = settings.update(input);
      if (input.autoPresentDelayMs !== undefined) readers.setAutoPresentDelay(input.autoPresentDelayMs);
      if (input.webhookPort !== undefined) await applyWebhookReceiver();
      devlog.add('event', accountChanged ? 'Settings changed: gateway account or mode switched' : 'Settings changed');
      if (accountChanged) await reconfigure();
      else emit({ type: 'settings', settings: settingsView(), mode: settings.get().mode, merchant });
      return settingsView();
    },
    'devlog.list': (input) => devlog.list(input.limit),
    'attention.list': () => service.attention(),
    'attention.resolve': (input) => service.resolveAttention(input),
    'attention.retry': async (input) => {
      const record = await service.resolve(input.paymentId);
      return service.view(await service.reconcile(record));
    },
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
        devlog.add('error', `${name} failed`, error instanceof Error ? (error.stack ?? error.message) : String(error));
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
      return sandbox?.url ?? null;
    },
    devlog,
    async close() {
      if (closed) return;
      closed = true;
      service.close();
      connectivity.stop();
      await readers.stop();
      await webhookReceiver?.close();
      if (sandbox) await sandbox.close();
      listeners.clear();
      db.close();
    },
  };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
