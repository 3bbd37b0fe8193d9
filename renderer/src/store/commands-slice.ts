import type { StateCreator } from 'zustand';
import type {
  CommandError,
  CommandInput,
  CommandName,
  CommandResult,
  CommandResults,
  PaymentView,
  PosBridge,
  Result,
} from '../../../common/contract';
import {
  choosesChannel,
  createInput,
  defaultReader,
  draftChannel,
  draftCurrency,
  draftTip,
  shopTimeZone,
  validateDraft,
} from './selectors';
import { APPROVED } from './host-slice';
import { emptyDraft, LAST_CURRENCY_KEY, remember, type Preferences } from './ui-slice';
import { surelyNotDone } from '../lib/errors';
import { newRequestId } from '../lib/order-ref';
import type { CommandsSlice, Draft, PosState } from './types';

/** Commands that move money: never re-sent by the UI; an unknown outcome means "refresh, then look". */
export const MONEY_COMMANDS: ReadonlySet<CommandName> = new Set<CommandName>([
  'payments.create',
  'payments.setTip',
  'payments.process',
  'payments.cancel',
  'payments.cancelCreate',
  'payments.capture',
  'payments.refund',
  'customer.chooseTip',
  'simulate.presentCard',
  'simulate.payLink',
  'installments.create',
  'installments.abort',
  'settlements.release',
  'settlements.cancel',
]);

const PAYMENT_RESULTS: ReadonlySet<CommandName> = new Set<CommandName>([
  'payments.create',
  'payments.setTip',
  'payments.process',
  'payments.cancel',
  'payments.capture',
  'payments.refund',
  'attention.retry',
  'payments.annotate',
  'simulate.payLink',
  'settlements.release',
  'settlements.cancel',
]);

const READER_RESULTS: ReadonlySet<CommandName> = new Set<CommandName>([
  'readers.pair',
  'readers.addSimulated',
  'readers.reconnect',
  'simulate.presentCard',
  'simulate.setFault',
]);

function outcomeUnknown(error: CommandError): boolean {
  return !surelyNotDone(error);
}

/** Writes a successful result into the host mirror: the host's answer, never a guess. */
function applyResult(state: PosState, name: CommandName, input: unknown, value: unknown): void {
  if (name === 'payments.create') {
    // The payment, without the note that sending it failed (shown as the payment's error instead).
    const { notSent: _notSent, ...payment } = value as CommandResults['payments.create'];
    state.applyPayment(payment);
  } else if (name === 'payments.cancelCreate') {
    // Null: the host holds the cancel until the create reaches it (its payment is reported canceled).
    if (value) state.applyPayment(value as PaymentView);
  } else if (PAYMENT_RESULTS.has(name)) {
    state.applyPayment(value as PaymentView);
  } else if (READER_RESULTS.has(name)) {
    state.upsertReader(value as CommandResults['readers.pair']);
  } else if (name === 'readers.list' || name === 'readers.scan') {
    state.setReaders(value as CommandResults['readers.list']);
  } else if (name === 'readers.forget') {
    state.removeReader((input as CommandInput<'readers.forget'>).readerId);
  } else if (name === 'settlements.list') {
    for (const payment of (value as CommandResults['settlements.list']).payments) state.applyPayment(payment);
  } else if (name === 'payments.list') {
    for (const payment of value as CommandResults['payments.list']) state.applyPayment(payment);
  } else if (name === 'payments.open') {
    for (const payment of (value as CommandResults['payments.open']).payments) state.applyPayment(payment);
  } else if (name === 'payments.uncaptured') {
    for (const payment of (value as CommandResults['payments.uncaptured']).payments) state.applyPayment(payment);
  } else if (name === 'settings.get' || name === 'settings.update' || name === 'settings.newDisplayAddress') {
    state.applySettings(value as CommandResults['settings.get']);
  } else if (name === 'attention.list') {
    state.setAttention(value as CommandResults['attention.list']);
  } else if (name === 'devlog.list') {
    state.mergeDevlog(value as CommandResults['devlog.list']);
  } else if (name === 'transactions.get') {
    const payment = (value as CommandResults['transactions.get']).payment;
    if (payment) state.applyPayment(payment);
  }
}

export const createCommandsSlice =
  (
    bridge: PosBridge,
    prefs: Preferences | null,
    resync: () => Promise<void>,
  ): StateCreator<PosState, [], [], CommandsSlice> =>
  (set, get) => {
    const markBusy = (key: string, on: boolean) =>
      set((state) => {
        const busy = { ...state.busy };
        if (on) busy[key] = true;
        else delete busy[key];
        return { busy };
      });

    const run = async <N extends CommandName>(
      name: N,
      input: CommandInput<N>,
      busyKey?: string,
    ): Promise<Result<CommandResult<N>>> => {
      if (busyKey) markBusy(busyKey, true);
      try {
        let result: Result<CommandResult<N>>;
        try {
          result = await bridge.invoke(name, input);
        } catch (error) {
          result = {
            ok: false,
            error: { code: 'internal', message: `The request could not be sent: ${String(error)}` },
          };
        }
        if (result.ok) {
          applyResult(get(), name, input, result.value);
        } else if (MONEY_COMMANDS.has(name) && outcomeUnknown(result.error)) {
          // The host may have done it: refresh from the host instead of trying again.
          await resync();
        }
        return result;
      } finally {
        if (busyKey) markBusy(busyKey, false);
      }
    };

    const processPayment = async (paymentId: string, readerId: string): Promise<Result<PaymentView>> => {
      // The command goes out first (run() sends before its first await), the screen's bookkeeping
      // after: it cannot change what is sent, and it held up the reader by about a millisecond
      // (figure 7 of `npm run bench`).
      const sending = run('payments.process', { paymentId, readerId }, `process:${paymentId}`);
      get().chooseReader(readerId);
      get().setPaymentError(null);
      const result = await sending;
      if (!result.ok) get().setPaymentError({ paymentId, error: result.error });
      return result;
    };

    return {
      busy: {},
      run,
      processPayment,

      async cancelPayment(paymentId) {
        get().setPaymentError(null);
        const result = await run('payments.cancel', { paymentId }, `cancel:${paymentId}`);
        // Refused because the customer paid meanwhile, and the approval is already on screen: moot.
        const now = get().host.payments[paymentId];
        if (!result.ok && !(now && APPROVED.has(now.status))) get().setPaymentError({ paymentId, error: result.error });
        return result;
      },

      cancelCharge() {
        const { ui, host, busy } = get();
        const shown = ui.selectedPaymentId ? host.payments[ui.selectedPaymentId] : undefined;
        if (shown) {
          // The host has it: it cancels it once its create is answered (one payment at a time).
          if (shown.status === 'creating' && !busy[`cancel:${shown.id}`]) void get().cancelPayment(shown.id);
          return;
        }
        const pending = ui.pendingCharge;
        if (!pending || pending.cancelAsked) return;
        // The host has not reported it: the cancel names the charge itself, and goes now. The host
        // keeps it (journaled with the payment, or held until the create arrives), so a reload
        // right after Esc does not lose it.
        set((s) => ({
          ui: { ...s.ui, pendingCharge: s.ui.pendingCharge && { ...s.ui.pendingCharge, cancelAsked: true } },
        }));
        const { requestId, orderReference, earlier } = pending;
        void run('payments.cancelCreate', { requestId, orderReference }, `cancel:${requestId}`).then((result) => {
          if (result.ok) return;
          const payment = Object.values(get().host.payments).find(
            (p) => p.orderReference === orderReference && !earlier.includes(p.id),
          );
          if (payment && !APPROVED.has(payment.status))
            get().setPaymentError({ paymentId: payment.id, error: result.error });
        });
      },

      async charge() {
        const state = get();
        if (state.busy.create) return;
        const currency = draftCurrency(state);
        const issues = validateDraft(state.ui.draft, currency, state.host.gateway);
        if (issues.length > 0) {
          set((s) => ({
            ui: { ...s.ui, createError: { code: 'validation', message: 'Check the highlighted fields.', issues } },
          }));
          return;
        }
        const input = createInput(
          state.ui.draft,
          currency,
          state.host.gateway?.capabilities.splitSettlement ?? false,
          choosesChannel(state.host.gateway),
        );
        // From now on the host may have a payment or plan under this reference: it is never made again.
        set((s) => ({ ui: { ...s.ui, createError: null, draft: { ...s.ui.draft, autoReferenceSent: true } } }));
        if (state.ui.draft.installments > 1) {
          // An installment plan: the customer pays the first part by link, the gateway charges the rest.
          // Process payment says at once what is being charged, as for a payment (figure 7 of the bench).
          const count = state.ui.draft.installments;
          const planning = run(
            'installments.create',
            {
              amount: input.amount,
              currency,
              count,
              customer: input.customer!,
              orderReference: input.orderReference,
              // No description: a plan keeps none (validateDraft says so on the field).
            },
            'create',
          );
          set((s) => ({
            ui: {
              ...s.ui,
              screen: 'process',
              selectedPaymentId: null,
              selectedPlan: null,
              notice: null,
              paymentError: null,
              lastCharge: null,
              pendingPlan: { amount: input.amount, currency, count },
            },
          }));
          const planned = await planning;
          const stillShown = get().ui.screen === 'process';
          set((s) => ({ ui: { ...s.ui, pendingPlan: null } }));
          if (!planned.ok) {
            // Back to the form as it was charged, with the host's answer (the cashier may have gone
            // elsewhere meanwhile: they are left there).
            set((s) => ({
              ui: { ...s.ui, createError: planned.error, screen: stillShown ? 'create' : s.ui.screen },
            }));
            return;
          }
          remember(prefs, LAST_CURRENCY_KEY, currency);
          get().resetDraft();
          get().showPlan(planned.value);
          get().setScreen('process');
          return;
        }
        // The tip (asked on the customer display, or typed), and the reader: the host sends the
        // payment to it as soon as it is created (or, waiting for the customer's tip, once chosen).
        const tip = draftTip(state);
        const target = defaultReader(state);
        const gateway = state.host.gateway;
        const byGateway = gateway ? gateway.capabilities.readerLink || gateway.capabilities.cloudReaders : true;
        // A QR link goes to no reader, whichever is the default.
        const onReader = draftChannel(state.ui.draft, gateway) === 'card_present';
        const sendsTo =
          onReader && target && (target.standalone || byGateway) && !input.savedCardId ? target.id : undefined;
        // The draft as sent, with its order reference marked as sent (set above).
        const charged = get().ui.draft;
        const requestId = newRequestId();
        const sending = run(
          'payments.create',
          { ...input, ...(tip ?? {}), ...(sendsTo ? { readerId: sendsTo } : {}), requestId },
          'create',
        );
        // The command is out (run() sends before its first await): show the Process screen now, so
        // Enter visibly does something however slow the gateway, and the screen is drawn while the
        // host works rather than when the card is already being read (figure 7 of `npm run bench`).
        const earlier = Object.values(get().host.payments)
          .filter((p) => p.orderReference === input.orderReference)
          .map((p) => p.id);
        // The form is the next sale's from now on: blank, with an order reference of its own. A
        // cashier who goes back to it (F1) while this one is on its way types a new amount, not digits
        // added to this one's (found in Chromium: $11.12, then F1 and 1113, charged $111,211.13). Esc,
        // which would clear it, does nothing while a charge is on its way.
        const next: Draft = { ...emptyDraft(shopTimeZone(state)), currency: charged.currency };
        const lastCharge = { orderReference: input.orderReference, at: new Date().toISOString() };
        set((s) => ({
          ui: {
            ...s.ui,
            draft: next,
            draftNotice: null,
            screen: 'process',
            selectedPaymentId: null,
            selectedPlan: null,
            notice: null,
            paymentError: null,
            // Kept for a reload: the page opens on this payment again, and says how it ended.
            lastCharge,
            pendingCharge: {
              orderReference: input.orderReference,
              requestId,
              amount: input.amount,
              currency,
              readerLabel: sendsTo ? (target?.label ?? null) : null,
              earlier,
              tip,
              cancelAsked: false,
            },
          },
        }));
        const created = await sending;
        // The cashier may have gone elsewhere (F5, F6…) while it was on its way: leave them there.
        const stillShown = get().ui.screen === 'process';
        // Esc was pressed while it was created: the cancel is the host's (payments.cancelCreate);
        // what the reader did not get is moot.
        const cancelAsked = get().ui.pendingCharge?.cancelAsked === true;
        get().setPendingCharge(null);
        if (!created.ok) {
          // Back to the form as it was charged, with the host's answer (what was not charged must be
          // seen, even over a next sale begun meanwhile) — but a saved card the host refused (expired,
          // forgotten, no longer charged by the gateway) is no longer the choice: the next Enter would
          // only be refused again, with the card list gone from the screen.
          const cardRefused = created.error.issues?.some((issue) => issue.path === 'savedCardId') === true;
          set((s) => ({
            ui: {
              ...s.ui,
              createError: created.error,
              selectedPaymentId: null,
              screen: stillShown ? 'create' : s.ui.screen,
              draft: cardRefused ? { ...charged, savedCardId: null } : charged,
              // Nothing to show again after a reload (unless the host turns out to have it, below).
              lastCharge: s.ui.lastCharge === lastCharge ? null : s.ui.lastCharge,
            },
          }));
          if (outcomeUnknown(created.error)) {
            // run() refreshed the mirror; if the host did create it, show that payment instead of creating another.
            const existing = Object.values(get().host.payments).find(
              (p) => p.orderReference === input.orderReference && !earlier.includes(p.id),
            );
            if (existing) {
              if (cancelAsked) void get().cancelPayment(existing.id);
              get().resetDraft();
              get().selectPayment(existing.id);
              // A cashier gone elsewhere meanwhile (F8 to Needs attention, say) is left there.
              if (stillShown) get().setScreen('process');
              set((s) => ({ ui: { ...s.ui, lastCharge } }));
              get().setNotice(
                created.error.code === 'offline'
                  ? 'The gateway did not answer, but the host has the payment and finishes it with the gateway when it is back. Check its state below before charging again.'
                  : 'The connection dropped while creating the payment, but the host has it. Check its state below before charging again.',
              );
            }
          }
          return;
        }
        const { notSent, ...payment } = created.value;
        if (sendsTo) get().chooseReader(sendsTo);
        remember(prefs, LAST_CURRENCY_KEY, currency);
        set((s) => ({ ui: { ...s.ui, lastCurrency: currency } }));
        // The form is already the next sale's (blank, or what the cashier has typed there since).
        get().selectPayment(payment.id);
        if (cancelAsked) return;
        // The screen was drawn before the answer: unless the reader has it (nothing to press then),
        // put the focus where the answer says, e.g. on "Send to reader" when no reader got it.
        if (stillShown && (notSent || payment.status !== 'in_progress')) get().refocus();
        if (notSent) {
          // Created, but the reader did not get it: the payment waits on Process to be sent again.
          get().setPaymentError({ paymentId: payment.id, error: notSent });
          if (outcomeUnknown(notSent)) await resync();
          return;
        }
        get().setPaymentError(null);
        // Paid by link (a QR for the customer) or charged to a saved card: no reader involved; a
        // payment waiting for the customer's tip goes to its reader once the tip is chosen.
        if (payment.channel !== 'card_present' || payment.tip?.state === 'awaiting' || sendsTo) return;
        get().setPaymentError({
          paymentId: payment.id,
          error: {
            code: 'conflict',
            message:
              'No reader is online, so the payment was created but not sent. Pick a reader below, or connect one on the Readers screen (F6).',
          },
        });
      },

      resync,
    };
  };
