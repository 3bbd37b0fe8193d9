import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type {
  CommandError,
  CommandInput,
  DevLogEntry,
  GatewayName,
  InstallmentPlanView,
  PaymentView,
  SettingsView,
} from '../../../common/contract';
import { FINAL_PLAN_STATUSES, GATEWAY_LABELS, isPluralUat, PLURAL_URLS } from '../../../common/contract/views';
import { parseTipPresets } from '../../../common/tips';
import { ConfirmChoice } from '../components/ConfirmChoice';
import { ErrorBox } from '../components/ErrorBox';
import { LiveRegion } from '../components/LiveRegion';
import { RadioGroup } from '../components/RadioGroup';
import { SplitMerchantsForm } from '../components/SplitMerchantsForm';
import { describedBy, Field } from '../components/Field';
import { usePos } from '../store/context';
import { openPayments, shopTimeZone } from '../store/selectors';
import { clockTime, money } from '../lib/format';
import { issueFor } from '../lib/errors';
import { enterInSelectSubmits, useFocusFirstInvalid } from '../lib/hooks';

const GATEWAYS: readonly { name: GatewayName; label: string; what: string }[] = [
  { name: 'plutopay', label: GATEWAY_LABELS.plutopay, what: 'card readers at the counter, or pay by link (QR)' },
  { name: 'payplug', label: GATEWAY_LABELS.payplug, what: 'pay by link (QR), saved cards, installments' },
  { name: 'plural', label: GATEWAY_LABELS.plural, what: 'pay by link, payments split between merchants' },
];

const MODES = [
  { value: 'test', label: 'Test (no real money)' },
  { value: 'live', label: 'Live (real cards are charged)' },
] as const;

const PLURAL_ENVIRONMENTS: readonly {
  name: 'uat' | 'live' | 'other';
  label: string;
  what: string;
  url: string | null;
}[] = [
  { name: 'uat', label: 'UAT', what: "Plural's test environment", url: PLURAL_URLS.uat },
  { name: 'live', label: 'Production', what: 'live payments (live mode only)', url: PLURAL_URLS.live },
  { name: 'other', label: 'Another address', what: 'e.g. a sandbox', url: null },
];

function pluralEnvironment(url: string): 'uat' | 'live' | 'other' {
  const trimmed = url.trim().replace(/\/+$/, '');
  return trimmed === PLURAL_URLS.uat ? 'uat' : trimmed === PLURAL_URLS.live ? 'live' : 'other';
}

const STORAGE_LABELS: Record<SettingsView['secretStorage'], string> = {
  'safe-storage': "the operating system's protected storage",
  file: 'a file only your user account can read',
  memory: 'memory only (forgotten when the app stops)',
};

type Update = CommandInput<'settings.update'>;

/** The settings.update input: only what changed; keys only when something was typed (or cleared). */
export function settingsChanges(
  current: SettingsView,
  form: {
    mode: 'test' | 'live';
    apiBaseUrl: string;
    embeddedSandbox: boolean;
    autoPresentSeconds: string;
    secretKey: string;
    publishableKey: string;
    webhookSecret?: string;
    webhooksOn?: boolean;
    webhookPort?: string;
    gateway?: GatewayName;
    payplug?: { apiBaseUrl: string; secretKey: string; notificationUrl: string };
    plural?: { apiBaseUrl: string; clientId: string; clientSecret: string; signatureKey: string };
  },
  clear: {
    secretKey: boolean;
    publishableKey: boolean;
    webhookSecret?: boolean;
    payplugSecretKey?: boolean;
    pluralClientSecret?: boolean;
    pluralSignatureKey?: boolean;
  },
): Update | { error: string; path?: string } {
  const update: Update = {};
  if (form.mode !== current.mode) update.mode = form.mode;
  if (form.gateway && form.gateway !== current.gateway) update.gateway = form.gateway;
  if (form.payplug) {
    if (form.payplug.apiBaseUrl.trim() !== current.payplug.apiBaseUrl)
      update.payplugApiBaseUrl = form.payplug.apiBaseUrl.trim();
    if (clear.payplugSecretKey) update.payplugSecretKey = '';
    else if (form.payplug.secretKey.trim()) update.payplugSecretKey = form.payplug.secretKey.trim();
    if (form.payplug.notificationUrl.trim() !== (current.payplug.notificationUrl ?? ''))
      update.payplugNotificationUrl = form.payplug.notificationUrl.trim();
  }
  if (form.plural) {
    const url = form.plural.apiBaseUrl.trim();
    if (form.mode === 'live' && (form.gateway ?? current.gateway) === 'plural') {
      if (!url.startsWith('https://'))
        return { error: 'Plural in live mode: the API URL must start with https://.', path: 'pluralApiBaseUrl' };
      if (isPluralUat(url))
        return { error: "Plural's UAT environment is for test mode: choose production.", path: 'pluralApiBaseUrl' };
    }
    if (form.plural.apiBaseUrl.trim() !== current.plural.apiBaseUrl)
      update.pluralApiBaseUrl = form.plural.apiBaseUrl.trim();
    if (form.plural.clientId.trim() && form.plural.clientId.trim() !== (current.plural.clientId ?? ''))
      update.pluralClientId = form.plural.clientId.trim();
    if (clear.pluralClientSecret) update.pluralClientSecret = '';
    else if (form.plural.clientSecret.trim()) update.pluralClientSecret = form.plural.clientSecret.trim();
    if (clear.pluralSignatureKey) update.pluralSignatureKey = '';
    else if (form.plural.signatureKey.trim()) update.pluralSignatureKey = form.plural.signatureKey.trim();
  }
  if (form.apiBaseUrl.trim() !== current.apiBaseUrl) update.apiBaseUrl = form.apiBaseUrl.trim();
  if (form.embeddedSandbox !== current.embeddedSandbox) update.embeddedSandbox = form.embeddedSandbox;
  const seconds = Number(form.autoPresentSeconds);
  if (form.autoPresentSeconds.trim() === '' || !Number.isFinite(seconds) || seconds < 0 || seconds > 600) {
    return { error: 'Auto-present delay: a number of seconds from 0 to 600.' };
  }
  const ms = Math.round(seconds * 1000);
  if (ms !== current.autoPresentDelayMs) update.autoPresentDelayMs = ms;
  if (clear.secretKey) update.secretKey = '';
  else if (form.secretKey.trim()) update.secretKey = form.secretKey.trim();
  if (clear.publishableKey) update.publishableKey = '';
  else if (form.publishableKey.trim()) update.publishableKey = form.publishableKey.trim();
  if (clear.webhookSecret) update.webhookSecret = '';
  else if (form.webhookSecret?.trim()) update.webhookSecret = form.webhookSecret.trim();
  if (form.webhooksOn !== undefined) {
    const text = (form.webhookPort ?? '').trim();
    if (!form.webhooksOn) {
      if (current.webhookPort !== null) update.webhookPort = null;
    } else if (text === '') {
      // Any free port; a receiver already running keeps its port (one that could not start tries again).
      if (current.webhookPort === null || current.webhookError) update.webhookPort = 0;
    } else {
      const port = Number(text);
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        return {
          error: 'Webhook port: a whole number from 1 to 65535, or empty for any free port.',
          path: 'webhookPort',
        };
      }
      // The same port again is sent while the receiver is not listening: saving retries it.
      if (port !== current.webhookPort || current.webhookError) update.webhookPort = port;
    }
  }
  return update;
}

function KeyField({
  id,
  label,
  stored,
  value,
  onChange,
  cleared,
  onClear,
  error,
  placeholder,
}: {
  id: string;
  label: string;
  stored: string | null;
  value: string;
  onChange(value: string): void;
  cleared: boolean;
  onClear(clear: boolean): void;
  error: string | null;
  placeholder: string;
}) {
  const hint = cleared
    ? 'Will be removed when you save.'
    : stored
      ? `Stored: ${stored}. Type a new key to replace it.`
      : 'No key stored.';
  return (
    <Field id={id} label={label} hint={hint} error={error}>
      <div className="inline-fields">
        <input
          {...describedBy(id, hint, error)}
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder={placeholder}
          value={value}
          disabled={cleared}
          onChange={(e) => onChange(e.target.value)}
        />
        {stored ? (
          <label className="checkbox">
            <input type="checkbox" checked={cleared} onChange={(e) => onClear(e.target.checked)} />
            Remove the stored key
          </label>
        ) : null}
      </div>
    </Field>
  );
}

/**
 * What a switch leaves behind: the current gateway's open payments of one mode, which the till does
 * not follow once switched. `place` names the mode where it is not the one the till will be in (a
 * switch of mode alone leaves the mode's payments as a switch of gateway does; found in a defect
 * hunt: going live said nothing of the test links still open). `followedNow`: made in the till's
 * mode now; another mode's are not followed already, and only that gateway and mode bring them back.
 */
function stillOpenWarning(
  open: PaymentView[],
  place: string,
  cancelsLinks: boolean,
  followedNow: boolean,
  readAfter: boolean,
): string {
  const one = open.length === 1;
  const amounts = open
    .slice(0, 3)
    .map((p) => money(p.amount, p.currency))
    .join(', ');
  const them = one ? 'it' : 'them';
  const what =
    `${open.length} payment${one ? '' : 's'} with ${place} ${one ? 'is' : 'are'} not finished ` +
    `(${amounts}${open.length > 3 ? ', …' : ''})`;
  if (!followedNow)
    return `${what}: the till follows ${them} only with ${place}. Switch back to ${place} later to finish ${them}.`;
  // Open links, and a switch of gateway in the same mode: the till goes on reading them with this
  // gateway's keys (it said it no longer followed them, since it does).
  if (readAfter && open.every((p) => p.channel === 'link'))
    return (
      `${what}: once switched, the till still reads ${them} with ${place}'s keys (keep them in Settings) and ` +
      `records ${them} paid` +
      (cancelsLinks
        ? `, but can no longer cancel ${them}. If the sale is off, cancel ${them} first on Process payment (F2), or ` +
          `switch back to ${place} later to do so.`
        : `. ${place} cannot withdraw an open link, and sets it no time limit: let ${them} be paid.`)
    );
  return (
    `${what}: once switched, the till no longer follows ${them}, though a customer can still pay an open link. ` +
    (cancelsLinks
      ? `Finish or cancel ${them} first on Process payment (F2), or switch back to ${place} later to finish ${them}.`
      : `${place} cannot withdraw an open link, and sets it no time limit: let ${them} be paid first, or ` +
        `switch back to ${place} later to follow ${them}.`)
  );
}

/**
 * What a switch leaves behind: the current gateway's authorisations not captured yet. Capture (F4)
 * offers only the till's gateway's, so once switched the money held on the customer's card is not
 * collected until the till switches back (found by using the app: a Plural pre-authorisation went
 * from the Capture screen without a word when the till switched to PayPlug).
 */
function uncapturedWarning(held: PaymentView[], place: string, offeredNow: boolean): string {
  const one = held.length === 1;
  const amounts = held
    .slice(0, 3)
    .map((p) => money(p.amountCapturable, p.currency))
    .join(', ');
  const them = one ? 'it' : 'them';
  const expire = one ? 'it expires' : 'they expire';
  const what =
    `${held.length} authorisation${one ? '' : 's'} with ${place} ${one ? 'is' : 'are'} not captured yet ` +
    `(${amounts}${held.length > 3 ? ', …' : ''})`;
  // Another mode's: Capture (F4) does not offer them now either; only that gateway and mode do.
  if (!offeredNow)
    return `${what}: Capture (F4) offers ${them} only with ${place}. Switch back to ${place} later to capture or cancel ${them} before ${expire}.`;
  return (
    `${what}: once switched, Capture (F4) no longer offers ${them}, and the money held on the card is not ` +
    `collected. Capture or cancel ${them} first on Capture (F4), or switch back to ${place} later to do so ` +
    `before ${expire}.`
  );
}

/** Payments by the mode they were made in: test mode's, then live mode's. */
function byMode(payments: PaymentView[]): [boolean, PaymentView[]][] {
  const groups: [boolean, PaymentView[]][] = [true, false].map((testMode) => [
    testMode,
    payments.filter((p) => p.testMode === testMode),
  ]);
  return groups.filter(([, held]) => held.length > 0);
}

/**
 * The current gateway's installment plans still running, read when a switch is chosen: the gateway
 * goes on charging their later parts on their dates, which the till takes in only once switched back.
 */
function useRunningPlans(current: GatewayName, switching: boolean): InstallmentPlanView[] {
  const run = usePos((s) => s.run);
  const takesPlans = usePos((s) => s.host.gateway?.capabilities.installments != null);
  const [running, setRunning] = useState<InstallmentPlanView[]>([]);
  useEffect(() => {
    if (!switching || !takesPlans) return;
    let mounted = true;
    void run('installments.list', {}).then((result) => {
      if (mounted && result.ok)
        setRunning(
          result.value.filter((plan) => plan.gateway === current && !FINAL_PLAN_STATUSES.includes(plan.status)),
        );
    });
    return () => {
      mounted = false;
    };
  }, [current, switching, takesPlans, run]);
  return switching ? running : [];
}

/**
 * A switch of mode, or of account (the embedded sandbox turned on or off, the gateway's URL or keys
 * changed), leaves the running plans the till follows now unfollowed: the gateway goes on charging
 * their parts, which the till takes in only once back there (found in a defect hunt: going live said
 * nothing of them, while a switch of gateway did). `left`: where they were made, as "in test mode" or
 * "on the embedded sandbox".
 */
function plansLeftWarning(count: number, gatewayLabel: string, left: string): string {
  const one = count === 1;
  return (
    `${one ? '1 installment plan' : `${count} installment plans`} with ${gatewayLabel} ${left} ` +
    `${one ? 'is' : 'are'} still running: ${gatewayLabel} charges the later parts on their dates, but once switched ` +
    `the till no longer takes them in, nor can it abort ${one ? 'it' : 'them'}, until it is back ${left}.`
  );
}

/**
 * Where the till's payments are made now, when a save would change it without a switch of gateway
 * or mode: the embedded sandbox turned on or off (test mode), or the gateway's own URL, keys or
 * client id changed while the till uses the shop's own account. Its open payments, authorisations
 * and running plans are then left behind as a switch leaves them (the host no longer reads them:
 * they are another account's). Null when the save keeps the account.
 */
function accountLeft(
  settings: SettingsView,
  form: {
    mode: 'test' | 'live';
    embeddedSandbox: boolean;
    apiBaseUrl: string;
    keyTyped: boolean;
    payplugUrl: string;
    pluralUrl: string;
    pluralClientId: string;
  },
): string | null {
  if (form.mode !== settings.mode) return null;
  const sandboxNow = settings.mode === 'test' && settings.embeddedSandbox;
  const sandboxAfter = form.mode === 'test' && form.embeddedSandbox;
  if (sandboxNow !== sandboxAfter) return sandboxNow ? 'on the embedded sandbox' : "on the shop's own account";
  if (sandboxNow) return null;
  const addressChanged =
    settings.gateway === 'plutopay'
      ? form.apiBaseUrl.trim() !== settings.apiBaseUrl
      : settings.gateway === 'payplug'
        ? form.payplugUrl.trim() !== settings.payplug.apiBaseUrl
        : form.pluralUrl.trim() !== settings.plural.apiBaseUrl ||
          (form.pluralClientId.trim() !== '' && form.pluralClientId.trim() !== (settings.plural.clientId ?? ''));
  return addressChanged || form.keyTyped ? 'on the account in use now' : null;
}

/**
 * The warnings of what a save leaves behind, in live regions that are always on the page (each
 * warning is heard once, as it appears): the same words for a switch of gateway, of mode, or of
 * account.
 */
function LeftBehindWarnings({ open, held, plans }: { open: string | null; held: string | null; plans: string | null }) {
  return (
    <>
      <LiveRegion className="field__error">{open}</LiveRegion>
      <LiveRegion className="field__error">{held}</LiveRegion>
      <LiveRegion className="field__error">{plans}</LiveRegion>
    </>
  );
}

function SettingsForm({ settings }: { settings: SettingsView }) {
  const run = usePos((s) => s.run);
  const busy = usePos((s) => s.busy.settings === true);
  const [mode, setMode] = useState(settings.mode);
  const [apiBaseUrl, setApiBaseUrl] = useState(settings.apiBaseUrl);
  const [embeddedSandbox, setEmbeddedSandbox] = useState(settings.embeddedSandbox);
  const [autoPresentSeconds, setAutoPresentSeconds] = useState(String(settings.autoPresentDelayMs / 1000));
  const [secretKey, setSecretKey] = useState('');
  const [publishableKey, setPublishableKey] = useState('');
  const [clearSecret, setClearSecret] = useState(false);
  const [clearPublishable, setClearPublishable] = useState(false);
  const [webhookSecret, setWebhookSecret] = useState('');
  const [clearWebhookSecret, setClearWebhookSecret] = useState(false);
  const [webhooksOn, setWebhooksOn] = useState(settings.webhookPort !== null);
  const [webhookPort, setWebhookPort] = useState(settings.webhookPort ? String(settings.webhookPort) : '');
  const [gateway, setGateway] = useState<GatewayName>(settings.gateway);
  // The current gateway's payments not finished: after a switch the till no longer follows them, yet a
  // customer can still pay an open link (found by using the app: the note said they "stay as they are").
  const payments = usePos((s) => s.host.payments);
  const cancelsLinks = usePos((s) => s.host.gateway?.capabilities.cancelsUnpaidLink !== false);
  const stillOpen = useMemo(
    () => openPayments(payments).filter((p) => p.gateway === settings.gateway),
    [payments, settings.gateway],
  );
  const uncaptured = useMemo(
    () =>
      Object.values(payments)
        .filter((p) => p.gateway === settings.gateway && p.status === 'requires_capture')
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
    [payments, settings.gateway],
  );
  const switchingMode = mode !== settings.mode;
  // A switch of gateway, or of mode alone: each leaves payments behind that the till no longer acts on.
  const switchingGateway = gateway !== settings.gateway;
  const switching = switchingGateway || switchingMode;
  const [payplug, setPayplug] = useState({
    apiBaseUrl: settings.payplug.apiBaseUrl,
    secretKey: '',
    notificationUrl: settings.payplug.notificationUrl ?? '',
  });
  const [plural, setPlural] = useState({
    apiBaseUrl: settings.plural.apiBaseUrl,
    clientId: settings.plural.clientId ?? '',
    clientSecret: '',
    signatureKey: '',
  });
  const [clearGatewayKeys, setClearGatewayKeys] = useState({
    payplugSecretKey: false,
    pluralClientSecret: false,
    pluralSignatureKey: false,
  });
  // Or of account, within the gateway and mode: the embedded sandbox, or the gateway's URL or keys.
  const keyTyped =
    settings.gateway === 'plutopay'
      ? secretKey.trim() !== '' || clearSecret
      : settings.gateway === 'payplug'
        ? payplug.secretKey.trim() !== '' || clearGatewayKeys.payplugSecretKey
        : plural.clientSecret.trim() !== '' ||
          plural.signatureKey.trim() !== '' ||
          clearGatewayKeys.pluralClientSecret ||
          clearGatewayKeys.pluralSignatureKey;
  const leftAccount = switching
    ? null
    : accountLeft(settings, {
        mode,
        embeddedSandbox,
        apiBaseUrl,
        keyTyped,
        payplugUrl: payplug.apiBaseUrl,
        pluralUrl: plural.apiBaseUrl,
        pluralClientId: plural.clientId,
      });
  const running = useRunningPlans(settings.gateway, switching || leftAccount !== null);
  // Followed now (those of the till's mode, on its account): a switch of mode or account leaves them unfollowed.
  const plansLeft = switchingMode || leftAccount ? running.filter((plan) => plan.notFollowed === null).length : 0;
  const runningPlans = switchingMode || leftAccount ? 0 : running.length;
  // The current gateway's payments by mode, but those the till will be in (the same gateway, the mode
  // it switches to): they come back rather than being left behind.
  const leftBehind = (held: PaymentView[]) =>
    byMode(held).filter(([testMode]) => switchingGateway || testMode !== (mode === 'test'));
  // Where a group was made: the gateway, and the mode where it is not the one the till will be in
  // (switching back to the gateway alone would not bring it back; found in a cashier-day hunt).
  const placeOf = (testMode: boolean) =>
    testMode === (mode === 'test')
      ? GATEWAY_LABELS[settings.gateway]
      : `${GATEWAY_LABELS[settings.gateway]} in ${testMode ? 'test' : 'live'} mode`;
  // What a switch or a change of account leaves behind, said the same way for each.
  const leftLabel = GATEWAY_LABELS[settings.gateway];
  const inMode = settings.mode === 'test';
  const ownAccount = (held: PaymentView[]) => held.filter((p) => p.testMode === inMode && !p.otherAccount);
  const openWarning = switching
    ? leftBehind(stillOpen)
        .map(([testMode, open]) =>
          stillOpenWarning(
            open,
            placeOf(testMode),
            cancelsLinks,
            testMode === inMode,
            // Read after the switch: made in the mode the till stays in, with the gateway it leaves.
            switchingGateway && testMode === (mode === 'test'),
          ),
        )
        .join(' ')
    : leftAccount && ownAccount(stillOpen).length > 0
      ? stillOpenWarning(ownAccount(stillOpen), `${leftLabel} ${leftAccount}`, cancelsLinks, true, false)
      : null;
  const heldWarning = switching
    ? leftBehind(uncaptured)
        .map(([testMode, held]) => uncapturedWarning(held, placeOf(testMode), testMode === inMode))
        .join(' ')
    : leftAccount && ownAccount(uncaptured).length > 0
      ? uncapturedWarning(ownAccount(uncaptured), `${leftLabel} ${leftAccount}`, true)
      : null;
  const plansWarning =
    runningPlans > 0
      ? `${runningPlans === 1 ? '1 installment plan' : `${runningPlans} installment plans`} with ` +
        `${leftLabel} ${runningPlans === 1 ? 'is' : 'are'} still running: ` +
        `${leftLabel} charges the later parts on their dates, and the till goes on taking ` +
        `them in with ${leftLabel}'s keys (keep them in Settings until ` +
        `${runningPlans === 1 ? 'it ends' : 'they end'}), and Abort plan ends one with them too.`
      : plansLeft > 0
        ? plansLeftWarning(plansLeft, leftLabel, leftAccount ?? `in ${settings.mode} mode`)
        : null;
  const [error, setError] = useState<CommandError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const { form, refused } = useFocusFirstInvalid(error);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setDone(null);
    const changes = settingsChanges(
      settings,
      {
        mode,
        apiBaseUrl,
        embeddedSandbox,
        autoPresentSeconds,
        secretKey,
        publishableKey,
        webhookSecret,
        webhooksOn,
        webhookPort,
        gateway,
        payplug,
        plural,
      },
      {
        secretKey: clearSecret,
        publishableKey: clearPublishable,
        webhookSecret: clearWebhookSecret,
        ...clearGatewayKeys,
      },
    );
    if ('error' in changes) {
      refused();
      setError({
        code: 'validation',
        message: changes.error,
        issues: [{ path: changes.path ?? 'autoPresentDelayMs', message: changes.error }],
      });
      return;
    }
    if (Object.keys(changes).length === 0) {
      setError(null);
      setDone('Nothing changed.');
      return;
    }
    setError(null);
    const result = await run('settings.update', changes, 'settings');
    if (result.ok) {
      // Write-only: typed keys never stay on screen once saved.
      setSecretKey('');
      setPublishableKey('');
      setClearSecret(false);
      setClearPublishable(false);
      setWebhookSecret('');
      setClearWebhookSecret(false);
      // Every field shows what is saved now: one kept from before the save (say, the embedded
      // sandbox's address, shown while it was in use) would be sent again as a change on the next
      // save (found by a tester: the sandbox's passing port was stored as PayPlug's address).
      setPayplug({
        apiBaseUrl: result.value.payplug.apiBaseUrl,
        secretKey: '',
        notificationUrl: result.value.payplug.notificationUrl ?? '',
      });
      setPlural({
        apiBaseUrl: result.value.plural.apiBaseUrl,
        clientId: result.value.plural.clientId ?? '',
        clientSecret: '',
        signatureKey: '',
      });
      setClearGatewayKeys({ payplugSecretKey: false, pluralClientSecret: false, pluralSignatureKey: false });
      setGateway(result.value.gateway);
      setWebhooksOn(result.value.webhookPort !== null);
      setMode(result.value.mode);
      setApiBaseUrl(result.value.apiBaseUrl);
      setEmbeddedSandbox(result.value.embeddedSandbox);
      setAutoPresentSeconds(String(result.value.autoPresentDelayMs / 1000));
      setDone('Settings saved.');
    } else {
      refused();
      setError(result.error);
    }
  };

  return (
    <form
      ref={form}
      aria-labelledby="settings-form-title"
      onSubmit={(e) => void submit(e)}
      // A field changed after a save: "Settings saved." was about the save before, not what is shown now.
      onChange={() => setDone(null)}
      noValidate
      className="settings-form"
    >
      <h2 id="settings-form-title">Connection</h2>
      {settings.notices.map((notice) => (
        <p key={notice} className="field__error">
          {notice}
        </p>
      ))}
      <RadioGroup legend="Mode" name="mode" value={mode} options={MODES} onChange={setMode}>
        {/* Live regions, on the page before the choice: the warning is heard as the radio is chosen. */}
        <LiveRegion className="field__error">
          {mode === 'live' && settings.mode !== 'live'
            ? 'Saving switches to live mode: real cards will be charged.'
            : null}
        </LiveRegion>
        {issueFor(error, 'mode') ? <p className="field__error">{issueFor(error, 'mode')}</p> : null}
      </RadioGroup>
      <RadioGroup
        legend="Gateway"
        name="gateway"
        value={gateway}
        options={GATEWAYS.map((g) => ({
          value: g.name,
          label: (
            <>
              {g.label} <span className="muted">— {g.what}</span>
            </>
          ),
        }))}
        onChange={setGateway}
      >
        {gateway !== settings.gateway ? (
          <p className="muted">
            Saving switches the till to {GATEWAYS.find((g) => g.name === gateway)?.label}. Payments made with{' '}
            {GATEWAYS.find((g) => g.name === settings.gateway)?.label} stay as they are until you switch back.
          </p>
        ) : null}
        {/* Live regions, on the page before the choice: each warning is heard once, as it appears. */}
        <LeftBehindWarnings
          open={switching ? openWarning : null}
          held={switching ? heldWarning : null}
          plans={switching ? plansWarning : null}
        />
      </RadioGroup>
      {gateway === 'payplug' ? (
        <fieldset className="field">
          <legend>PayPlug</legend>
          <Field id="payplug-url" label="PayPlug API URL" error={issueFor(error, 'payplugApiBaseUrl')}>
            <input
              {...describedBy('payplug-url', null, issueFor(error, 'payplugApiBaseUrl'))}
              type="url"
              autoComplete="off"
              spellCheck={false}
              value={payplug.apiBaseUrl}
              onChange={(e) => setPayplug({ ...payplug, apiBaseUrl: e.target.value })}
            />
          </Field>
          <KeyField
            id="payplug-secret-key"
            label="PayPlug secret key"
            stored={settings.payplug.secretKey}
            value={payplug.secretKey}
            onChange={(value) => setPayplug({ ...payplug, secretKey: value })}
            cleared={clearGatewayKeys.payplugSecretKey}
            onClear={(clear) => setClearGatewayKeys({ ...clearGatewayKeys, payplugSecretKey: clear })}
            error={issueFor(error, 'payplugSecretKey')}
            placeholder="sk_test_… or sk_live_…"
          />
          <Field
            id="payplug-notification-url"
            label="Notification URL (optional)"
            hint="A public address PayPlug may notify, forwarded to this till. Without one the till asks PayPlug itself. A user name and password in it are shown as …: leave them so to keep them."
            error={issueFor(error, 'payplugNotificationUrl')}
          >
            <input
              {...describedBy('payplug-notification-url', true, issueFor(error, 'payplugNotificationUrl'))}
              type="url"
              autoComplete="off"
              spellCheck={false}
              value={payplug.notificationUrl}
              onChange={(e) => setPayplug({ ...payplug, notificationUrl: e.target.value })}
            />
          </Field>
        </fieldset>
      ) : null}
      {gateway === 'plural' ? (
        <fieldset className="field">
          <legend>Plural</legend>
          <RadioGroup
            legend="Environment"
            name="plural-environment"
            value={pluralEnvironment(plural.apiBaseUrl)}
            options={PLURAL_ENVIRONMENTS.map((env) => ({
              value: env.name,
              label: (
                <>
                  {env.label} <span className="muted">— {env.what}</span>
                </>
              ),
            }))}
            onChange={(name) => {
              const env = PLURAL_ENVIRONMENTS.find((e) => e.name === name)!;
              setPlural({
                ...plural,
                apiBaseUrl: env.url ?? (pluralEnvironment(plural.apiBaseUrl) === 'other' ? plural.apiBaseUrl : ''),
              });
            }}
          />
          <Field
            id="plural-url"
            label="Plural API URL"
            hint={
              settings.embeddedSandbox
                ? 'While the embedded sandbox is on, the till uses its Plural emulator (the address shown) whatever is chosen here.'
                : 'UAT for test mode, production for live mode (https only).'
            }
            error={issueFor(error, 'pluralApiBaseUrl')}
          >
            <input
              {...describedBy('plural-url', true, issueFor(error, 'pluralApiBaseUrl'))}
              type="url"
              autoComplete="off"
              spellCheck={false}
              readOnly={pluralEnvironment(plural.apiBaseUrl) !== 'other'}
              value={plural.apiBaseUrl}
              onChange={(e) => setPlural({ ...plural, apiBaseUrl: e.target.value })}
            />
          </Field>
          <Field id="plural-client-id" label="Client id" error={issueFor(error, 'pluralClientId')}>
            <input
              {...describedBy('plural-client-id', null, issueFor(error, 'pluralClientId'))}
              type="text"
              autoComplete="off"
              spellCheck={false}
              value={plural.clientId}
              onChange={(e) => setPlural({ ...plural, clientId: e.target.value })}
            />
          </Field>
          <KeyField
            id="plural-client-secret"
            label="Client secret"
            stored={settings.plural.clientSecret}
            value={plural.clientSecret}
            onChange={(value) => setPlural({ ...plural, clientSecret: value })}
            cleared={clearGatewayKeys.pluralClientSecret}
            onClear={(clear) => setClearGatewayKeys({ ...clearGatewayKeys, pluralClientSecret: clear })}
            error={issueFor(error, 'pluralClientSecret')}
            placeholder="client secret"
          />
          <KeyField
            id="plural-signature-key"
            label="Signature key"
            stored={settings.plural.signatureKey}
            value={plural.signatureKey}
            onChange={(value) => setPlural({ ...plural, signatureKey: value })}
            cleared={clearGatewayKeys.pluralSignatureKey}
            onClear={(clear) => setClearGatewayKeys({ ...clearGatewayKeys, pluralSignatureKey: clear })}
            error={issueFor(error, 'pluralSignatureKey')}
            placeholder="hex"
          />
        </fieldset>
      ) : null}
      {gateway === 'plutopay' ? (
        <>
          <Field id="api-url" label="API URL" error={issueFor(error, 'apiBaseUrl')}>
            <input
              {...describedBy('api-url', null, issueFor(error, 'apiBaseUrl'))}
              type="url"
              autoComplete="off"
              spellCheck={false}
              value={apiBaseUrl}
              onChange={(e) => setApiBaseUrl(e.target.value)}
            />
          </Field>
          <KeyField
            id="secret-key"
            label="Secret key"
            stored={settings.secretKey}
            value={secretKey}
            onChange={setSecretKey}
            cleared={clearSecret}
            onClear={setClearSecret}
            error={issueFor(error, 'secretKey')}
            placeholder="sk_test_… or sk_live_…"
          />
          <KeyField
            id="publishable-key"
            label="Publishable key"
            stored={settings.publishableKey}
            value={publishableKey}
            onChange={setPublishableKey}
            cleared={clearPublishable}
            onClear={setClearPublishable}
            error={issueFor(error, 'publishableKey')}
            placeholder="pk_test_… or pk_live_…"
          />
        </>
      ) : null}
      <p className="muted">Keys are kept in {STORAGE_LABELS[settings.secretStorage]} and are never shown again.</p>
      <label className="checkbox field">
        <input type="checkbox" checked={embeddedSandbox} onChange={(e) => setEmbeddedSandbox(e.target.checked)} />
        Embedded sandbox (test against the built-in sandbox of every gateway)
      </label>
      {/* A change of account (this box, or the gateway's URL or keys above): the same warnings as a switch. */}
      <LeftBehindWarnings
        open={leftAccount ? openWarning : null}
        held={leftAccount ? heldWarning : null}
        plans={leftAccount ? plansWarning : null}
      />
      <Field
        id="auto-present"
        label="Auto-present delay (seconds)"
        hint="Simulated readers present the default test card by themselves after this delay; 0 = never."
        error={issueFor(error, 'autoPresentDelayMs')}
      >
        <input
          {...describedBy('auto-present', true, issueFor(error, 'autoPresentDelayMs'))}
          type="number"
          min={0}
          max={600}
          step="any"
          value={autoPresentSeconds}
          onChange={(e) => setAutoPresentSeconds(e.target.value)}
        />
      </Field>
      <fieldset className="field">
        <legend>Forwarded webhooks</legend>
        <label className="checkbox field">
          <input type="checkbox" checked={webhooksOn} onChange={(e) => setWebhooksOn(e.target.checked)} />
          Receive the gateway's notifications forwarded to this computer
        </label>
        {webhooksOn ? (
          <>
            <Field
              id="webhook-port"
              label="Webhook port"
              hint="Empty: any free port. Only this computer can reach it (127.0.0.1)."
              error={issueFor(error, 'webhookPort')}
            >
              <input
                {...describedBy('webhook-port', true, issueFor(error, 'webhookPort'))}
                type="text"
                inputMode="numeric"
                autoComplete="off"
                value={webhookPort}
                onChange={(e) => setWebhookPort(e.target.value)}
              />
            </Field>
            {settings.webhookUrl ? <p className="muted mono">Receiving at {settings.webhookUrl}</p> : null}
            {settings.webhookError ? (
              <p className="field__error">
                Not receiving notifications: {settings.webhookError}. Choose another port, or free that one and save
                again.
              </p>
            ) : null}
            {/* PlutoPay's own secret: Plural signs with its signature key (above), PayPlug does not sign. */}
            {gateway === 'plutopay' ? (
              <KeyField
                id="webhook-secret"
                label="Webhook signing secret"
                stored={settings.webhookSecret}
                value={webhookSecret}
                onChange={setWebhookSecret}
                cleared={clearWebhookSecret}
                onClear={setClearWebhookSecret}
                error={issueFor(error, 'webhookSecret')}
                placeholder="whsec_…"
              />
            ) : null}
          </>
        ) : null}
      </fieldset>
      <ErrorBox
        error={error}
        shownPaths={[
          'mode',
          'apiBaseUrl',
          'secretKey',
          'publishableKey',
          'payplugApiBaseUrl',
          'payplugSecretKey',
          'payplugNotificationUrl',
          'autoPresentDelayMs',
          'webhookPort',
          'webhookSecret',
          'pluralApiBaseUrl',
          'pluralClientId',
          'pluralClientSecret',
          'pluralSignatureKey',
        ]}
        title="Not saved."
      />
      <LiveRegion>{done}</LiveRegion>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Save settings
        </button>
      </div>
    </form>
  );
}

/** Lines of a textarea, trimmed, empty ones dropped. */
function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

/** Every IANA zone the runtime knows, for the time zone field's suggestions. */
const TIME_ZONES: readonly string[] = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  } catch {
    return [];
  }
})();

/** The counter: the shop on receipts, its time zone, tipping, the receipt printer, the customer display. */
function CounterForm({ settings }: { settings: SettingsView }) {
  const run = usePos((s) => s.run);
  const busy = usePos((s) => s.busy.counter === true);
  const accountName = usePos((s) => s.host.merchant?.businessName ?? null);
  const gatewayLabel = usePos((s) => s.host.gateway?.label ?? 'The gateway');
  const counter = settings.counter;
  const [shopName, setShopName] = useState(counter.shopName ?? '');
  const [address, setAddress] = useState(counter.shopAddress.join('\n'));
  const [footer, setFooter] = useState(counter.receiptFooter.join('\n'));
  const [timeZone, setTimeZone] = useState(counter.timeZone);
  const [tipping, setTipping] = useState(counter.tipping.enabled);
  const [presets, setPresets] = useState(counter.tipping.presets.join(', '));
  const [port, setPort] = useState(counter.printer.port ?? '');
  const [width, setWidth] = useState<32 | 42 | 48>(counter.printer.width);
  const [print, setPrint] = useState(counter.printer.print);
  const [drawerKick, setDrawerKick] = useState(counter.printer.drawerKick);
  const [error, setError] = useState<CommandError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const { form, refused } = useFocusFirstInvalid(error);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    const parsed = parseTipPresets(presets);
    if (!parsed.ok) {
      refused();
      setError({
        code: 'validation',
        message: 'Check the tip presets.',
        issues: [{ path: 'tipPresets', message: parsed.error }],
      });
      return;
    }
    const tipPresets = parsed.presets;
    setError(null);
    const result = await run(
      'settings.update',
      {
        shopName: shopName.trim(),
        shopAddress: lines(address),
        receiptFooter: lines(footer),
        timeZone: timeZone.trim(),
        tipping,
        tipPresets,
        receiptPrinterPort: port.trim() || null,
        receiptWidth: width,
        printReceipts: print,
        drawerKick,
      },
      'counter',
    );
    if (result.ok) {
      showSaved(result.value.counter);
      setDone('Counter settings saved.');
    } else {
      refused();
      setError(result.error);
    }
  };

  /**
   * After Apply the fields show what the host saved, not what was typed: "europe/paris" is saved as
   * Europe/Paris, " /dev/ttyUSB0 " as /dev/ttyUSB0 (found by a tester: the typed spelling stayed until
   * the screen was opened again, and the receipts already said the other).
   */
  const showSaved = (saved: SettingsView['counter']) => {
    setShopName(saved.shopName ?? '');
    setAddress(saved.shopAddress.join('\n'));
    setFooter(saved.receiptFooter.join('\n'));
    setTimeZone(saved.timeZone);
    setTipping(saved.tipping.enabled);
    setPresets(saved.tipping.presets.join(', '));
    setPort(saved.printer.port ?? '');
    setWidth(saved.printer.width);
    setPrint(saved.printer.print);
    setDrawerKick(saved.printer.drawerKick);
  };

  const err = (path: string) => issueFor(error, path);
  return (
    <form
      ref={form}
      aria-labelledby="counter-title"
      onSubmit={(e) => void submit(e)}
      onKeyDown={enterInSelectSubmits}
      // A field changed after a save: "Counter settings saved." was about the save before.
      onChange={() => setDone(null)}
      noValidate
      className="settings-form"
    >
      <h2 id="counter-title">Counter</h2>
      <Field
        id="shop-name"
        label="Shop name on receipts"
        hint={
          accountName
            ? `Empty: the gateway account's name (${accountName}).`
            : `${gatewayLabel} keeps no name for the account: type the one customers know (empty: “Shop”).`
        }
        error={err('shopName')}
      >
        <input
          {...describedBy('shop-name', true, err('shopName'))}
          value={shopName}
          maxLength={60}
          onChange={(e) => setShopName(e.target.value)}
        />
      </Field>
      <Field id="shop-address" label="Address (one line each)" error={err('shopAddress')}>
        <textarea
          {...describedBy('shop-address', null, err('shopAddress'))}
          rows={3}
          value={address}
          onChange={(e) => setAddress(e.target.value)}
        />
      </Field>
      <Field id="receipt-footer" label="Receipt footer (one line each)" error={err('receiptFooter')}>
        <textarea
          {...describedBy('receipt-footer', null, err('receiptFooter'))}
          rows={2}
          value={footer}
          onChange={(e) => setFooter(e.target.value)}
        />
      </Field>
      <Field
        id="time-zone"
        label="Time zone"
        hint="The shop's: receipts' times and where the business day starts and ends."
        error={err('timeZone')}
      >
        <input
          {...describedBy('time-zone', true, err('timeZone'))}
          list="time-zones"
          value={timeZone}
          onChange={(e) => setTimeZone(e.target.value)}
        />
      </Field>
      <datalist id="time-zones">
        {TIME_ZONES.map((zone) => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
      <fieldset className="field">
        <legend>Tips</legend>
        <label className="checkbox">
          <input type="checkbox" checked={tipping} onChange={(e) => setTipping(e.target.checked)} />
          Ask for a tip (on the customer display, or typed by the cashier)
        </label>
        <Field
          id="tip-presets"
          label="Tip presets (%)"
          hint="Of the amount before the tip: up to 4 percentages separated by commas, each once, e.g. 10, 15, 20."
          error={err('tipPresets')}
        >
          <input
            {...describedBy('tip-presets', true, err('tipPresets'))}
            value={presets}
            onChange={(e) => setPresets(e.target.value)}
          />
        </Field>
      </fieldset>
      <fieldset className="field">
        <legend>Receipt printer (ESC/POS)</legend>
        <Field
          id="printer-port"
          label="Serial port"
          hint="e.g. /dev/ttyUSB0 or COM3; empty: no printer (receipts print from the screen)."
          error={err('receiptPrinterPort')}
        >
          <input
            {...describedBy('printer-port', true, err('receiptPrinterPort'))}
            {...(counter.printer.problem && !err('receiptPrinterPort')
              ? { 'aria-describedby': 'printer-port-hint printer-port-problem' }
              : {})}
            value={port}
            spellCheck={false}
            onChange={(e) => setPort(e.target.value)}
          />
        </Field>
        {counter.printer.problem ? (
          <p className="field__error" id="printer-port-problem">
            Saved, but nothing prints there. {counter.printer.problem}. Check the port and the printer, then save again;
            until then receipts are not printed (reprint them, or print from the screen).
          </p>
        ) : null}
        <Field id="printer-width" label="Paper width">
          <select id="printer-width" value={width} onChange={(e) => setWidth(Number(e.target.value) as 32 | 42 | 48)}>
            <option value={32}>58 mm (32 columns)</option>
            <option value={42}>80 mm (42 columns)</option>
            <option value={48}>80 mm (48 columns)</option>
          </select>
        </Field>
        <Field id="printer-print" label="Print by itself after an approval">
          <select id="printer-print" value={print} onChange={(e) => setPrint(e.target.value as typeof print)}>
            <option value="off">Nothing</option>
            <option value="customer">The customer copy</option>
            <option value="both">Merchant and customer copies</option>
          </select>
        </Field>
        <label className="checkbox">
          <input type="checkbox" checked={drawerKick} onChange={(e) => setDrawerKick(e.target.checked)} />
          Open the cash drawer with the merchant copy
        </label>
      </fieldset>
      <fieldset className="field">
        <legend>Customer display</legend>
        {counter.customerDisplay.url ? (
          <>
            <p>
              Open this address on the second screen (it has its own key, and can only show the payment and take the
              customer&apos;s tip):
            </p>
            <p className="mono display-url">{counter.customerDisplay.url}</p>
            <p>
              <a href={counter.customerDisplay.url} target="_blank" rel="noopener noreferrer">
                Open the customer display
              </a>
            </p>
            <NewDisplayAddress />
          </>
        ) : (
          <p className="muted">
            The desktop app opens the customer display by itself on a second screen when one is plugged in.
          </p>
        )}
        <p role="status">
          {counter.customerDisplay.connected > 0
            ? `Connected (${counter.customerDisplay.connected}).`
            : 'No customer display is connected: the cashier types the tip.'}
        </p>
      </fieldset>
      <ErrorBox
        error={error}
        shownPaths={['shopName', 'shopAddress', 'receiptFooter', 'timeZone', 'tipPresets', 'receiptPrinterPort']}
        title="Not saved."
      />
      <LiveRegion>{done}</LiveRegion>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Apply counter settings
        </button>
      </div>
    </form>
  );
}

/**
 * Web mode: a new key in the customer display's address (it is kept across restarts, so a bookmark
 * works; this is how the shop withdraws it). The old address stops working at once: confirmed first.
 */
function NewDisplayAddress() {
  const run = usePos((s) => s.run);
  const busy = usePos((s) => s.busy.displayAddress === true);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<CommandError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  // Once answered, the confirmation goes: the focus goes back to the button that opened it (drawn again).
  const focusButton = useRef(false);
  useEffect(() => {
    if (confirming || !focusButton.current) return;
    focusButton.current = false;
    button.current?.focus();
  }, [confirming]);
  const renew = async () => {
    setDone(null);
    setError(null);
    const result = await run('settings.newDisplayAddress', {}, 'displayAddress');
    focusButton.current = true;
    setConfirming(false);
    if (result.ok) setDone('New address made: the old one no longer works. Open the new one on the customer display.');
    else setError(result.error);
  };
  return (
    <>
      <p className="muted" id="display-address-note">
        The address stays the same when the till restarts. A new address stops the old one at once: a screen open on it
        is locked until the new one is opened there.
      </p>
      <div className="actions">
        {confirming ? (
          <ConfirmChoice
            yes="Yes, make a new address"
            no="Keep this address"
            busy={busy}
            describedBy="display-address-note"
            onYes={() => void renew()}
            onNo={() => setConfirming(false)}
          />
        ) : (
          <button type="button" ref={button} disabled={busy} onClick={() => setConfirming(true)}>
            New address for the customer display
          </button>
        )}
      </div>
      <ErrorBox error={error} title="The address was not changed." />
      <LiveRegion>{done}</LiveRegion>
    </>
  );
}

const KINDS: DevLogEntry['kind'][] = ['request', 'event', 'link', 'reader', 'error'];

function DevLog() {
  const entries = usePos((s) => s.host.devlog);
  const timeZone = usePos(shopTimeZone);
  const run = usePos((s) => s.run);
  const loading = usePos((s) => s.busy.devlog === true);
  const [kind, setKind] = useState<DevLogEntry['kind'] | ''>('');
  const [error, setError] = useState<CommandError | null>(null);

  useEffect(() => {
    void run('devlog.list', { limit: 200 }, 'devlog').then((r) => setError(r.ok ? null : r.error));
  }, [run]);

  const shown = useMemo(
    () =>
      entries
        .filter((e) => !kind || e.kind === kind)
        .slice()
        .reverse(),
    [entries, kind],
  );

  return (
    <section aria-labelledby="devlog-title" className="devlog">
      <h2 id="devlog-title">Developer log</h2>
      <p className="muted">Requests, events and reader traffic, newest first. Secrets are removed by the host.</p>
      <div className="inline-fields">
        <Field id="devlog-kind" label="Show">
          <select id="devlog-kind" value={kind} onChange={(e) => setKind(e.target.value as DevLogEntry['kind'] | '')}>
            <option value="">Everything</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </Field>
        <button
          type="button"
          disabled={loading}
          onClick={() => void run('devlog.list', { limit: 200 }, 'devlog').then((r) => setError(r.ok ? null : r.error))}
        >
          Refresh log
        </button>
      </div>
      <ErrorBox error={error} />
      {shown.length === 0 ? (
        <p className="empty">{loading ? 'Loading…' : 'Nothing logged yet.'}</p>
      ) : (
        // It scrolls on its own (max-height): focusable, so the keyboard can scroll it too.
        <ol className="devlog__list" aria-label="Log entries" tabIndex={0}>
          {shown.map((entry) => (
            <li key={entry.id} className={`devlog__entry devlog__entry--${entry.kind}`}>
              <time dateTime={entry.at}>{clockTime(entry.at, timeZone)}</time> <span className="tag">{entry.kind}</span>{' '}
              {entry.summary}
              {entry.detail ? (
                <details>
                  <summary>Detail</summary>
                  <pre>{entry.detail}</pre>
                </details>
              ) : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

export function Settings() {
  const settings = usePos((s) => s.host.settings);
  // The merchants for split payments: shown while the till's gateway shares payments (Plural).
  const sharesPayments = usePos((s) => s.host.gateway?.capabilities.splitSettlement === true);
  return (
    <section className="screen" aria-labelledby="settings-title">
      <h1 id="settings-title" tabIndex={-1}>
        Settings
      </h1>
      {settings ? <SettingsForm settings={settings} /> : <p role="status">Loading settings…</p>}
      {settings ? <CounterForm settings={settings} /> : null}
      {settings && sharesPayments ? <SplitMerchantsForm settings={settings} /> : null}
      <DevLog />
    </section>
  );
}
