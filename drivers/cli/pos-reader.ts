/**
 * pos-reader: diagnose card readers at the counter without the app.
 *   list · probe <port> · pay <port> · emulate
 * Run with `npm run reader -- <command>` or the `pos-reader` bin.
 */
import { existsSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import { parseArgs } from 'node:util';
import { currencyByNumeric, isKnownCurrency } from '../../common/currencies';
import { checkMinorAmount, formatAmount, readMajorAmount } from '../../common/money';
import { watchNpmParent } from '../../common/npm-parent';
import type { ConcertAnswer, ConcertRequest } from '../protocols/concert/codec';
import { CONCERT_MAX_AMOUNT, toHex } from '../protocols/concert/codec';
import { createConcertDriver } from '../protocols/concert/driver';
import type { EmulatorAnswerFault, EmulatorEvent, EmulatorOutcome } from '../protocols/concert/emulator';
import { serveEmulator } from '../protocols/concert/emulator';
import { createDefaultRegistry } from '../registry';
import { SocatMissingError, createPtyPair } from '../serial/socat';
import { openSerialTransport } from '../serial/transport';
import type { CardOutcome } from '../types';
import { hex4 } from '../usb/ids';

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  declined: 3,
  canceled: 4,
  failed: 5,
  unknown: 6,
  port: 7,
  tool: 8,
} as const;

const EXIT_CODES_HELP = `Exit codes:
  0  approved (pay), terminal found (probe), success
  1  unexpected internal error
  2  usage error: bad option, amount or currency
  3  declined: the terminal refused the payment (nothing charged)
  4  canceled before the terminal took the request (nothing charged)
  5  failed: the terminal never took the request (nothing charged); probe: no terminal answered
  6  outcome unknown: the terminal took the request, then went silent or broke the protocol;
     it MAY HAVE CHARGED: check the terminal's journal before paying again
  7  port error: the port does not exist, cannot be opened, or went away
  8  a required tool is missing (socat for emulate)`;

const HELP = {
  main: `Usage: pos-reader <command> [options]

Diagnose Concert (Ingenico Telium) card terminals at the counter.

Commands:
  list              serial ports, USB readers, and which driver claims which
  probe <port>      is there a Concert terminal on <port>? (ENQ → ACK, then EOT)
  pay <port>        run one payment on the terminal at <port>
  emulate           run a terminal emulator on a virtual port pair (needs socat)

Run "pos-reader <command> --help" (or "pos-reader help <command>") for the options of a command.

${EXIT_CODES_HELP}`,
  list: `Usage: pos-reader list [--port PATH]... [--no-probe] [--probe-timeout MS] [--json]

Lists serial ports (serialport, or sysfs where udevadm is missing), Ingenico USB devices, and
the driver that claims each device: by USB vendor/product ID, by probe, or by configuration.

  --port PATH         also consider this port, which must exist (socat ptys are not listed by
                      the system); repeatable
  --no-probe          do not send ENQ to unidentified ports
  --probe-timeout MS  how long a probe waits for ACK (default 1000)
  --json              machine-readable output: {serial, usb, devices, notes}`,
  probe: `Usage: pos-reader probe <port> [--timeout MS]

Opens <port> (9600 7E1), sends ENQ, waits for ACK, sends EOT, closes the port.
Exit 0 when a Concert terminal answered, 5 when nothing did, 7 when the port cannot be opened.

  --timeout MS   wait for ACK (default 3000)`,
  pay: `Usage: pos-reader pay <port> --amount MINOR --currency CODE [--timeout S] [--pos NN] [--short] [--trace] [--json]

Sends one E+ purchase request and prints the terminal's decoded answer.

  --amount MINOR   amount in minor units: 12.50 EUR is --amount 1250
  --currency CODE  ISO 4217 alphabetic code (EUR, USD, GBP, …)
  --timeout S      how long the customer has at the terminal (default 120 s)
  --pos NN         POS number the terminal expects, 01-99 (default 01)
  --reference REF  private data sent to the terminal (last 10 characters)
  --short          ask for the short answer (no card field)
  --trace          print every byte sent and received
  --json           print the outcome as JSON

Ctrl-C cancels while the terminal has not taken the request; after that, the payment is in the
terminal's hands and pay waits for its answer (Ctrl-C again gives up: OUTCOME UNKNOWN (interrupted),
exit 6). SIGTERM cancels while it can, else gives up at once the same way.

${EXIT_CODES_HELP}`,
  emulate: `Usage: pos-reader emulate [--outcome O] [--delay S] [--fault F] [--nak K] [--answer SIZE] [--link PATH] [--quiet]

Creates a virtual port pair with socat, serves a Concert terminal emulator on one end and prints
the other end's path on the first line of stdout. Point "pos-reader pay" or the app at it.
Runs until Ctrl-C.

  --outcome O      approve (default), refuse, never (takes the request, never answers),
                   handled (answers status 9 at once, like A011)
  --delay S        seconds the "card transaction" takes (default 1)
  --fault F        none (default), bad-lrc (first answer has a bad LRC), garbage (noise
                   instead of the answer), drop (half the answer, then silence)
  --bad-lrc N      with --fault bad-lrc: how many bad answers before a good one (default 1)
  --nak K          NAK the first K request frames of each session (default 0)
  --card NUMBER    masked card number in full answers (default 497010******0119)
  --answer SIZE    request (default: as the request asks), short or full
  --link PATH      where to create the ECR end's symlink, in an existing directory (default: a
                   temporary directory); the terminal's end is PATH.terminal
  --quiet          do not log the exchanges on stderr`,
} as const;

class UsageError extends Error {}

interface Io {
  out(line: string): void;
  err(line: string): void;
}

const io: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

function parse<const O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(oneLine(error instanceof Error ? error.message : String(error)));
  }
}

/**
 * node:util's parseArgs explains some refusals on three lines ("--delay -1": "argument is
 * ambiguous. / Did you forget … / To specify …"): an error is one line.
 */
function oneLine(message: string): string {
  return message.trim().replace(/\s*\n\s*/g, ' ');
}

function requirePort(positionals: string[], command: string): string {
  const port = positionals[0];
  if (!port) throw new UsageError(`${command} needs a port, e.g. pos-reader ${command} /dev/ttyACM0`);
  if (positionals.length > 1) throw new UsageError(`unexpected arguments: ${positionals.slice(1).join(' ')}`);
  return port;
}

function parseAmount(text: string | undefined, currency: string): number {
  if (text === undefined) throw new UsageError('--amount is required (minor units: 12.50 EUR is --amount 1250)');
  if (!/^\d+$/.test(text)) {
    // The hint reads the amount in the currency's own decimals, as the app does: "12.5" EUR is
    // 1250, not 125 (dropping the separator once sent a payment ten times too small).
    const major = /^\d+[.,]\d+$/.test(text) ? readMajorAmount(text, currency) : null;
    const hint = !major
      ? ''
      : major.ok
        ? `: amounts are in minor units, so ${text} ${currency} is --amount ${major.minor}`
        : `: ${major.error}, and amounts are in minor units`;
    throw new UsageError(`--amount must be a whole number of minor units, got "${text}"${hint}`);
  }
  const checked = checkMinorAmount(Number(text));
  if (!checked.ok) throw new UsageError(`--amount: ${checked.error}`);
  // The request's amount field is 8 digits: a larger amount is refused before the port is opened.
  if (checked.minor > CONCERT_MAX_AMOUNT)
    throw new UsageError(`--amount: a Concert terminal takes at most ${CONCERT_MAX_AMOUNT} minor units`);
  return checked.minor;
}

function parseCurrency(text: string | undefined): string {
  if (text === undefined) throw new UsageError('--currency is required (ISO 4217, e.g. EUR)');
  if (!isKnownCurrency(text)) {
    const numeric = /^\d{3}$/.test(text) ? currencyByNumeric(text) : undefined;
    if (numeric)
      throw new UsageError(`"${text}" is the numeric code of ${numeric.code}: use --currency ${numeric.code}`);
    throw new UsageError(`unknown currency "${text}": use an ISO 4217 alphabetic code such as EUR, USD or GBP`);
  }
  return text.toUpperCase();
}

function parsePositive(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0)
    throw new UsageError(`${name} must be a non-negative number, got "${text}"`);
  return value;
}

function checkPortExists(port: string): void {
  // Windows COM ports are not files; let the open fail with serialport's own message there.
  if (process.platform !== 'win32' && !existsSync(port)) {
    throw new PortError(
      `no such port ${port}: run "pos-reader list" to see the ports (ptys from socat must exist first)`,
    );
  }
}

class PortError extends Error {}

// ---------------------------------------------------------------- list

async function list(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    port: { type: 'string', multiple: true },
    'no-probe': { type: 'boolean' },
    'probe-timeout': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals.length > 0)
    throw new UsageError(
      `list takes no port argument, got "${positionals.join(' ')}": use --port ${positionals[0]} to also consider a port`,
    );
  const probeTimeoutMs = parsePositive(values['probe-timeout'], '--probe-timeout', 1_000);
  // A --port that does not exist would be watched for and silently left out of the listing.
  for (const port of values.port ?? []) checkPortExists(port);
  const notes: string[] = [];
  const registry = createDefaultRegistry({
    ports: values.port ?? [],
    probe: !values['no-probe'],
    concert: { probeTimeoutMs },
    onNote: (note) => notes.push(note),
  });
  await registry.start();
  await registry.settled();
  const devices = registry.devices();
  const listing = registry.serialDiscovery?.lastListing;
  const usbReason = registry.usbDiscovery?.unavailableReason ?? null;
  await registry.stop();
  if (values.json) {
    // `notes`: the "note: …" lines of the human listing, always a list (empty when none).
    io.out(
      JSON.stringify(
        { serial: listing ?? null, usb: { available: usbReason === null, reason: usbReason }, devices, notes },
        null,
        2,
      ),
    );
    return EXIT.ok;
  }
  io.out(`Serial ports (from ${listing?.source ?? 'nowhere'}${listing?.note ? `: ${listing.note}` : ''}):`);
  if (!listing || listing.ports.length === 0) io.out('  none');
  for (const port of listing?.ports ?? []) {
    const usb = port.vendorId !== undefined ? ` USB ${hex4(port.vendorId)}:${hex4(port.productId ?? 0)}` : '';
    const extra = [port.manufacturer, port.product, port.serialNumber && `serial ${port.serialNumber}`]
      .filter(Boolean)
      .join(', ');
    io.out(`  ${port.path}${usb}${extra ? ` (${extra})` : ''}`);
  }
  const usbDevices = devices.filter((d) => d.device.foundBy === 'usb');
  io.out('USB readers:');
  if (usbReason !== null) io.out(`  no USB readers (${usbReason})`);
  else if (usbDevices.length === 0) io.out('  no USB readers');
  for (const { device } of usbDevices) {
    io.out(`  ${device.id} ${device.model ?? ''} ${device.path ? `→ ${device.path}` : '(no serial port yet)'}`);
  }
  io.out('Devices and drivers:');
  if (devices.length === 0) io.out('  none');
  for (const { device, claim } of devices) {
    const verdict = claim.driver === null ? `unclaimed: ${claim.reason}` : `${claim.driver} (by ${claim.by})`;
    io.out(`  ${device.id}${device.model ? ` [${device.model}]` : ''}: ${verdict}`);
  }
  for (const note of notes) io.err(`note: ${note}`);
  return EXIT.ok;
}

// ---------------------------------------------------------------- probe

async function probe(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { timeout: { type: 'string' } });
  const port = requirePort(positionals, 'probe');
  checkPortExists(port);
  const driver = createConcertDriver({ probeTimeoutMs: parsePositive(values.timeout, '--timeout', 3_000) });
  const result = await driver.probePath(port);
  if (result.ok) {
    io.out(`${port}: Concert terminal (${result.detail}, ${result.elapsedMs} ms)`);
    return EXIT.ok;
  }
  io.out(`${port}: no Concert terminal (${result.detail})`);
  return result.opened ? EXIT.failed : EXIT.port;
}

// ---------------------------------------------------------------- pay

const STATUS_MEANING: Record<string, string> = {
  '0': 'accepted',
  '7': 'refused / not completed',
  '9': 'request handled (no result)',
};

function printAnswer(answer: ConcertAnswer, request: ConcertRequest): void {
  const currency = currencyByNumeric(answer.currencyNumeric)?.code;
  io.out('Terminal answer:');
  io.out(
    `  POS number    ${answer.posNumber}${answer.posNumber === request.posNumber ? '' : ` (sent ${request.posNumber})`}`,
  );
  io.out(`  status        ${answer.status} ${STATUS_MEANING[answer.status] ?? '(unknown status)'}`);
  io.out(`  amount        ${answer.amount}${currency ? ` (${formatAmount(answer.amount, currency)})` : ''}`);
  io.out(`  payment mode  ${answer.paymentMode}`);
  if (answer.cardField !== null) io.out(`  card field    "${answer.cardField.trimEnd()}"`);
  io.out(`  currency      ${answer.currencyNumeric}${currency ? ` ${currency}` : ' (unknown)'}`);
  io.out(`  private data  "${answer.privateData}"`);
}

/** pay stopped by a signal after the terminal took the request. */
interface GivenUp {
  readonly kind: 'unknown';
  readonly code: 'interrupted';
  readonly message: string;
}

function describeOutcome(outcome: CardOutcome | GivenUp): string {
  switch (outcome.kind) {
    case 'approved': {
      const card = outcome.card ? ` ${outcome.card.brand} •••• ${outcome.card.last4}` : '';
      return `APPROVED${card}${outcome.authCode ? ` (reference ${outcome.authCode})` : ''}`;
    }
    case 'declined':
      return `DECLINED (${outcome.code}): ${outcome.message}`;
    case 'canceled':
      return 'CANCELED before the terminal took the request: nothing was charged';
    case 'failed':
      return `FAILED (${outcome.code}), nothing charged: ${outcome.message}${technical(outcome)}`;
    case 'unknown':
      return `OUTCOME UNKNOWN (${outcome.code}): ${outcome.message}${technical(outcome)}`;
  }
}

/** The technician reads the device's own words too (a port's error), which the cashier is spared. */
function technical(outcome: CardOutcome | GivenUp): string {
  return 'detail' in outcome && outcome.detail ? ` [${outcome.detail}]` : '';
}

const EXIT_FOR: Record<CardOutcome['kind'], number> = {
  approved: EXIT.ok,
  declined: EXIT.declined,
  canceled: EXIT.canceled,
  failed: EXIT.failed,
  unknown: EXIT.unknown,
};

async function pay(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    amount: { type: 'string' },
    currency: { type: 'string' },
    timeout: { type: 'string' },
    pos: { type: 'string' },
    reference: { type: 'string' },
    short: { type: 'boolean' },
    trace: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const port = requirePort(positionals, 'pay');
  const currency = parseCurrency(values.currency);
  const amount = parseAmount(values.amount, currency);
  const timeoutS = parsePositive(values.timeout, '--timeout', 120);
  const pos = values.pos ?? '01';
  if (!/^(0[1-9]|[1-9]\d)$/.test(pos)) throw new UsageError(`--pos must be two digits 01-99, got "${pos}"`);
  checkPortExists(port);
  const driver = createConcertDriver({
    posNumber: pos,
    fullAnswer: !values.short,
    timings: { answerTimeoutMs: Math.round(timeoutS * 1000) },
    onTrace: values.trace
      ? (direction, bytes) => io.err(`${direction === 'out' ? '→' : '←'} ${toHex(bytes)}`)
      : undefined,
    onAnswer: values.json ? undefined : printAnswer,
  });
  let reader;
  try {
    reader = await driver.open({ id: `serial:${port}`, foundBy: 'serial', path: port });
  } catch (error) {
    throw new PortError(error instanceof Error ? error.message : String(error));
  }
  const report = (outcome: CardOutcome | GivenUp): void => {
    if (values.json) io.out(JSON.stringify(outcome));
    else io.out(describeOutcome(outcome));
  };
  // Given up while the terminal has the request: the outcome is said like any other (on stdout,
  // as JSON with --json), so a script never reads an empty answer as "nothing happened".
  const giveUp = (why: string): never => {
    report({
      kind: 'unknown',
      code: 'interrupted',
      message: `${why} while the terminal had the request: it may have charged the card; check it before paying again`,
    });
    process.exit(EXIT.unknown);
  };
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts += 1;
    if (interrupts > 1) giveUp('pos-reader was stopped (Ctrl-C)');
    void reader.cancel().then((stopped) => {
      if (!stopped)
        io.err('too late to cancel: the terminal has the request; waiting for its answer (Ctrl-C again to give up)');
    });
  };
  // SIGTERM (a script's timeout, kill): cancel when it still can, else stop at once, saying so.
  const onSigterm = (): void => {
    void reader.cancel().then((stopped) => {
      if (!stopped) giveUp('pos-reader was stopped (SIGTERM)');
    });
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  if (!values.json) io.err(`Paying ${formatAmount(amount, currency)} on ${port}: follow the terminal…`);
  const outcome = await reader.collect({ amount, currency, reference: values.reference ?? 'POSREADER' }, (stage) => {
    if (stage === 'waiting_for_card' && !values.json) io.err('The terminal took the request: present the card.');
  });
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigterm);
  await reader.close();
  report(outcome);
  return EXIT_FOR[outcome.kind];
}

// ---------------------------------------------------------------- emulate

// Read first: npm's shell may be gone by the time the emulator is up.
const parent = process.ppid;

const OUTCOMES: readonly EmulatorOutcome[] = ['approve', 'refuse', 'never', 'handled'];
const FAULTS: Record<string, EmulatorAnswerFault> = {
  none: 'none',
  'bad-lrc': 'bad_lrc',
  garbage: 'garbage',
  drop: 'drop',
};

function describeEvent(event: EmulatorEvent): string {
  switch (event.type) {
    case 'request':
      return `request: POS ${event.request.posNumber}, amount ${event.request.amount}, currency ${event.request.currencyNumeric}, ${event.request.variant}, private "${event.request.privateData}"`;
    case 'request_rejected':
      return `request NAKed: ${event.reason}`;
    case 'answer_sent':
      return `answer sent (status ${event.answer.status}${event.fault === 'none' ? '' : `, fault ${event.fault}`}): ${toHex(event.bytes)}`;
    case 'answer_acknowledged':
      return 'answer acknowledged by the ECR';
    case 'answer_abandoned':
      return `answer abandoned: ${event.reason}`;
  }
}

async function emulate(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    outcome: { type: 'string' },
    delay: { type: 'string' },
    fault: { type: 'string' },
    'bad-lrc': { type: 'string' },
    nak: { type: 'string' },
    card: { type: 'string' },
    answer: { type: 'string' },
    link: { type: 'string' },
    quiet: { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
  const outcome = (values.outcome ?? 'approve') as EmulatorOutcome;
  if (!OUTCOMES.includes(outcome))
    throw new UsageError(`--outcome must be one of ${OUTCOMES.join(', ')}, got "${values.outcome}"`);
  const fault = FAULTS[values.fault ?? 'none'];
  if (!fault) throw new UsageError(`--fault must be one of ${Object.keys(FAULTS).join(', ')}, got "${values.fault}"`);
  const answerSize = values.answer ?? 'request';
  if (answerSize !== 'request' && answerSize !== 'short' && answerSize !== 'full') {
    throw new UsageError(`--answer must be request, short or full, got "${answerSize}"`);
  }
  const script = {
    outcome,
    delayMs: Math.round(parsePositive(values.delay, '--delay', 1) * 1000),
    answerFault: fault,
    badLrcCount: Math.floor(parsePositive(values['bad-lrc'], '--bad-lrc', 1)),
    nakFrames: Math.floor(parsePositive(values.nak, '--nak', 0)),
    answerSize,
    ...(values.card ? { cardNumber: values.card } : {}),
  } as const;

  // Signals are taken from here on, not only once the port is printed: a SIGTERM while socat is
  // being started would otherwise end this process at once and leave socat (and its temporary
  // directory) behind. A signal before the pair is up stops it as soon as it is.
  let signalled = false;
  let onStop: (() => void) | null = null;
  const onSignal = (): void => {
    signalled = true;
    onStop?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const unwatch = watchNpmParent(
    () => {
      io.err('pos-reader emulate: npm, which started it, has stopped; stopping.');
      onSignal();
    },
    process.env,
    parent,
  );
  try {
    let pair;
    try {
      pair = await createPtyPair(values.link ? { linkA: `${values.link}.terminal`, linkB: values.link } : {});
    } catch (error) {
      if (error instanceof SocatMissingError) {
        io.err(`pos-reader emulate: ${error.message}`);
        return EXIT.tool;
      }
      throw new PortError(error instanceof Error ? error.message : String(error));
    }
    if (signalled) {
      await pair.stop();
      return EXIT.ok;
    }
    let transport;
    try {
      transport = await openSerialTransport(pair.a);
    } catch (error) {
      // socat would outlive us, holding the pair (and its temporary directory).
      await pair.stop();
      throw new PortError(
        `cannot open the emulator's end ${pair.a}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const served = serveEmulator(transport, {
      script,
      onEvent: values.quiet ? undefined : (event) => io.err(`[emulator] ${describeEvent(event)}`),
    });
    const ready = pair;
    return await new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (code: number): void => {
        if (stopping) return;
        stopping = true;
        void served
          .stop()
          .catch(() => undefined)
          .then(() => ready.stop())
          .then(() => resolve(code));
      };
      onStop = () => stop(EXIT.ok);
      void ready.exited.then(() => {
        if (!stopping) io.err('socat exited: the virtual port pair is gone');
        stop(stopping ? EXIT.ok : EXIT.port);
      });
      if (signalled) {
        stop(EXIT.ok);
        return;
      }
      // The first line of stdout is the port to pay on (a script may send Ctrl-C as soon as it
      // reads it: the handlers are in place).
      io.out(ready.b);
      if (!values.quiet) {
        io.err(
          `Concert terminal emulator (${outcome}, ${script.delayMs} ms${fault === 'none' ? '' : `, ${values.fault}`}) on ${ready.b}`,
        );
        io.err(`Try: pos-reader pay ${ready.b} --amount 1250 --currency EUR    (Ctrl-C to stop)`);
      }
    });
  } finally {
    unwatch();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

// ---------------------------------------------------------------- main

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = { list, probe, pay, emulate };

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'help' && rest[0] !== undefined) {
    // "pos-reader help pay", as the main help's wording invites: the command's own help.
    if (!(rest[0] in COMMANDS)) {
      io.err(`pos-reader: unknown command "${rest[0]}"\n\n${HELP.main}`);
      return EXIT.usage;
    }
    io.out(HELP[rest[0] as keyof typeof HELP]);
    return EXIT.ok;
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.out(HELP.main);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  const run = COMMANDS[command];
  if (!run) {
    io.err(`pos-reader: unknown command "${command}"\n\n${HELP.main}`);
    return EXIT.usage;
  }
  if (wantsHelp(rest)) {
    io.out(HELP[command as keyof typeof HELP]);
    return EXIT.ok;
  }
  try {
    return await run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`pos-reader ${command}: ${error.message}\n(see pos-reader ${command} --help)`);
      return EXIT.usage;
    }
    if (error instanceof PortError) {
      io.err(`pos-reader ${command}: ${error.message}`);
      return EXIT.port;
    }
    io.err(`pos-reader ${command}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT.internal;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    io.err(String(error));
    process.exit(EXIT.internal);
  },
);
