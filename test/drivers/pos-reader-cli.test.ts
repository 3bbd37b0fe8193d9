/**
 * The pos-reader CLI as a user runs it: `emulate` makes a pty pair with socat and serves a
 * terminal, `pay` completes a payment against it, exit codes tell the outcome.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { socatErrors } from '../../drivers/serial/socat';
import { openSerialTransport } from '../../drivers/serial/transport';
import { waitFor } from '../support/host';
import { isRunning, underNpmShell } from '../support/npm-shell';
import { hasTool } from '../support/tools';

const ROOT = join(__dirname, '../..');
const BIN = join(ROOT, 'bin/pos-reader.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Emulator {
  path: string;
  child: ChildProcess;
  stop(): Promise<number | null>;
}

/** Starts `pos-reader emulate` and resolves with the port it prints on its first line. */
function emulate(args: string[], options: { onLog?: (text: string) => void } = {}): Promise<Emulator> {
  return new Promise((resolve, reject) => {
    const quiet = options.onLog ? [] : ['--quiet'];
    const child = spawn(process.execPath, [BIN, 'emulate', ...quiet, ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      options.onLog?.(stderr);
    });
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const newline = stdout.indexOf('\n');
      if (newline >= 0) {
        resolve({
          path: stdout.slice(0, newline),
          child,
          stop: () => {
            child.kill('SIGINT');
            return exited;
          },
        });
      }
    });
    void exited.then((code) => reject(new Error(`emulate exited (${code}) before printing a port: ${stderr}`)));
  });
}

/** The pid of `pid`'s first child named `name`, polled as fast as /proc allows. */
async function firstChild(pid: number, name: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    let children: string[] = [];
    try {
      children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      // not started yet, or gone
    }
    for (const child of children) {
      try {
        if (readFileSync(`/proc/${child}/comm`, 'utf8').trim() === name) return Number(child);
      } catch {
        // gone already
      }
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`no ${name} child of ${pid} within 10 s`);
}

describe.skipIf(!hasTool('socat'))('pos-reader emulate + pay', () => {
  const emulators: Emulator[] = [];
  afterAll(async () => {
    for (const emulator of emulators) await emulator.stop();
  });
  const started = async (args: string[]) => {
    const emulator = await emulate(args);
    emulators.push(emulator);
    return emulator;
  };

  it('completes a payment: pay prints the decoded answer and exits 0', async () => {
    const emulator = await started(['--delay', '0.1']);
    expect(existsSync(emulator.path)).toBe(true);
    const run = await cli(['pay', emulator.path, '--amount', '1250', '--currency', 'EUR', '--timeout', '5']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/status\s+0 accepted/);
    expect(run.stdout).toMatch(/amount\s+1250 \(€12\.50\)/);
    expect(run.stdout).toMatch(/card field\s+"497010\*\*\*\*\*\*0119"/);
    expect(run.stdout).toMatch(/APPROVED visa •••• 0119/);
    const probe = await cli(['probe', emulator.path, '--timeout', '10000']);
    expect(probe.code).toBe(0);
    expect(probe.stdout).toMatch(/Concert terminal \(ACK to ENQ/);
    // Whole milliseconds (the monotonic clock reads fractions: "2.6007490000000075 ms" was printed).
    expect(probe.stdout).toMatch(/, \d+ ms\)$/m);
  });

  it('list says a port another program holds cannot be opened, instead of "did not answer"', async () => {
    const emulator = await started(['--delay', '0']);
    const holder = await openSerialTransport(emulator.path);
    try {
      const run = await cli(['list', '--port', emulator.path, '--probe-timeout', '300']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(
        `serial:${emulator.path}: unclaimed: concert probe failed: cannot open ${emulator.path}: Resource temporarily unavailable Cannot lock port: another program`,
      );
    } finally {
      await holder.close();
    }
  });

  /**
   * pay on a terminal that takes the request and never answers, sent `signals` once the terminal
   * has logged the request (each one after pay said the previous one came too late).
   */
  async function interruptedPay(payArgs: string[], signals: NodeJS.Signals[]): Promise<Run> {
    let requested!: () => void;
    const request = new Promise<void>((resolve) => (requested = resolve));
    const emulator = await emulate(['--outcome', 'never'], {
      onLog: (log) => {
        if (log.includes('[emulator] request:')) requested();
      },
    });
    emulators.push(emulator);
    const child = spawn(
      process.execPath,
      [BIN, 'pay', emulator.path, '--amount', '100', '--currency', 'EUR', ...payArgs],
      {
        cwd: ROOT,
      },
    );
    let stdout = '';
    let stderr = '';
    let tooLate: () => void = () => undefined;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('too late to cancel')) tooLate();
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    await request;
    for (const [index, signal] of signals.entries()) {
      const answered = new Promise<void>((resolve) => (tooLate = resolve));
      child.kill(signal);
      if (index < signals.length - 1) await answered;
    }
    return { code: await closed, stdout, stderr };
  }

  it('Ctrl-C twice after the terminal took the request: the outcome is said unknown, as JSON with --json', async () => {
    const json = await interruptedPay(['--json'], ['SIGINT', 'SIGINT']);
    expect(json.code).toBe(6);
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: 'unknown', code: 'interrupted' });
    expect(json.stderr).toMatch(/too late to cancel/);
    const text = await interruptedPay([], ['SIGINT', 'SIGINT']);
    expect(text.code).toBe(6);
    expect(text.stdout).toMatch(/^OUTCOME UNKNOWN \(interrupted\): .*may have charged the card/m);
  });

  it('SIGTERM after the terminal took the request gives up at once, saying the outcome is unknown', async () => {
    const run = await interruptedPay(['--json'], ['SIGTERM']);
    expect(run.code).toBe(6);
    expect(JSON.parse(run.stdout)).toMatchObject({ kind: 'unknown', code: 'interrupted' });
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('exits 3 on a refusal', async () => {
    const emulator = await started(['--outcome', 'refuse', '--delay', '0']);
    const run = await cli(['pay', emulator.path, '--amount', '999', '--currency', 'usd', '--json']);
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ kind: 'declined', code: 'card_declined' });
  });

  it('exits 6 (outcome unknown) when the terminal takes the payment and never answers', async () => {
    const emulator = await started(['--outcome', 'never']);
    const run = await cli(['pay', emulator.path, '--amount', '100', '--currency', 'EUR', '--timeout', '0.5']);
    expect(run.code).toBe(6);
    expect(run.stdout).toMatch(/OUTCOME UNKNOWN \(reader_timeout\)/);
  });

  it('a --link in a directory that does not exist: one line naming it, exit 7, no socat left', async () => {
    // socat used to print its own timestamped log (three lines) through "socat exited before…".
    const run = await cli(['emulate', '--quiet', '--link', '/nonexistent-dir/ttyPOS']);
    expect(run.code).toBe(7);
    expect(run.stderr).toBe(
      'pos-reader emulate: cannot create /nonexistent-dir/ttyPOS.terminal: /nonexistent-dir is not an existing directory\n',
    );
    expect(run.stdout).toBe('');
  });

  it.skipIf(!existsSync('/proc/self/task'))(
    'a SIGTERM while socat is starting stops socat too (exit 0), leaving nothing behind',
    async () => {
      // The handlers used to be installed only once the port was printed: a SIGTERM in between
      // ended the CLI at once and left socat running, orphaned, with its temporary directory.
      for (let attempt = 0; attempt < 3; attempt++) {
        const child = spawn(process.execPath, [BIN, 'emulate', '--quiet'], { cwd: ROOT });
        let stdout = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
        const socat = await firstChild(child.pid!, 'socat');
        child.kill('SIGTERM');
        try {
          expect(await exited).toBe(0);
          await waitFor(() => !isRunning(socat), 10_000, 'socat to stop');
          const path = stdout.split('\n')[0];
          if (path) expect(existsSync(dirname(path))).toBe(false);
        } finally {
          if (isRunning(socat)) process.kill(socat, 'SIGTERM');
        }
      }
    },
  );

  it('stops with socat when npm’s shell goes away (SIGTERM to npm run reader alone)', async () => {
    // npm passes SIGTERM to its shell, which dies without passing it on: emulate and socat ran on.
    const run = await underNpmShell(`"${process.execPath}" "${BIN}" emulate --quiet`, 'reader', ROOT);
    let socat = 0;
    try {
      socat = await firstChild(run.pid, 'socat');
      await run.npmGone();
      expect(run.stderr()).toContain('pos-reader emulate: npm, which started it, has stopped; stopping.');
      await waitFor(() => !isRunning(socat), 10_000, 'socat to stop');
      expect(existsSync(run.firstLine)).toBe(false);
    } finally {
      run.cleanup();
      if (socat && isRunning(socat)) process.kill(socat, 'SIGTERM');
    }
  });

  it('stops on Ctrl-C with exit 0 and removes its port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pos-reader-cli-'));
    try {
      const link = join(dir, 'ttyPOS');
      const emulator = await emulate(['--link', link]);
      expect(emulator.path).toBe(link);
      expect(existsSync(link)).toBe(true);
      expect(await emulator.stop()).toBe(0);
      expect(existsSync(link)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pos-reader errors and help', () => {
  it('explains minor units when given a decimal amount (exit 2)', async () => {
    const run = await cli(['pay', '/dev/null', '--amount', '12.50', '--currency', 'EUR']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/minor units, so 12\.50 EUR is --amount 1250/);
  });

  it("reads a decimal amount in the currency's own decimals for its hint (12.5 EUR is 1250, not 125)", async () => {
    const [euros, yen, numeric] = await Promise.all([
      cli(['pay', '/dev/null', '--amount', '12.5', '--currency', 'eur']),
      cli(['pay', '/dev/null', '--amount', '12.5', '--currency', 'JPY']),
      cli(['pay', '/dev/null', '--amount', '100', '--currency', '978']),
    ]);
    expect(euros.code).toBe(2);
    expect(euros.stderr).toMatch(/so 12\.5 EUR is --amount 1250\n/);
    expect(yen.code).toBe(2);
    expect(yen.stderr).toMatch(/got "12\.5": JPY has 0 decimal places, and amounts are in minor units\n/);
    expect(numeric.code).toBe(2);
    expect(numeric.stderr).toMatch(/"978" is the numeric code of EUR: use --currency EUR\n/);
  });

  it("rejects an amount past the terminal's 8 digits before touching the port (exit 2)", async () => {
    const run = await cli(['pay', '/dev/null', '--amount', '100000000', '--currency', 'EUR']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/at most 99999999/);
  });

  it('says what is wrong on one line, a negative value included (exit 2)', async () => {
    // node:util's parseArgs explains "--delay -1" on three lines ("argument is ambiguous. / Did you…").
    const runs = await Promise.all([
      cli(['emulate', '--delay', '-1']),
      cli(['list', '--probe-timeout', '-5']),
      cli(['list', '--bogus']),
    ]);
    for (const run of runs) {
      expect(run.code).toBe(2);
      const [error, hint, rest] = run.stderr.split('\n');
      expect(error).toMatch(/^pos-reader (emulate|list): /);
      expect(hint).toMatch(/^\(see pos-reader (emulate|list) --help\)$/);
      expect(rest).toBe('');
    }
    expect(runs[0]!.stderr).toMatch(/'--delay' argument is ambiguous.*'--delay=-XYZ'/);
  });

  it('rejects an unknown currency (exit 2)', async () => {
    const run = await cli(['pay', '/dev/null', '--amount', '100', '--currency', 'EURO']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown currency "EURO"/);
  });

  it('reports a missing port (exit 7)', async () => {
    const [run, probe] = await Promise.all([
      cli(['pay', '/dev/ttyNOPE9', '--amount', '100', '--currency', 'EUR']),
      cli(['probe', '/dev/ttyNOPE9']),
    ]);
    expect(run.code).toBe(7);
    expect(run.stderr).toMatch(/no such port \/dev\/ttyNOPE9/);
    expect(probe.code).toBe(7);
  });

  it('says a path that is not a serial port is not one (exit 7)', async () => {
    const [pay, probe] = await Promise.all([
      cli(['pay', '/dev/null', '--amount', '100', '--currency', 'EUR']),
      cli(['probe', '/dev/null']),
    ]);
    expect(pay.code).toBe(7);
    expect(pay.stderr).toBe(
      'pos-reader pay: cannot open /dev/null: not a serial port (Inappropriate ioctl for device setting custom baud rate of 9600)\n',
    );
    expect(probe.code).toBe(7);
    expect(probe.stdout).toMatch(/cannot open \/dev\/null: not a serial port/);
  });

  it('says socat is missing instead of failing obscurely (exit 8)', async () => {
    const run = await cli(['emulate'], { ...process.env, PATH: '/nonexistent' });
    expect(run.code).toBe(8);
    expect(run.stderr).toMatch(/socat is not installed.*apt-get install socat/);
  });

  it('prints help for each command, with the exit codes where they matter', async () => {
    const commands = ['list', 'probe', 'pay', 'emulate'];
    const [main, unknown, ...runs] = await Promise.all([
      cli(['--help']),
      cli(['frobnicate']),
      ...commands.map((command) => cli([command, '--help'])),
    ]);
    expect(main.code).toBe(0);
    expect(main.stdout).toMatch(/list\s+serial ports/);
    expect(main.stdout).toMatch(/6 {2}outcome unknown/);
    expect(unknown.code).toBe(2);
    runs.forEach((run, i) => {
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`Usage: pos-reader ${commands[i]}`));
    });
    expect(runs[2]!.stdout).toMatch(/6 {2}outcome unknown/);
  });

  it('help <command> prints that command’s help; every option a usage line shows is one it takes', async () => {
    const commands = ['list', 'probe', 'pay', 'emulate'];
    const [unknown, ...runs] = await Promise.all([
      cli(['help', 'frobnicate']),
      ...commands.map((command) => cli(['help', command])),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    runs.forEach((run, i) => {
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: pos-reader ${commands[i]}`));
      // The usage line's options are all described below it (emulate's once showed a --short it refuses).
      const usage = run.stdout.split('\n')[0]!;
      for (const [option] of usage.matchAll(/--[a-z-]+/g))
        expect(run.stdout.slice(usage.length)).toMatch(new RegExp(`^ {2}${option} `, 'm'));
    });
  });

  it('list: a --port that does not exist is an error (exit 7), not left out; a bare port is a usage error', async () => {
    // It used to be watched for, and silently missing from the listing and from --json.
    const [missing, json, bare] = await Promise.all([
      cli(['list', '--no-probe', '--port', '/dev/ttyNOPE9']),
      cli(['list', '--no-probe', '--json', '--port', '/dev/ttyNOPE9']),
      cli(['list', '/dev/ttyACM0']),
    ]);
    expect(missing.code).toBe(7);
    expect(missing.stderr).toMatch(/^pos-reader list: no such port \/dev\/ttyNOPE9: /);
    expect(missing.stdout).toBe('');
    expect(json.code).toBe(7);
    expect(json.stdout).toBe('');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/list takes no port argument, got "\/dev\/ttyACM0": use --port \/dev\/ttyACM0/);
  });

  it('list --json carries the notes the listing prints, as a list that is always there', async () => {
    // The human listing ends with "note: …" lines (why ports were read another way, why a
    // listing failed); --json left them out, so a script saw the ports but not why.
    const noUdevadm = { ...process.env, PATH: join(ROOT, 'no-such-directory') };
    const [human, json, plain] = await Promise.all([
      cli(['list', '--no-probe'], noUdevadm),
      cli(['list', '--no-probe', '--json'], noUdevadm),
      cli(['list', '--no-probe', '--json']),
    ]);
    expect(human.stderr).toContain('note: udevadm not found; read /sys/class/tty instead');
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { notes: unknown };
    expect(parsed.notes).toEqual(['udevadm not found; read /sys/class/tty instead']);
    // Every note the human listing prints, no more.
    const printed = human.stderr.split('\n').flatMap((line) => (line.startsWith('note: ') ? [line.slice(6)] : []));
    expect(parsed.notes).toEqual(printed);
    // Without notes the key is still there: the same shape every time.
    const quiet = JSON.parse(plain.stdout) as Record<string, unknown>;
    expect(Object.keys(quiet)).toEqual(['serial', 'usb', 'devices', 'notes']);
    expect(Array.isArray(quiet.notes)).toBe(true);
  });

  it('lists ports and devices without probing', async () => {
    const run = await cli(['list', '--no-probe']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Serial ports \(from /);
    expect(run.stdout).toMatch(/USB readers:/);
    expect(run.stdout).toMatch(/Devices and drivers:/);
  });
});

describe('socat errors', () => {
  it('are reduced to socat’s error lines, on one line', () => {
    const stderr = [
      '2026/11/30 18:14:24 socat[5490] N PTY is /dev/pts/0',
      '2026/11/30 18:14:24 socat[5490] E symlink("/dev/pts/0", "/x/tty"): No such file or directory',
      '2026/11/30 18:14:24 socat[5490] N exit(1)',
    ].join('\n');
    expect(socatErrors(stderr)).toBe('symlink("/dev/pts/0", "/x/tty"): No such file or directory');
    expect(socatErrors('')).toBe('no output');
  });
});
