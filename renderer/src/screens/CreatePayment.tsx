import { useMemo, useRef, useState, type FormEvent } from 'react';
import type { CommandError, SavedCardView } from '../../../common/contract';
import { PAYMENT_CURRENCIES } from '../../../common/currencies';
import { AmountInput, refusedField } from '../components/AmountInput';
import { ErrorBox } from '../components/ErrorBox';
import { LiveRegion } from '../components/LiveRegion';
import { ConfirmChoice } from '../components/ConfirmChoice';
import { RadioGroup } from '../components/RadioGroup';
import { describedBy, Field } from '../components/Field';
import { SplitEditor } from '../components/SplitEditor';
import { usePos, usePosStore } from '../store/context';
import type { PendingCharge, PendingPlan } from '../store/types';
import {
  busyWith,
  choosesChannel,
  customerEmailIssue,
  defaultReader,
  displayConnected,
  draftChannel,
  draftCurrency,
  draftTipMode,
  isOnline,
  splitRemainder,
  draftTakesTip,
} from '../store/selectors';
import { TIP_PRESETS as DEFAULT_TIP_PRESETS, tipForPercent } from '../../../common/tips';
import { currencyName, money } from '../lib/format';
import { planChargingText } from '../lib/labels';
import { issueFor } from '../lib/errors';
import { enterInSelectSubmits, useFocusFirstInvalid, useKey } from '../lib/hooks';

const FIELD_PATHS = [
  'amount',
  'currency',
  'description',
  'orderReference',
  'captureMethod',
  'customerId',
  'receiptEmail',
  'customer.email',
  'customer.firstName',
  'customer.lastName',
  'savedCardId',
  'count',
  'channel',
  'splits',
  'tip',
];

/** The tip, when tipping is on: asked on the customer display, or typed by the cashier. */
function TipSection({ currency, error }: { currency: string; error: CommandError | null }) {
  const draft = usePos((s) => s.ui.draft);
  const updateDraft = usePos((s) => s.updateDraft);
  const presets = usePos((s) => s.host.settings?.counter.tipping.presets ?? DEFAULT_TIP_PRESETS);
  const mode = usePos(draftTipMode);
  const display = usePos(displayConnected);
  const tipOf = (percent: number) => {
    try {
      return draft.amount > 0 ? money(tipForPercent(draft.amount, percent, currency), currency) : null;
    } catch {
      return null;
    }
  };
  const tipError = issueFor(error, 'tip');
  return (
    <RadioGroup
      legend="Tip"
      name="tipMode"
      className="tip-section"
      value={mode === 'percent' ? `percent-${draft.tipPercent}` : mode}
      options={[
        {
          value: 'ask',
          label: `The customer chooses on the customer display${display ? '' : ' (no display is connected)'}`,
        },
        { value: 'none', label: 'No tip' },
        ...presets.map((percent) => ({
          value: `percent-${percent}`,
          label: `${percent} %${tipOf(percent) ? ` (${tipOf(percent)})` : ''}`,
        })),
        { value: 'custom', label: 'Another amount' },
      ]}
      onChange={(choice) =>
        choice.startsWith('percent-')
          ? updateDraft({ tipMode: 'percent', tipPercent: Number(choice.slice('percent-'.length)) })
          : updateDraft({ tipMode: choice as 'ask' | 'none' | 'custom' })
      }
    >
      {mode === 'custom' ? (
        <AmountInput
          id="tipCustom"
          label="Tip amount"
          value={draft.tipCustom}
          currency={currency}
          onChange={(tipCustom) => updateDraft({ tipCustom })}
          error={tipError}
        />
      ) : tipError ? (
        <p className="field__error">{tipError}</p>
      ) : null}
    </RadioGroup>
  );
}

/** Which reader the payment goes to, when more than one is online (a terminal on the shop's bank, say). */
function ReaderChoice() {
  const readers = usePos((s) => s.host.readers);
  const reader = usePos(defaultReader);
  const chooseReader = usePos((s) => s.chooseReader);
  const online = readers.filter((r) => isOnline(r) && r.status !== 'unpaired');
  if (online.length < 2) return null;
  return (
    <Field id="create-reader" label="Reader">
      <select id="create-reader" value={reader?.id ?? ''} onChange={(e) => chooseReader(e.target.value)}>
        {online.map((r) => (
          <option key={r.id} value={r.id}>
            {r.label}
            {r.standalone ? " (shop's own bank)" : ''}
            {busyWith(r) ? ' — busy' : ''}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** The amount with the draft's tip, for the Charge summary. */
function withTip(amount: number, currency: string, mode: string, percent: number, custom: number): string {
  try {
    if (mode === 'percent')
      return `${money(amount + tipForPercent(amount, percent, currency), currency)} with a ${percent} % tip`;
    if (mode === 'custom' && custom > 0)
      return `${money(amount + custom, currency)} with a ${money(custom, currency)} tip`;
    if (mode === 'ask') return `${money(amount, currency)} + the tip the customer chooses`;
  } catch {
    // an amount the tip rules refuse: the host says why on Charge
  }
  return money(amount, currency);
}

/**
 * While a charge is on its way, over a form already blank for the next sale: what is being charged,
 * and where (found in Chromium: "Charging…" alone said nothing of which sale).
 */
function chargingText(pending: PendingCharge | null, plan: PendingPlan | null): string {
  if (plan) return planChargingText(plan);
  if (!pending) return 'Charging…';
  const { amount, currency, tip } = pending;
  const what = !tip
    ? money(amount, currency)
    : 'askTip' in tip
      ? withTip(amount, currency, 'ask', 0, 0)
      : tip.tip.kind === 'percent'
        ? withTip(amount, currency, 'percent', tip.tip.percent, 0)
        : withTip(amount, currency, tip.tip.kind, 0, tip.tip.kind === 'custom' ? tip.tip.amount : 0);
  return `Charging ${what}${pending.readerLabel ? ` on ${pending.readerLabel}` : ''}…`;
}

/** Who pays, saved cards and installments: what a gateway that keeps cards or plans offers. */
function CustomerSection({ error }: { error: CommandError | null }) {
  const draft = usePos((s) => s.ui.draft);
  const updateDraft = usePos((s) => s.updateDraft);
  const capabilities = usePos((s) => s.host.gateway?.capabilities);
  const run = usePos((s) => s.run);
  const looking = usePos((s) => s.busy['saved-cards'] === true);
  const store = usePosStore();
  // The cards found, with the email they were found for: a form cleared (Esc) or another email
  // typed shows none (found by using the app: after Esc it said "No saved card for .").
  const [found, setFound] = useState<{ email: string; cards: SavedCardView[] } | null>(null);
  const cards = found && found.email === draft.customerEmail.trim() ? found.cards : null;
  // The card whose Forget is being confirmed: the till never charges it again once forgotten.
  const [forgetting, setForgetting] = useState<string | null>(null);
  const [lookupError, setLookupError] = useState<CommandError | null>(null);
  // An email Find saved cards cannot look up: said on the Email field, the cursor back in it, for
  // as long as that email is the one typed (Esc clearing the form takes it away too).
  const [lookupEmailIssue, setLookupEmailIssue] = useState<{ email: string; message: string } | null>(null);
  const emailInput = useRef<HTMLInputElement>(null);
  const err = (path: string) => issueFor(error, path);
  const emailError =
    err('customer.email') ??
    (lookupEmailIssue && lookupEmailIssue.email === draft.customerEmail.trim() ? lookupEmailIssue.message : null);
  const cardError = err('savedCardId');
  const lookUp = async () => {
    setLookupError(null);
    const email = draft.customerEmail.trim();
    // An email typed wrong is said as such, here, rather than sent for the host's schema to refuse.
    const emailIssue = customerEmailIssue(email);
    if (emailIssue) {
      setLookupEmailIssue({ email, message: emailIssue });
      emailInput.current?.focus();
      return;
    }
    const result = await run('savedCards.list', { customer: email }, 'saved-cards');
    if (result.ok) {
      setFound({ email, cards: result.value });
      // A card chosen before it became unusable, or no longer offered at all (forgotten, refused by
      // the gateway), is not charged: back to paying by link.
      const current = store.getState().ui.draft.savedCardId;
      const chosen = result.value.find((card) => card.cardId === current);
      if (current !== null && (!chosen || chosen.unusable)) updateDraft({ savedCardId: null });
    } else setLookupError(result.error);
  };
  if (!capabilities?.savedCards && !capabilities?.installments) return null;
  const forget = async (cardId: string) => {
    setForgetting(null);
    const result = await run('savedCards.forget', { cardId }, 'saved-cards');
    if (result.ok) {
      setFound((current) => current && { ...current, cards: current.cards.filter((c) => c.cardId !== cardId) });
      if (draft.savedCardId === cardId) updateDraft({ savedCardId: null });
    } else setLookupError(result.error);
  };
  const range = capabilities.installments;
  return (
    <fieldset className="field customer-section">
      <legend>Customer</legend>
      <p className="muted">Needed to save the card, to charge a saved card, or to pay in installments.</p>
      <div className="inline-fields">
        <Field id="customerEmail" label="Email" error={emailError}>
          <input
            {...describedBy('customerEmail', null, emailError)}
            ref={emailInput}
            type="email"
            autoComplete="off"
            value={draft.customerEmail}
            onChange={(e) => {
              updateDraft({ customerEmail: e.target.value, savedCardId: null });
              setFound(null);
              setLookupError(null);
              setLookupEmailIssue(null);
            }}
          />
        </Field>
        <Field id="customerFirstName" label="First name" error={err('customer.firstName')}>
          <input
            {...describedBy('customerFirstName', null, err('customer.firstName'))}
            type="text"
            autoComplete="off"
            value={draft.customerFirstName}
            onChange={(e) => updateDraft({ customerFirstName: e.target.value })}
          />
        </Field>
        <Field id="customerLastName" label="Last name" error={err('customer.lastName')}>
          <input
            {...describedBy('customerLastName', null, err('customer.lastName'))}
            type="text"
            autoComplete="off"
            value={draft.customerLastName}
            onChange={(e) => updateDraft({ customerLastName: e.target.value })}
          />
        </Field>
      </div>
      {range ? (
        <Field id="installments" label="Pay" error={err('count')}>
          <select
            {...describedBy('installments', null, err('count'))}
            value={draft.installments}
            onChange={(e) => updateDraft({ installments: Number(e.target.value), savedCardId: null })}
          >
            <option value={1}>In one payment</option>
            {Array.from({ length: range.maxCount - range.minCount + 1 }, (_, i) => range.minCount + i).map((n) => (
              <option key={n} value={n}>
                In {n} installments (first today, then monthly)
              </option>
            ))}
          </select>
        </Field>
      ) : null}
      {capabilities.savedCards && draft.installments === 1 ? (
        <>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={draft.saveCard}
              disabled={draft.savedCardId !== null}
              onChange={(e) => updateDraft({ saveCard: e.target.checked })}
            />
            Offer the customer to save their card for next time
          </label>
          <div className="actions">
            <button
              type="button"
              disabled={!draft.customerEmail.trim()}
              onClick={() => void lookUp()}
              {...(cardError ? { 'aria-describedby': 'savedCardId-error' } : {})}
            >
              Find saved cards
            </button>
          </div>
          {cardError ? (
            // The host refused the chosen card (expired, forgotten, no longer charged by the gateway):
            // said here, where the card is chosen, not as a "highlighted field" nobody can see.
            <p className="field__error" id="savedCardId-error">
              {cardError}
            </p>
          ) : null}
          <ErrorBox error={lookupError} />
          {/* What Find saved cards found, said: the cards' list appears below without a word. */}
          <LiveRegion className="muted">{savedCardsFound(cards, draft.customerEmail.trim())}</LiveRegion>
          {cards !== null ? (
            cards.length === 0 ? null : (
              <fieldset className="field radio-group" aria-label="Saved cards">
                <label className="radio">
                  <input
                    type="radio"
                    name="savedCard"
                    checked={draft.savedCardId === null}
                    onChange={() => updateDraft({ savedCardId: null })}
                  />
                  Pay by link (a QR code)
                </label>
                {cards.map((card) => (
                  <div key={card.cardId} className="saved-card">
                    <label className="radio">
                      <input
                        type="radio"
                        name="savedCard"
                        disabled={card.unusable !== null}
                        aria-describedby={card.unusable ? `saved-card-${card.cardId}-unusable` : undefined}
                        checked={draft.savedCardId === card.cardId}
                        onChange={() => updateDraft({ savedCardId: card.cardId, saveCard: false })}
                      />
                      Charge the saved {card.brand ?? 'card'} •••• {card.last4 ?? '????'}
                      {card.expires ? ` (expires ${card.expires})` : ''}
                    </label>
                    {card.unusable ? (
                      <p className="muted" id={`saved-card-${card.cardId}-unusable`}>
                        {card.unusable}
                      </p>
                    ) : null}
                    {forgetting === card.cardId ? (
                      <div className="actions">
                        <ConfirmChoice
                          yes={`Yes, forget the ${card.brand ?? 'card'} •••• ${card.last4 ?? '????'}`}
                          no="Keep the card"
                          busy={looking}
                          onYes={() => void forget(card.cardId)}
                          onNo={() => setForgetting(null)}
                        />
                      </div>
                    ) : (
                      <button type="button" className="link-button" onClick={() => setForgetting(card.cardId)}>
                        Forget this card
                      </button>
                    )}
                  </div>
                ))}
              </fieldset>
            )
          ) : null}
        </>
      ) : null}
    </fieldset>
  );
}

/** What a saved cards' look-up found, in words (null before one). */
function savedCardsFound(cards: readonly SavedCardView[] | null, email: string): string | null {
  if (cards === null) return null;
  if (cards.length === 0) return `No saved card for ${email}.`;
  const found = `${cards.length} saved card${cards.length === 1 ? '' : 's'} for ${email}`;
  const unusable = cards.filter((card) => card.unusable !== null).length;
  if (unusable === cards.length) return `${found}, which can no longer be charged: the customer pays by link.`;
  return `${found}${unusable > 0 ? ` (${unusable} can no longer be charged)` : ''}: choose one below to charge it, or pay by link.`;
}

/** On a gateway with readers and payment links both: where the customer pays. */
function ChannelChoice() {
  const draft = usePos((s) => s.ui.draft);
  const gateway = usePos((s) => s.host.gateway);
  const updateDraft = usePos((s) => s.updateDraft);
  if (!choosesChannel(gateway)) return null;
  const canDeferLink = gateway?.capabilities.deferredCaptureByLink === true;
  return (
    <RadioGroup
      legend="Customer pays"
      name="channel"
      value={draft.channel}
      options={CHANNELS}
      // A link that cannot be captured later is charged when paid.
      onChange={(channel) =>
        updateDraft(channel === 'link' && !canDeferLink ? { channel, captureMethod: 'automatic' } : { channel })
      }
    />
  );
}

const CHANNELS = [
  { value: 'card_present', label: 'On the reader' },
  { value: 'link', label: 'With a QR code on their phone' },
] as const;

const CAPTURE_METHODS = [
  { value: 'automatic', label: 'Automatic (charge now)' },
  { value: 'manual', label: 'Manual (authorise now, capture later)' },
] as const;

export function CreatePayment() {
  const draft = usePos((s) => s.ui.draft);
  const currency = usePos(draftCurrency);
  const error = usePos((s) => s.ui.createError);
  const draftNotice = usePos((s) => s.ui.draftNotice);
  const busy = usePos((s) => s.busy.create === true);
  const pendingCharge = usePos((s) => s.ui.pendingCharge);
  const pendingPlan = usePos((s) => s.ui.pendingPlan);
  const connection = usePos((s) => s.link.connection);
  const reader = usePos(defaultReader);
  const updateDraft = usePos((s) => s.updateDraft);
  const resetDraft = usePos((s) => s.resetDraft);
  const charge = usePos((s) => s.charge);

  const gateway = usePos((s) => s.host.gateway);
  const allowed = gateway?.limits.currencies ?? null;
  const currencyOptions = useMemo(
    () =>
      PAYMENT_CURRENCIES.filter((c) => !allowed || allowed.includes(c.code)).map((c) => ({
        code: c.code,
        label: `${c.code} — ${currencyName(c.code)}`,
      })),
    [allowed],
  );
  const byLink = draftChannel(draft, gateway) === 'link';
  // A link on a gateway whose links cannot be captured later: no capture choice. Nor for a plan in
  // installments: the gateway charges each part (found by a tester: "Manual" was offered, and ignored).
  const capturesLater = gateway
    ? gateway.capabilities.deferredCapture !== null &&
      (!byLink || gateway.capabilities.deferredCaptureByLink) &&
      draft.installments <= 1
    : true;
  const tipping = usePos(draftTakesTip);
  const tipMode = usePos(draftTipMode);
  const shown = (amount: number) =>
    tipping ? withTip(amount, currency, tipMode, draft.tipPercent, draft.tipCustom) : money(amount, currency);

  // Esc clears the form (nothing has been sent yet on this screen), and the next digits typed go
  // to the amount again (found by a tester: they went into the field Esc was pressed in).
  useKey('Escape', () => {
    if (busy) return;
    resetDraft();
    document.getElementById('amount')?.focus();
  });

  // Charge (Enter) refused for fields: the focus goes to the first one to fix. Only after a Charge:
  // the error also changes as split rows come and go, and that leaves the focus where it is.
  const { form, refused: focusInvalid } = useFocusFirstInvalid(error);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    // A field showing its own refusal (a paste that is not an amount): nothing is sent meanwhile.
    const refused = refusedField(form.current);
    if (refused) {
      refused.focus();
      return;
    }
    focusInvalid();
    void charge();
  };

  const disconnected = connection !== 'open';
  // No credentials for the gateway yet (the banner says so too): nothing can be charged.
  const notSetUp = gateway !== null && !gateway.configured;
  const err = (path: string) => issueFor(error, path);
  const splitting = gateway?.capabilities.splitSettlement === true && draft.splits.length > 0;
  // The shares must add up to the amount before anything is charged.
  const unshared = splitting && splitRemainder(draft) !== 0;
  const held = draft.splits.filter((split) => split.onHold).length;
  const summary = unshared
    ? 'The shares do not add up to the amount yet.'
    : splitting
      ? `${draft.amount ? money(draft.amount, currency) : 'The amount'} shared between ${draft.splits.length} merchant${draft.splits.length === 1 ? '' : 's'}${held > 0 ? ` (${held} held)` : ''}: a payment link is shown as a QR code for the customer.`
      : byLink
        ? draft.installments > 1
          ? `${draft.amount ? money(draft.amount, currency) : 'The amount'} in ${draft.installments} installments: the customer pays the first by link.`
          : draft.savedCardId
            ? // What Charge will do, not done yet (it read "€15.00 charged to the saved card." under "Not charged.").
              `${draft.amount ? money(draft.amount, currency) : 'The amount'}: Charge takes it from the saved card at once, without a QR code.`
            : draft.amount
              ? `${money(draft.amount, currency)}: a payment link is shown as a QR code for the customer.`
              : 'The customer pays by link: a QR code is shown for them to scan.'
        : draft.amount
          ? `${shown(draft.amount)}${reader ? ` on ${reader.label}${reader.standalone ? " (charged through the shop's bank)" : ''}` : ' (no reader online: it will be created, then you pick a reader)'}`
          : reader
            ? `Goes to ${reader.label}.`
            : 'No reader is online: the payment will be created, then you pick a reader.';

  return (
    <form
      ref={form}
      className="screen screen--create"
      onSubmit={submit}
      onKeyDown={enterInSelectSubmits}
      noValidate
      aria-labelledby="create-title"
    >
      <h1 id="create-title" tabIndex={-1}>
        Create payment
      </h1>
      {draftNotice ? (
        <p className="notice draft-notice" role="status">
          {draftNotice}
        </p>
      ) : null}
      <div className="form-grid">
        <div className="form-col">
          <AmountInput
            id="amount"
            label="Amount"
            value={draft.amount}
            currency={currency}
            onChange={(amount) => updateDraft({ amount })}
            error={err('amount')}
            {...(gateway ? { max: gateway.limits.amountMax } : {})}
            focusFirst
          />
          <ChannelChoice />
          {byLink ? null : <ReaderChoice />}
          <Field id="currency" label="Currency" error={err('currency')}>
            <select
              {...describedBy('currency', null, err('currency'))}
              value={currency}
              onChange={(e) => updateDraft({ currency: e.target.value })}
            >
              {currencyOptions.map((c) => (
                <option key={c.code} value={c.code}>
                  {c.label}
                </option>
              ))}
            </select>
          </Field>
          {!capturesLater ? null : (
            <RadioGroup
              legend="Capture"
              name="captureMethod"
              value={draft.captureMethod}
              options={CAPTURE_METHODS}
              onChange={(captureMethod) => updateDraft({ captureMethod })}
            />
          )}
        </div>
        <div className="form-col">
          <Field id="description" label="Description" error={err('description')}>
            <input
              {...describedBy('description', null, err('description'))}
              type="text"
              maxLength={500}
              value={draft.description}
              onChange={(e) => updateDraft({ description: e.target.value })}
            />
          </Field>
          <Field
            id="orderReference"
            label="Order reference"
            hint="Leave empty to use the one shown. The same reference never charges twice."
            error={err('orderReference')}
          >
            <input
              {...describedBy('orderReference', true, err('orderReference'))}
              type="text"
              autoComplete="off"
              maxLength={64}
              placeholder={draft.autoReference}
              value={draft.orderReference}
              onChange={(e) => updateDraft({ orderReference: e.target.value })}
            />
          </Field>
          <Field id="customerId" label="Customer id (optional)" error={err('customerId')}>
            <input
              {...describedBy('customerId', null, err('customerId'))}
              type="text"
              autoComplete="off"
              value={draft.customerId}
              onChange={(e) => updateDraft({ customerId: e.target.value })}
            />
          </Field>
          <Field id="receiptEmail" label="Receipt email (optional)" error={err('receiptEmail')}>
            <input
              {...describedBy('receiptEmail', null, err('receiptEmail'))}
              type="email"
              autoComplete="off"
              value={draft.receiptEmail}
              onChange={(e) => updateDraft({ receiptEmail: e.target.value })}
            />
          </Field>
        </div>
      </div>
      {tipping ? <TipSection currency={currency} error={error} /> : null}
      <CustomerSection error={error} />
      {gateway?.capabilities.splitSettlement ? <SplitEditor error={error} /> : null}
      <ErrorBox error={error} shownPaths={FIELD_PATHS} title="Not charged." />
      <div className="actions">
        <button
          type="submit"
          className="primary"
          disabled={busy || disconnected || notSetUp || unshared}
          aria-busy={busy}
          aria-describedby="charge-summary"
        >
          Charge
        </button>
        <span className="key-hint" aria-hidden="true">
          Enter
        </span>
        <p id="charge-summary" className="summary">
          {busy
            ? chargingText(pendingCharge, pendingPlan)
            : disconnected
              ? 'Not connected to the host.'
              : notSetUp
                ? `${gateway.label} is not set up: add its credentials in Settings (F7) to take payments.`
                : summary}
        </p>
      </div>
      <p className="key-hints">Enter charges · Esc clears the form</p>
    </form>
  );
}
