/**
 * Entry of the measurement child processes (child.ts bundles it): `worker.mjs <task> <json>`.
 * Logs go to stderr; the result is the last stdout line, `@@result <json>`; servers print
 * `@@ready <json>` and run until SIGTERM.
 */
import { startSandbox } from '../../sandbox/index';
import { READY_PREFIX, RESULT_PREFIX } from './child';
import { measureConcert } from './fig2-concert';
import { runPaymentComparison, type PaymentRunOptions } from './fig1-payments';
import { serveCashierHost, type CashierServerOptions } from './cashier-host';
import { measureJournal, type JournalMeasureOptions } from './fig4-journal';
import { measureMemory } from './fig6-memory';
import { createPaymentBody, generateLoad, startBareServer } from './load';

const log = (line: string) => process.stderr.write(`${line}\n`);

function result(value: unknown): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(value)}\n`);
}

function ready(value: unknown): void {
  process.stdout.write(`${READY_PREFIX}${JSON.stringify(value)}\n`);
}

function untilTerminated(close: () => Promise<void>): void {
  const stop = () => {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function main(task: string, options: Record<string, unknown>): Promise<void> {
  switch (task) {
    case 'payments':
      result(await runPaymentComparison({ ...(options as unknown as Omit<PaymentRunOptions, 'log'>), log }));
      return;
    case 'cashier-server': {
      const served = await serveCashierHost(options as unknown as CashierServerOptions, log);
      untilTerminated(served.close);
      ready(served.ready);
      return;
    }
    case 'journal':
      result(
        await measureJournal(String(options.dir), Number(options.stored), {
          ...(options.opts as Omit<JournalMeasureOptions, 'log'>),
          log,
        }),
      );
      return;
    case 'concert':
      result(await measureConcert(Number(options.transactions), Number(options.warmup), log));
      return;
    case 'memory':
      result(await measureMemory(options as Parameters<typeof measureMemory>[0], log));
      return;
    case 'load':
      result(
        await generateLoad({
          url: String(options.url),
          path: String(options.path),
          auth: String(options.auth),
          concurrency: Number(options.concurrency),
          durationMs: Number(options.durationMs),
          warmupMs: Number(options.warmupMs),
          body: createPaymentBody(String(options.prefix)),
        }),
      );
      return;
    case 'sandbox-server': {
      const sandbox = await startSandbox({ port: 0, db: String(options.db), seed: false });
      // One real answer, so the floor server can answer exactly the same bytes.
      const response = await fetch(`${sandbox.url}/v1/terminal/create-payment`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${sandbox.secret_key}`, 'Content-Type': 'application/json' },
        body: createPaymentBody(`sample-${process.pid}`)(0),
      });
      const sample = { status: response.status, body: await response.text() };
      untilTerminated(() => sandbox.close());
      ready({ url: sandbox.url, secretKey: sandbox.secret_key, sample });
      return;
    }
    case 'bare-server': {
      const answer = options.answer as { status: number; body: string };
      const server = await startBareServer(answer);
      untilTerminated(() => server.close());
      ready({ url: server.url, secretKey: 'none' });
      return;
    }
    default:
      throw new Error(`unknown bench task ${task}`);
  }
}

const [task, json] = process.argv.slice(2);
main(task ?? '', JSON.parse(json ?? '{}') as Record<string, unknown>).then(
  () => {
    // Result tasks are done; servers keep running until SIGTERM.
    if (!task?.endsWith('-server')) setTimeout(() => process.exit(0), 50).unref();
  },
  (error: unknown) => {
    log(`bench worker ${task}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
