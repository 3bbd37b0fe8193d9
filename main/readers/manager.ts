/**
 * Every reader the cashier can use: readers this app hosts (simulated, and devices found by the
 * driver registry), each with its controller fed by the gateway's reader link, and readers the
 * gateway hosts ("cloud" readers, e.g. the sandbox's simulated ones). Pairs devices with the
 * gateway and answers the payments' questions about readers. A gateway without readers (one that
 * takes payments by link) leaves the hosted readers idle and lists no cloud readers.
 */
import { createHash } from 'node:crypto';
import type { Clock, TimerHandle } from '../../common/clock';
import type { ReaderView } from '../../common/contract';
import { formatAmount } from '../../common/money';
import { serialDeviceId } from '../../drivers/serial/discovery';
import { SimulatedReader } from '../../drivers/simulated/reader';
import type {
  CardOutcome,
  DiscoveredDevice,
  NamedPort,
  Reader,
  ReaderRegistry,
  SimulatedFault,
} from '../../drivers/types';
import { inBackground } from '../core/background';
import { errorText, HostError } from '../core/errors';
import { newId } from '../core/ids';
import { isGatewayError } from '../gateway/errors';
import type { GatewayReaders, PaymentGateway, ReaderAction, RemoteReader } from '../gateway/port';
import type { ReaderDirectory, ReaderEventSink } from '../payments/service';
import type { HostedReaderRecord, Journal, PaymentRecord } from '../store/journal';
import { ReaderController, type ActionSource } from './controller';
import { CLOUD_PREFIX } from './ids';

/** Timings, for tests and benchmarks; every field has a default fit for a real counter. */
export interface ReaderTuning {
  pollWaitMs?: number;
  cloudRefreshMs?: number;
  simulatedProcessingMs?: number;
  /** How long a simulated reader stays unplugged after an injected disconnect. */
  simulatedReplugMs?: number;
  collectTimeoutMs?: number;
  answerGraceMs?: number;
}

export interface ReaderManagerOptions {
  journal: Journal;
  clock: Clock;
  /** The active gateway; throws a HostError when the till has no credentials for it yet. */
  gateway: () => PaymentGateway;
  /**
   * The payment of a transaction id the account the till reads now names (PaymentEngine.findHere): a
   * reader's action is that account's, never another account's payment of the same id.
   */
  paymentOfTransaction: (transactionId: string) => PaymentRecord | undefined;
  sink: ReaderEventSink;
  /** Real devices (serial, USB); absent in tests that only use simulated readers. */
  registry?: ReaderRegistry;
  testMode: () => boolean;
  autoPresentDelayMs: () => number;
  onChange: () => void;
  log: (kind: 'link' | 'reader' | 'error', summary: string, detail?: string) => void;
  /** The till as the action source of a reader that charges through the shop's own bank. */
  standaloneSource?: (readerId: string) => ActionSource;
  /**
   * How long the till must still wait, as a throttling gateway asked another of its calls (null or
   * 0: it need not): the reader links hold their polls until then.
   */
  gatewayThrottledForMs?: () => number | null;
  tuning?: ReaderTuning;
}

const PORT_PREFIX = 'rdr_port_';

/** The refusal of a card on a reader the "No answer" fault holds: what the fault does, and what to do. */
const NO_ANSWER_HOLDS =
  'This simulated reader has the "No answer" fault: it ignores cards on this payment and never answers. Cancel the payment on Process payment (F2), or wait: the app gives up on it and asks you in Needs attention (F8) what happened.';

export class ReaderManager implements ReaderDirectory {
  private readonly controllers = new Map<string, ReaderController>();
  private readonly simulated = new Map<string, SimulatedReader>();
  private cloud: RemoteReader[] = [];
  private cloudTimer: TimerHandle | undefined;
  /** Each read of the gateway's reader list is numbered as it starts (see refreshCloud). */
  private cloudReads = 0;
  /** The read whose answer `cloud` holds: an older read answering after it is not taken. */
  private cloudTaken = 0;
  /**
   * Readers removed at the gateway (forgotten), by terminal id, with the number of the last read
   * started before: that read and older ones may still name them, so their answers leave them out.
   */
  private readonly removedTerminals = new Map<string, number>();
  private registryUnsubscribe: (() => void) | null = null;
  private changeTimer: TimerHandle | undefined;
  private readonly reopenTimers = new Map<string, TimerHandle>();
  /** Tries so far to open a paired device again (the next waits twice as long, up to 30 s). */
  private readonly reopenAttempts = new Map<string, number>();
  /** The registry pass running (or last run), and the one queued behind it (see syncRegistry). */
  private syncRunning: Promise<void> = Promise.resolve();
  private syncQueued: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly options: ReaderManagerOptions) {}

  private get tuning(): ReaderTuning {
    return this.options.tuning ?? {};
  }

  /** The active gateway's reader API, or null when it has none (or is not configured). */
  private gatewayReaders(): GatewayReaders | null {
    try {
      return this.options.gateway().readers ?? null;
    } catch {
      return null;
    }
  }

  private requireGatewayReaders(): GatewayReaders {
    const readers = this.gatewayReaders();
    if (!readers) {
      const label = (() => {
        try {
          return this.options.gateway().label;
        } catch {
          return 'The gateway';
        }
      })();
      throw new HostError('conflict', `${label} does not take payments on readers; it takes them by link (a QR code).`);
    }
    return readers;
  }

  async start(): Promise<void> {
    for (const record of this.options.journal.listReaders()) this.host(record);
    if (this.options.registry) {
      this.tellRegistryPaired();
      this.registryUnsubscribe = this.options.registry.onChange(() =>
        inBackground(this.syncRegistry(), (e) => this.fail('Reader discovery update failed', e)),
      );
      await this.options.registry
        .start()
        .catch((error: unknown) => this.options.log('error', 'Reader discovery failed to start', String(error)));
      await this.syncRegistry();
    }
    // The gateway's own readers are listed in the background: an unreachable gateway must not hold
    // up the start (the list refreshes every few seconds anyway).
    inBackground(this.refreshCloud(), (e) => this.fail('Listing gateway readers failed', e));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.options.clock.clearTimeout(this.cloudTimer);
    this.options.clock.clearTimeout(this.changeTimer);
    for (const timer of this.reopenTimers.values()) this.options.clock.clearTimeout(timer);
    this.reopenTimers.clear();
    this.registryUnsubscribe?.();
    await Promise.all([...this.controllers.values()].map((c) => c.stop()));
    await Promise.all([...this.controllers.values()].map((c) => c.reader?.close().catch(() => undefined)));
    // Every simulated device too, not only those attached now: one unplugged by an injected fault is
    // attached to no controller, and its replug would hand it back to the stopped one.
    await Promise.all([...this.simulated.values()].map((device) => device.close()));
    await this.options.registry?.stop().catch(() => undefined);
  }

  hostedCount(): number {
    return this.controllers.size;
  }

  // -- commands ---------------------------------------------------------------------------------

  async addSimulated(label?: string): Promise<ReaderView> {
    if (!this.options.testMode())
      throw new HostError('conflict', 'Simulated readers take test payments only: switch to test mode first.');
    if (label) this.refuseTakenLabel(label);
    const taken = this.labelsInUse();
    let number = 1;
    while (taken.has(`simulated reader ${number}`)) number++;
    const record = this.options.journal.upsertReader({
      id: newId('rdr'),
      deviceId: newId('sim'),
      kind: 'simulated',
      label: label ?? `Simulated reader ${number}`,
      registrationCode: '',
      terminalId: null,
      gatewayReaderId: null,
    });
    this.host(record);
    return this.viewOf(record.id);
  }

  /** Pairs a discovered device (hosted here) or registers a cloud reader by its code. */
  async pair(
    input:
      | { deviceId: string; label?: string | undefined }
      | { registrationCode: string; label?: string | undefined; locationName?: string | undefined },
  ): Promise<ReaderView> {
    if ('deviceId' in input) {
      const found = this.options.registry?.devices().find((d) => d.device.id === input.deviceId);
      if (!found)
        throw new HostError('not_found', 'That device is no longer connected. Check the cable and look again.');
      if (found.claim.driver === null)
        throw new HostError('conflict', `No driver recognises this device: ${found.claim.reason}`);
      const paired = this.options.journal.listReaders().find((r) => r.deviceId === input.deviceId);
      if (paired) return this.viewOf(paired.id);
      if (input.label) this.refuseTakenLabel(input.label);
      const record = this.options.journal.upsertReader({
        id: newId('rdr'),
        deviceId: input.deviceId,
        kind: found.claim.driver,
        label: input.label ?? this.freeLabel(labelFor(found)),
        registrationCode: '',
        terminalId: null,
        gatewayReaderId: null,
      });
      this.host(record);
      await this.syncRegistry();
      return this.viewOf(record.id);
    }
    if (input.label) this.refuseTakenLabel(input.label);
    const registered = await this.requireGatewayReaders().register({
      name: input.label ?? this.freeLabel(`Reader ${input.registrationCode}`),
      registrationCode: input.registrationCode,
      ...(input.locationName ? { locationName: input.locationName } : {}),
    });
    await this.refreshCloud();
    const id = CLOUD_PREFIX + registered.readerId;
    const view = this.views().find((v) => v.id === id);
    if (!view)
      throw new HostError('internal', 'The reader was registered but does not appear in the gateway reader list yet.');
    return view;
  }

  /**
   * Looks for readers now, not at the next poll (a technician just plugged a terminal in): the
   * registry lists its devices and probes the unclaimed ones again, a paired device found is opened,
   * and the gateway's own readers are read again (in the background: an unreachable gateway must
   * not hold the devices' answer up). Probes still running are heard as reader events.
   */
  async scan(): Promise<ReaderView[]> {
    await this.options.registry?.scan?.();
    await this.syncRegistry();
    inBackground(this.refreshCloud(), (e) => this.fail('Listing gateway readers failed', e));
    return this.views();
  }

  reconnect(readerId: string): ReaderView {
    const controller = this.controllers.get(readerId);
    if (controller) {
      // Left idle on purpose (see idleReason): reconnecting would only retry what cannot run.
      const record = this.options.journal.getReader(readerId);
      if (record?.kind === 'simulated' && !this.options.testMode())
        throw new HostError(
          'conflict',
          `${record.label} is a simulated reader: it takes test payments only. Switch to test mode in Settings (F7) to use it.`,
        );
      if (!this.gatewayReaders() && !record?.standalone)
        throw new HostError(
          'conflict',
          `${record?.label ?? 'This reader'} is not used while the till's gateway takes payments by link. ` +
            'Switch to a gateway with readers in Settings (F7), or tick "charges through its own bank" to use it without a gateway.',
        );
      controller.reconnect();
      // A terminal that did not answer its probe (busy with a card when the app started) is asked
      // again now; once it answers, the registry's change opens it for this controller. One the
      // registry still lists (its port came back between two scans) is opened again at once.
      if (record && record.kind !== 'simulated' && !controller.hasDevice) {
        this.options.registry?.reprobe?.(record.deviceId);
        inBackground(this.syncRegistry(), (e) => this.fail('Reader discovery update failed', e));
      }
    } else if (readerId.startsWith(PORT_PREFIX)) {
      // A named port no driver claims: asked again now (its permissions fixed, the program holding
      // it closed, the terminal switched on), not a minute from now.
      const port = this.unclaimedPorts().find((p) => portViewId(p.path) === readerId);
      if (!port) throw new HostError('not_found', `No reader ${readerId}.`);
      if (port.found) this.options.registry?.reprobe?.(port.found.device.id);
    } else if (!this.cloudById(readerId)) {
      throw new HostError('not_found', `No reader ${readerId}.`);
    } else {
      inBackground(this.refreshCloud(), (e) => this.fail('Listing gateway readers failed', e));
    }
    return this.viewOf(readerId);
  }

  async forget(readerId: string): Promise<void> {
    const controller = this.controllers.get(readerId);
    const record = this.options.journal.getReader(readerId);
    this.refuseIfHolding(readerId);
    if (!controller || !record) {
      const cloud = this.cloudById(readerId);
      if (!cloud) throw new HostError('not_found', `No reader ${readerId}.`);
      const readers = this.requireGatewayReaders();
      // The gateway's own reader may be collecting for another till on the same account (an app's
      // hosted reader is one): the gateway's current view says so, not this till's journal.
      const action = (await readers.get(cloud.id)).action;
      if (action?.status === 'in_progress')
        throw new HostError(
          'conflict',
          `${cloud.label} is collecting a payment of ${formatAmount(action.amount, action.currency)}, perhaps for another till. Let it finish first.`,
        );
      await readers.remove(cloud.terminalId);
      // Gone at once, whatever a read of the list already under way answers (it may name it still).
      this.forgetCloudReader(cloud.terminalId);
      this.changed();
      await this.refreshCloud();
      return;
    }
    this.controllers.delete(readerId);
    this.options.clock.clearTimeout(this.reopenTimers.get(readerId));
    this.reopenTimers.delete(readerId);
    this.reopenAttempts.delete(readerId);
    await controller.stop();
    if (record.kind === 'simulated') await this.simulated.get(record.deviceId)?.close();
    // A real device's port is let go: paired again, or used by pos-reader, it must open.
    else await controller.reader?.close().catch(() => undefined);
    this.simulated.delete(record.deviceId);
    const { terminalId } = record;
    if (terminalId) {
      const removed = await this.gatewayReaders()
        ?.remove(terminalId)
        .then(
          () => true,
          () => false,
        );
      // The gateway's list, read up to a refresh ago — or being read now — still names the removed
      // terminal; taken, it would show as a gateway reader under the forgotten name, and a device
      // found again would be named "… 2". One the gateway could not remove is still there.
      if (removed) this.forgetCloudReader(terminalId);
    }
    this.options.journal.deleteReader(readerId);
    this.tellRegistryPaired();
    this.changed();
  }

  /**
   * Refuses to forget or rewire a reader that is collecting, or that may hold a payment whose
   * outcome is unknown: the payment could then never be cancelled or settled.
   */
  private refuseIfHolding(readerId: string): void {
    if (this.controllers.get(readerId)?.action)
      throw new HostError('conflict', 'This reader is collecting a payment. Finish or cancel it first.');
    // Closing the device would cut the credit off, and the card might then have been credited or not.
    if (this.controllers.get(readerId)?.isCrediting)
      throw new HostError('conflict', 'This terminal is making a refund. Let it finish first.');
    const held = this.options.journal.heldByReader(readerId);
    if (held)
      throw new HostError(
        'conflict',
        held.status === 'unknown'
          ? `This reader may hold a payment whose outcome is unknown (${formatAmount(held.amount, held.currency)}, order ${held.orderReference}): settle it in Needs attention (F8) first.`
          : `This reader is collecting a payment (${formatAmount(held.amount, held.currency)}, order ${held.orderReference}). Finish or cancel it first.`,
      );
  }

  async presentCard(readerId: string, cardNumber?: string): Promise<ReaderView> {
    const controller = this.controllers.get(readerId);
    if (controller) {
      if (!controller.reader && this.options.journal.getReader(readerId)?.kind === 'simulated')
        throw new HostError(
          'conflict',
          'This simulated reader is unplugged for the moment (an injected fault); it comes back by itself.',
        );
      if (!controller.reader?.info.canPresentTestCards)
        throw new HostError('conflict', 'Test cards can only be presented to simulated readers.');
      if (controller.reader.heldByFault?.() === 'no_answer') throw new HostError('conflict', NO_ANSWER_HOLDS);
      if (!controller.presentCard(cardNumber))
        throw new HostError('conflict', 'This reader is not waiting for a card.');
      return this.viewOf(readerId);
    }
    const cloud = this.cloudById(readerId);
    if (!cloud) throw new HostError('not_found', `No reader ${readerId}.`);
    const updated = await this.requireGatewayReaders().simulate(cloud.id, cardNumber);
    this.cloud = this.cloud.map((r) => (r.id === updated.id ? updated : r));
    this.changed();
    return this.viewOf(readerId);
  }

  setFault(readerId: string, fault: SimulatedFault): ReaderView {
    const device = this.controllers.get(readerId)?.reader;
    if (!device?.setFault)
      throw new HostError('conflict', 'Faults can only be injected into simulated readers hosted by this app.');
    device.setFault(fault);
    return this.viewOf(readerId);
  }

  /**
   * Says whether a hosted reader charges through the shop's own bank (a standalone terminal: the
   * till sends it amounts directly, no gateway) and renames it. Not while it collects a payment.
   */
  configure(readerId: string, change: { standalone?: boolean | undefined; label?: string | undefined }): ReaderView {
    const controller = this.controllers.get(readerId);
    const record = this.options.journal.getReader(readerId);
    if (!controller || !record) {
      throw new HostError(
        'not_found',
        this.cloudById(readerId) ? "A gateway's own reader is set up at the gateway." : `No reader ${readerId}.`,
      );
    }
    // A name in use is refused before anything changes: a refused command leaves the reader as it was.
    const label = change.label !== undefined && change.label !== record.label ? change.label : null;
    if (label !== null) this.refuseTakenLabel(label, readerId);
    if (change.standalone !== undefined && change.standalone !== record.standalone) {
      // Rewired, its payment could no longer be settled through the way it was taken.
      this.refuseIfHolding(readerId);
      // Nor could one waiting for the customer's tip go to it once the tip is chosen: it would be
      // left pending behind a customer display saying "One moment, please".
      const waiting = this.options.journal.awaitingTipOnReader(readerId);
      if (waiting)
        throw new HostError(
          'conflict',
          `A payment waiting for the customer's tip (${formatAmount(waiting.amount, waiting.currency)}, order ${waiting.orderReference}) goes to this reader once the tip is chosen. Let it be charged, or cancel it, first.`,
        );
      if (change.standalone && !this.options.standaloneSource)
        throw new HostError('conflict', 'This till cannot drive terminals on their own bank.');
      this.options.journal.setReaderStandalone(readerId, change.standalone);
      this.options.log(
        'reader',
        change.standalone
          ? `${record.label} now charges through the shop's own bank (no gateway)`
          : `${record.label} now charges through the gateway`,
      );
      // A new source: drop the old channel and start over with the other one, if there is one: a
      // gateway taking payments by link has no reader link, so the reader goes back to idle.
      if (this.idleReason(this.options.journal.getReader(readerId)!) === null) controller.reconnect();
      else controller.idle();
    }
    if (label !== null) {
      this.options.journal.upsertReader({ ...this.options.journal.getReader(readerId)!, label });
    }
    this.changed();
    return this.viewOf(readerId);
  }

  /** The name of a reader making a credit now (a refund on a standalone terminal), if any. */
  creditingLabel(): string | null {
    for (const [id, controller] of this.controllers) {
      if (controller.isCrediting) return this.options.journal.getReader(id)?.label ?? id;
    }
    return null;
  }

  /** A credit on a standalone reader's device (its protocol's refund transaction), or 'unsupported'. */
  async refundOnTerminal(
    readerId: string,
    request: { amount: number; currency: string; reference: string },
  ): Promise<CardOutcome | 'unsupported'> {
    const controller = this.controllers.get(readerId);
    if (!controller) throw new HostError('not_found', 'The terminal that took this payment is no longer set up here.');
    return controller.credit(request);
  }

  /** Posts every reader's waiting device outcomes now (the gateway came back). */
  retryReportsNow(): void {
    for (const controller of this.controllers.values()) controller.retryReportsNow();
  }

  setAutoPresentDelay(ms: number): void {
    for (const reader of this.simulated.values()) reader.setAutoPresentDelay(ms);
  }

  /** Re-pairs every hosted reader (after the account or mode changed). */
  async resetPairings(): Promise<void> {
    for (const record of this.options.journal.listReaders()) {
      this.options.journal.upsertReader({ ...record, terminalId: null, gatewayReaderId: null });
    }
    for (const controller of this.controllers.values()) controller.reconnect();
    this.cloud = [];
    await this.refreshCloud();
  }

  // -- ReaderDirectory --------------------------------------------------------------------------

  resolve(readerId: string): ReturnType<ReaderDirectory['resolve']> {
    const controller = this.controllers.get(readerId);
    if (controller) {
      const record = this.options.journal.getReader(readerId);
      if (record?.standalone) {
        return {
          gatewayReaderId: readerId,
          hosted: true,
          online: controller.status === 'online',
          label: record.label,
          standalone: true,
          ...(record.kind === 'simulated' && !this.options.testMode()
            ? { refusal: `${record.label} is a simulated reader: it takes test payments only, not in live mode.` }
            : {}),
        };
      }
      // Until its device is back (a terminal is probed again after a restart) the controller has not
      // paired in this run; the journal knows the terminal, and reconciling must not think it idle.
      const gatewayReaderId = controller.sourceReaderId ?? record?.gatewayReaderId ?? null;
      if (!gatewayReaderId || !record) return undefined;
      return { gatewayReaderId, hosted: true, online: controller.status === 'online', label: record.label };
    }
    if (!readerId.startsWith(CLOUD_PREFIX)) return undefined;
    // A gateway-hosted reader's id names the gateway's reader id, so it resolves before the
    // gateway's reader list has loaded (recovery at start must not take such a reader for gone).
    const cloud = this.cloudById(readerId);
    const gatewayReaderId = readerId.slice(CLOUD_PREFIX.length);
    return {
      gatewayReaderId,
      hosted: false,
      online: cloud?.status === 'online',
      label: cloud?.label ?? gatewayReaderId,
    };
  }

  async cancelCollection(readerId: string): Promise<'canceled' | 'too_late' | 'taken' | 'not_collecting'> {
    return (await this.controllers.get(readerId)?.cancelCollection()) ?? 'not_collecting';
  }

  async settleUnknown(readerId: string, action: ReaderAction, charged: boolean): Promise<void> {
    const controller = this.controllers.get(readerId);
    if (!controller) throw new HostError('not_found', `No reader ${readerId} on this till.`);
    await controller.settleUnknown(action, charged);
  }

  // -- views ------------------------------------------------------------------------------------

  views(): ReaderView[] {
    const hosted = this.options.journal.listReaders().map((record) => this.hostedView(record));
    // A standalone reader keeps its gateway registration (to switch back): still not a cloud reader.
    const hostedTerminals = new Set(this.options.journal.listReaders().map((r) => r.terminalId));
    const paymentIdOf = (transactionId: string) => this.options.paymentOfTransaction(transactionId)?.id ?? null;
    const cloud = this.cloud
      .filter((r) => !hostedTerminals.has(r.terminalId) && !this.isOurs(r))
      .map((r) => cloudView(r, this.options.testMode(), paymentIdOf));
    const paired = new Set(this.options.journal.listReaders().map((r) => r.deviceId));
    const unpaired = (this.options.registry?.devices() ?? [])
      .filter((d) => d.claim.driver !== null && !paired.has(d.device.id))
      .map(unpairedView);
    const ports = this.unclaimedPorts().map(portView);
    return [...hosted, ...cloud, ...unpaired, ...ports];
  }

  /**
   * The ports the technician named (`--reader-port`) that no driver claims and no reader is paired
   * on: shown with why, as nothing else would say it. Unclaimed ports the scans find are not (a
   * machine has many: modems, consoles, Bluetooth), nor one shown under another path.
   */
  private unclaimedPorts(): NamedPort[] {
    const registry = this.options.registry;
    if (!registry?.namedPorts) return [];
    const paired = new Set(this.options.journal.listReaders().map((r) => r.deviceId));
    return registry.namedPorts().filter((port) => {
      if (port.found) return port.found.claim.driver === null && !paired.has(port.found.device.id);
      return !paired.has(serialDeviceId(port.path));
    });
  }

  viewOf(readerId: string): ReaderView {
    const view = this.views().find((v) => v.id === readerId);
    if (!view) throw new HostError('not_found', `No reader ${readerId}.`);
    return view;
  }

  // -- internals --------------------------------------------------------------------------------

  /**
   * The names of the readers the cashier picks from (paired here or the gateway's), in lower case,
   * but `except`'s. Readers are told apart by name on the Create screen and in reports.
   */
  private labelsInUse(except?: string): Set<string> {
    return new Set(
      this.views()
        .filter((view) => view.status !== 'unpaired' && view.id !== except)
        .map((view) => view.label.toLowerCase()),
    );
  }

  /** `base`, or `base 2`, `base 3`… when another reader already has that name. */
  private freeLabel(base: string): string {
    const taken = this.labelsInUse();
    let label = base;
    for (let n = 2; taken.has(label.toLowerCase()); n++) label = `${base} ${n}`;
    return label;
  }

  private refuseTakenLabel(label: string, except?: string): void {
    if (this.labelsInUse(except).has(label.toLowerCase()))
      throw new HostError('validation', `Another reader is already called "${label}": choose another name.`, {
        issues: [{ path: 'label', message: 'another reader has this name' }],
      });
  }

  private fail(summary: string, error: unknown): void {
    this.options.log('error', summary, errorText(error));
  }

  private host(record: HostedReaderRecord): void {
    if (this.controllers.has(record.id)) return;
    const { tuning } = this;
    const controller = new ReaderController({
      id: record.id,
      clock: this.options.clock,
      source: () => this.sourceFor(record.id),
      sink: this.options.sink,
      onChange: () => this.changed(),
      log: this.options.log,
      pollWaitMs: tuning.pollWaitMs,
      collectTimeoutMs: tuning.collectTimeoutMs,
      answerGraceMs: tuning.answerGraceMs,
      ...(record.kind === 'simulated' ? {} : { onDeviceLost: () => this.reopenSoon(record.id) }),
    });
    this.controllers.set(record.id, controller);
    if (record.kind === 'simulated') {
      const device = new SimulatedReader({
        id: record.deviceId,
        label: record.label,
        clock: this.options.clock,
        autoPresentDelayMs: this.options.autoPresentDelayMs(),
        processingMs: tuning.simulatedProcessingMs,
        replugAfterMs: tuning.simulatedReplugMs,
      });
      this.simulated.set(record.deviceId, device);
      device.onReconnect(() => controller.attachDevice(device));
      controller.attachDevice(device);
    }
    if (this.idleReason(record) === null) controller.start();
    this.changed();
  }

  /**
   * Why a hosted reader is left idle (its view says so), or null when it runs: a simulated reader in
   * live mode (its "approvals" would be recorded as real money), or a gateway without a reader
   * link, unless the reader charges through the shop's own bank and needs no gateway.
   */
  private idleReason(record: HostedReaderRecord): string | null {
    if (record.kind === 'simulated' && !this.options.testMode())
      return 'Not used in live mode: a simulated reader takes test payments only. Switch to test mode in Settings (F7) to use it.';
    if (!this.gatewayReaders() && !record.standalone)
      return 'Not used: the active gateway takes payments by link, not on readers.';
    return null;
  }

  /** Where a hosted reader's actions come from: the till (standalone) or the gateway's reader link. */
  private sourceFor(readerId: string): ActionSource {
    if (this.options.journal.getReader(readerId)?.standalone && this.options.standaloneSource)
      return this.options.standaloneSource(readerId);
    return this.linkSource(readerId);
  }

  /** The gateway's reader link as a controller's action source: pair once, a session per channel. */
  private linkSource(readerId: string): ActionSource {
    const readers = this.requireGatewayReaders();
    const throttledForMs = this.options.gatewayThrottledForMs;
    return {
      pair: () => this.ensurePaired(readerId),
      heldForMs: () => throttledForMs?.() ?? 0,
      async open(gatewayReaderId, purpose) {
        const session = await readers.link.open(gatewayReaderId, purpose);
        return {
          id: session.id,
          poll: (version, waitMs, signal) => readers.link.poll(session, version, waitMs, signal),
          post: (actionId, result) => readers.link.postResult(session, actionId, result),
          close: () => readers.link.close(session),
        };
      },
    };
  }

  /** Registers a hosted reader with the gateway once; finds it again if it already exists. */
  private async ensurePaired(readerId: string): Promise<string> {
    const record = this.options.journal.getReader(readerId);
    if (!record) throw new HostError('not_found', `Reader ${readerId} was forgotten.`);
    if (record.gatewayReaderId) return record.gatewayReaderId;
    const readers = this.requireGatewayReaders();
    const device = this.controllers.get(readerId)?.reader;
    const code = record.registrationCode || device?.info.registrationCode || `host-${record.deviceId}`;
    // A code made from a port's name is not the terminal's own: another till's terminal on a port of
    // the same name (/dev/ttyS0) has it too, and pairing would take that till's registration over.
    // This till's reader id makes it its own; a serial number is the terminal's, wherever it is.
    const fromPort = !record.registrationCode && record.kind !== 'simulated' && !device?.info.serialNumber;
    const registrationCode = registrationToken(fromPort ? `${code}-${record.id}` : code);
    let registered;
    try {
      registered = await readers.register({ name: record.label, registrationCode });
    } catch (error) {
      if (!isGatewayError(error, 'terminal_error', 'registration_code_in_use')) throw error;
      registered = await readers.findRegistered(registrationCode);
      if (!registered) throw error;
    }
    this.options.journal.upsertReader({
      ...record,
      registrationCode,
      terminalId: registered.terminalId,
      gatewayReaderId: registered.readerId,
    });
    this.options.log('reader', `Paired ${record.label} as terminal ${registered.readerId}`);
    this.changed();
    return registered.readerId;
  }

  /**
   * A paired device whose port closed under it, or that is listed but could not be opened (another
   * program held the port): opened again while the registry still lists it (1 s, 2 s … up to 30 s
   * apart). A cable pulled and plugged back between two of the registry's scans never shows as a
   * change, nor does a port another program lets go of, so nothing else would open it again; one
   * that is really gone drops out of the registry, and its return is a change that syncRegistry
   * answers.
   */
  private reopenSoon(readerId: string): void {
    if (this.stopped || this.reopenTimers.has(readerId)) return;
    const attempt = this.reopenAttempts.get(readerId) ?? 0;
    this.reopenAttempts.set(readerId, attempt + 1);
    const timer = this.options.clock.setTimeout(
      () => {
        this.reopenTimers.delete(readerId);
        const controller = this.controllers.get(readerId);
        const record = this.options.journal.getReader(readerId);
        if (this.stopped || !controller || !record || controller.hasDevice) return;
        if (!this.options.registry?.devices().some((d) => d.device.id === record.deviceId)) return;
        // A failed open schedules the next try.
        inBackground(this.syncRegistry(), (e) => this.fail('Reader discovery update failed', e));
      },
      Math.min(1_000 * 2 ** attempt, 30_000),
    );
    this.reopenTimers.set(readerId, timer);
  }

  /** A port the registry finds under two paths is shown under the paired one (the device id kept). */
  private tellRegistryPaired(): void {
    this.options.registry?.setPaired?.(this.options.journal.listReaders().map((record) => record.deviceId));
  }

  /**
   * Gives paired real devices to their controllers as the registry sees them come and go. One pass at
   * a time, the next queued behind it (once, however often asked meanwhile): two passes at once both
   * opened a paired device — at every start (the registry's first change, and start()'s own pass) —
   * and the second, refused as already open, said the reader was not connected and scheduled retries.
   */
  private syncRegistry(): Promise<void> {
    if (this.syncQueued) return this.syncQueued;
    const pass = this.syncRunning
      .catch(() => undefined)
      .then(() => {
        this.syncQueued = null;
        return this.syncPass();
      });
    this.syncQueued = pass;
    this.syncRunning = pass;
    return pass;
  }

  private async syncPass(): Promise<void> {
    const registry = this.options.registry;
    if (!registry || this.stopped) return;
    this.tellRegistryPaired();
    const present = new Set(registry.devices().map((d) => d.device.id));
    for (const record of this.options.journal.listReaders()) {
      if (record.kind === 'simulated') continue;
      const controller = this.controllers.get(record.id);
      if (!controller) continue;
      if (present.has(record.deviceId) && !controller.hasDevice) {
        try {
          const device: Reader = await registry.open(record.deviceId);
          controller.attachDevice(device);
          this.reopenAttempts.delete(record.id);
        } catch (error) {
          const reason = errorText(error);
          this.options.log('reader', `Could not open ${record.label}`, reason);
          controller.deviceUnavailable(reason);
          this.reopenSoon(record.id);
        }
      } else if (!present.has(record.deviceId) && controller.hasDevice) {
        controller.deviceLost('device removed');
      }
    }
    this.changed();
  }

  /**
   * Reads the gateway's reader list. Reads overlap (the timer's, a forget's, a reconnect's): an
   * answer is taken only if no newer read's answer was, and without the readers forgotten since the
   * read started — it may have been read before their removal, and would bring them back under
   * their names.
   */
  private async refreshCloud(): Promise<void> {
    this.options.clock.clearTimeout(this.cloudTimer);
    if (this.stopped) return;
    // A gateway that asked the till to wait (429) is not asked for its readers meanwhile: the list
    // shown stays as last read, and is read again on the first tick after the wait.
    if ((this.options.gatewayThrottledForMs?.() ?? 0) > 0) {
      this.scheduleCloudRefresh();
      return;
    }
    const read = ++this.cloudReads;
    try {
      const readers = this.gatewayReaders();
      const listed = readers && this.options.gateway().capabilities.cloudReaders ? await readers.list() : [];
      if (read > this.cloudTaken) {
        this.cloud = listed.filter((r) => (this.removedTerminals.get(r.terminalId) ?? 0) < read);
        this.cloudTaken = read;
        // A read started after a removal is the gateway's word on it: no older answer is taken now.
        for (const [terminalId, before] of this.removedTerminals)
          if (before < read) this.removedTerminals.delete(terminalId);
        this.changed();
      }
    } catch (error) {
      if (!(error instanceof HostError))
        this.options.log('reader', 'Could not list the gateway readers', errorText(error));
    }
    this.scheduleCloudRefresh();
  }

  private scheduleCloudRefresh(): void {
    if (this.stopped) return;
    // One timer at a time, whichever of overlapping reads ends last.
    this.options.clock.clearTimeout(this.cloudTimer);
    this.cloudTimer = this.options.clock.setTimeout(
      () => inBackground(this.refreshCloud(), (e) => this.fail('Listing gateway readers failed', e)),
      this.tuning.cloudRefreshMs ?? 5_000,
    );
  }

  /** A reader the gateway removed: out of the list now, and out of any read already under way. */
  private forgetCloudReader(terminalId: string): void {
    this.cloud = this.cloud.filter((r) => r.terminalId !== terminalId);
    this.removedTerminals.set(terminalId, this.cloudReads);
  }

  private cloudById(readerId: string): RemoteReader | undefined {
    if (!readerId.startsWith(CLOUD_PREFIX)) return undefined;
    const gatewayReaderId = readerId.slice(CLOUD_PREFIX.length);
    return this.cloud.find((r) => r.id === gatewayReaderId);
  }

  private isOurs(reader: RemoteReader): boolean {
    return [...this.controllers.values()].some((c) => c.sourceReaderId === reader.id);
  }

  private hostedView(record: HostedReaderRecord): ReaderView {
    const controller = this.controllers.get(record.id);
    const device = controller?.reader;
    const found = this.options.registry?.devices().find((d) => d.device.id === record.deviceId)?.device;
    const idle = this.idleReason(record);
    // Not found at all (its port gone since the last start, not given again, the terminal unplugged):
    // where it was looked for and what to do, not only that it is not connected.
    const absent = record.kind !== 'simulated' && !found && !controller?.hasDevice ? this.absentDetail(record) : null;
    // Busy while it may still hold a payment whose outcome is unknown, even with nothing running.
    const held = controller?.action ? undefined : this.options.journal.unresolvedOnReader(record.id);
    const action =
      controller?.action ??
      (held?.transactionId ? { transactionId: held.transactionId, stage: null, status: 'unknown' } : null);
    return {
      id: record.id,
      label: record.label,
      kind: record.kind === 'concert' ? 'concert' : 'simulated',
      hosted: true,
      foundBy: record.kind === 'simulated' ? 'simulated' : (found?.foundBy ?? device?.info.foundBy ?? 'serial'),
      deviceId: record.deviceId,
      path: found?.path ?? device?.info.path ?? serialPathOf(record.deviceId),
      serialNumber: found?.serialNumber ?? device?.info.serialNumber ?? null,
      model: found?.model ?? device?.info.model ?? null,
      softwareVersion: device?.info.softwareVersion ?? null,
      terminalId: record.standalone ? null : record.terminalId,
      standalone: record.standalone,
      status: idle === null ? (controller?.status ?? 'offline') : 'offline',
      // A credit on the device (a refund on a terminal on the shop's bank): said, as it holds the
      // terminal (nothing is collected, forgotten or rewired until it is over).
      statusDetail:
        idle ??
        controller?.journalProblem ??
        (controller?.isCrediting ? 'Making a refund: the customer presents the card to credit.' : null) ??
        absent ??
        controller?.statusDetail ??
        null,
      lastSeenAt: controller?.lastSeenAt ?? null,
      canPresentTestCards: this.options.testMode() && (device?.info.canPresentTestCards ?? false),
      ...(this.options.testMode() && device?.heldByFault?.() === 'no_answer'
        ? { heldByFault: 'no_answer' as const }
        : {}),
      ...(device?.cancelsUntil === 'request' ? { cancelsUntil: 'request' as const } : {}),
      action: action
        ? {
            paymentId: this.options.paymentOfTransaction(action.transactionId)?.id ?? null,
            transactionId: action.transactionId,
            stage: action.stage,
            status: action.status,
          }
        : null,
    };
  }

  /**
   * Why a paired device the registry does not list is not there, and what to do: a serial port given
   * by configuration is looked for at its path; any other is not watched unless the system lists it
   * (a socat pty or a COM port the system does not list must be given again at every start). Null
   * without discovery (no registry: nothing is looked for).
   */
  private absentDetail(record: HostedReaderRecord): string | null {
    const registry = this.options.registry;
    if (!registry) return null;
    const path = serialPathOf(record.deviceId);
    if (path !== null) {
      if (registry.namedPorts?.().some((port) => port.path === path))
        return `Nothing is at ${path}: check that the terminal is plugged in and on (a socat pty exists only while socat runs). It is looked for every 2 s.`;
      return (
        `${path} is not found: plug the terminal in (serial ports are looked for every 2 s). ` +
        `A port the system does not list (a socat pty, some COM ports) is watched only when given, at every start: --reader-port ${path} or POS_READER_PORTS.`
      );
    }
    if (record.deviceId.startsWith('usb:'))
      return 'Not found on USB: plug the terminal in and switch it on; it is found by itself. One listed under Found, not paired without a serial port needs the cdc_acm driver and USB cash-register mode.';
    return null;
  }

  /** Coalesces bursts of changes into one readers event. */
  private changed(): void {
    if (this.changeTimer || this.stopped) return;
    this.changeTimer = this.options.clock.setTimeout(() => {
      this.changeTimer = undefined;
      this.options.onChange();
    }, 10);
  }
}

function cloudView(
  reader: RemoteReader,
  testMode: boolean,
  paymentIdOf: (transactionId: string) => string | null,
): ReaderView {
  const action = reader.action;
  return {
    id: CLOUD_PREFIX + reader.id,
    label: reader.label,
    kind: 'cloud',
    hosted: false,
    foundBy: 'cloud',
    deviceId: null,
    path: null,
    serialNumber: reader.serialNumber,
    model: reader.simulated ? 'Gateway simulated reader' : reader.deviceType,
    softwareVersion: reader.softwareVersion,
    terminalId: reader.terminalId,
    standalone: false,
    status: reader.status,
    statusDetail: null,
    lastSeenAt: reader.lastSeenAt,
    canPresentTestCards: testMode && reader.simulated,
    action: action
      ? {
          paymentId: paymentIdOf(action.paymentId),
          transactionId: action.paymentId,
          stage: action.status === 'in_progress' ? 'waiting_for_card' : null,
          status: action.status,
        }
      : null,
  };
}

function unpairedView(found: DiscoveredDevice): ReaderView {
  const { device } = found;
  return {
    id: `rdr_device_${device.id.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 84),
    label: labelFor(found),
    kind: 'concert',
    hosted: true,
    foundBy: device.foundBy,
    deviceId: device.id,
    path: device.path ?? null,
    serialNumber: device.serialNumber ?? null,
    model: device.model ?? null,
    softwareVersion: null,
    terminalId: null,
    standalone: false,
    status: 'unpaired',
    statusDetail: found.claim.driver
      ? `Recognised as a ${found.claim.driver} terminal (${found.claim.by}). Pair it to use it.`
      : null,
    lastSeenAt: null,
    canPresentTestCards: false,
    action: null,
  };
}

/**
 * A registration code as a plain token of at most 64 characters: a port path like /dev/ttyACM0 becomes
 * concert--dev-ttyACM0. A longer one keeps its start and a digest of the whole: ports named by udev
 * (`/dev/serial/by-id/usb-FTDI_…-if01-port0`) differ only at the end, and cut there, every port of a
 * multi-port adapter had one code — the second terminal paired took over the first's registration.
 */
function registrationToken(code: string): string {
  const token = code.replace(/[^A-Za-z0-9_-]/g, '-');
  if (token.length <= 64) return token;
  return `${token.slice(0, 53)}-${createHash('sha256').update(code).digest('hex').slice(0, 10)}`;
}

/** The port path a serial device id names (`serial:/dev/ttyACM0`), or null for another device. */
function serialPathOf(deviceId: string): string | null {
  return deviceId.startsWith('serial:') ? deviceId.slice('serial:'.length) : null;
}

function portViewId(path: string): string {
  return `${PORT_PREFIX}${path.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 84);
}

/** A named port no driver claims: what the registry found there, and what to do about it. */
function portView(port: NamedPort): ReaderView {
  return {
    id: portViewId(port.path),
    label: port.path,
    kind: 'port',
    hosted: true,
    foundBy: 'serial',
    deviceId: null,
    path: port.path,
    serialNumber: port.found?.device.serialNumber ?? null,
    model: port.found?.device.model ?? null,
    softwareVersion: null,
    terminalId: null,
    standalone: false,
    status: 'unpaired',
    statusDetail: portDetail(port),
    lastSeenAt: null,
    canPresentTestCards: false,
    action: null,
  };
}

/**
 * Why no reader is used on a named port, in the registry's words (those `pos-reader list` prints,
 * which the troubleshooting table matches), with what to do where they do not say it already.
 */
function portDetail(port: NamedPort): string {
  if (!port.found)
    return (
      'Nothing is at this path: check the port given with --reader-port (a socat pty exists only while socat runs). ' +
      'It is looked for every 2 s.'
    );
  const claim = port.found.claim;
  const reason = claim.driver === null ? claim.reason : '';
  if (reason === 'probing…') return 'Checking whether a card terminal answers on this port…';
  const again = 'It is asked again by itself (within a minute), or now with Try again.';
  if (/not a serial port/.test(reason))
    return `No reader: ${reason}. Check the port given with --reader-port: it must be the terminal's serial port (e.g. /dev/ttyACM0).`;
  if (/Permission denied/.test(reason)) return `No reader: ${reason}. ${again}`;
  if (/Cannot lock port/.test(reason)) return `No reader: ${reason}; close it. ${again}`;
  if (/did not answer/.test(reason))
    return (
      `No reader: ${reason}. Check that the terminal is on, not busy with a card, with Cash connection = On ` +
      `and its link (USB or COM) matching the cable; a device that is not a Concert terminal never answers. ${again}`
    );
  return `No reader: ${reason}.`;
}

function labelFor(found: DiscoveredDevice): string {
  const { device } = found;
  const model = device.model ?? (found.claim.driver === 'concert' ? 'Ingenico terminal' : 'Reader');
  return device.path ? `${model} on ${device.path}` : model;
}
