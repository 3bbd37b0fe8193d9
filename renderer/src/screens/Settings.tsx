import { useEffect, useMemo, useState, type FormEvent } from 'react';
import type { CommandError, CommandInput, DevLogEntry, SettingsView } from '../../../common/contract';
import { ErrorBox } from '../components/ErrorBox';
import { describedBy, Field } from '../components/Field';
import { usePos } from '../store/context';
import { clockTime } from '../lib/format';
import { issueFor } from '../lib/errors';

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
  },
  clear: { secretKey: boolean; publishableKey: boolean; webhookSecret?: boolean },
): Update | { error: string; path?: string } {
  const update: Update = {};
  if (form.mode !== current.mode) update.mode = form.mode;
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
      // Any free port; a receiver already running keeps its port.
      if (current.webhookPort === null) update.webhookPort = 0;
    } else {
      const port = Number(text);
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        return {
          error: 'Webhook port: a whole number from 1 to 65535, or empty for any free port.',
          path: 'webhookPort',
        };
      }
      if (port !== current.webhookPort) update.webhookPort = port;
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
  const [error, setError] = useState<CommandError | null>(null);
  const [done, setDone] = useState<string | null>(null);

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
      },
      { secretKey: clearSecret, publishableKey: clearPublishable, webhookSecret: clearWebhookSecret },
    );
    if ('error' in changes) {
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
      setWebhooksOn(result.value.webhookPort !== null);
      setMode(result.value.mode);
      setApiBaseUrl(result.value.apiBaseUrl);
      setEmbeddedSandbox(result.value.embeddedSandbox);
      setAutoPresentSeconds(String(result.value.autoPresentDelayMs / 1000));
      setDone('Settings saved.');
    } else {
      setError(result.error);
    }
  };

  return (
    <form aria-labelledby="settings-form-title" onSubmit={(e) => void submit(e)} noValidate className="settings-form">
      <h2 id="settings-form-title">Connection</h2>
      <fieldset className="field radio-group">
        <legend>Mode</legend>
        <label className="radio">
          <input type="radio" name="mode" value="test" checked={mode === 'test'} onChange={() => setMode('test')} />
          Test (no real money)
        </label>
        <label className="radio">
          <input type="radio" name="mode" value="live" checked={mode === 'live'} onChange={() => setMode('live')} />
          Live (real cards are charged)
        </label>
        {mode === 'live' && settings.mode !== 'live' ? (
          <p className="field__error">Saving switches to live mode: real cards will be charged.</p>
        ) : null}
        {issueFor(error, 'mode') ? <p className="field__error">{issueFor(error, 'mode')}</p> : null}
      </fieldset>
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
      <p className="muted">Keys are kept in {STORAGE_LABELS[settings.secretStorage]} and are never shown again.</p>
      <label className="checkbox field">
        <input type="checkbox" checked={embeddedSandbox} onChange={(e) => setEmbeddedSandbox(e.target.checked)} />
        Embedded sandbox (test against the built-in PlutoPay sandbox)
      </label>
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
          Receive PlutoPay webhooks forwarded to this computer
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
          'autoPresentDelayMs',
          'webhookPort',
          'webhookSecret',
        ]}
        title="Not saved."
      />
      {done ? <p role="status">{done}</p> : null}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Save settings
        </button>
      </div>
    </form>
  );
}

const KINDS: DevLogEntry['kind'][] = ['request', 'event', 'link', 'reader', 'error'];

function DevLog() {
  const entries = usePos((s) => s.host.devlog);
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
        <ol className="devlog__list" aria-label="Log entries">
          {shown.map((entry) => (
            <li key={entry.id} className={`devlog__entry devlog__entry--${entry.kind}`}>
              <time dateTime={entry.at}>{clockTime(entry.at)}</time> <span className="tag">{entry.kind}</span>{' '}
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
  return (
    <section className="screen" aria-labelledby="settings-title">
      <h1 id="settings-title" tabIndex={-1}>
        Settings
      </h1>
      {settings ? <SettingsForm settings={settings} /> : <p role="status">Loading settings…</p>}
      <DevLog />
    </section>
  );
}
