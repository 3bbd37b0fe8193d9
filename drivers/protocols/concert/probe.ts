/**
 * Recognises a Concert terminal on an unknown port: ENQ, expect ACK within a bound, then EOT to
 * close the (empty) session. Nothing else is sent, so a device that is not a terminal sees two
 * bytes at most. The caller owns the transport and closes it.
 */
import type { Clock } from '../../../common/clock';
import { systemClock } from '../../../common/clock';
import type { Transport } from '../../types';
import { ACK, ENQ, EOT, NAK } from './codec';

export interface ProbeResult {
  readonly ok: boolean;
  /** Why not, or what answered (for `pos-reader probe`). */
  readonly detail: string;
  readonly elapsedMs: number;
}

export const DEFAULT_PROBE_TIMEOUT_MS = 3_000;

function hexByte(value: number): string {
  return `0x${value.toString(16).padStart(2, '0').toUpperCase()}`;
}

export function probeConcert(
  transport: Transport,
  options: { clock?: Clock; timeoutMs?: number } = {},
): Promise<ProbeResult> {
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const started = clock.monotonic();
  return new Promise<ProbeResult>((resolve) => {
    let settled = false;
    // finish() only ever runs from a timer or a transport callback, after everything below exists.
    function finish(ok: boolean, detail: string, sendEot: boolean): void {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      unsubscribeData();
      unsubscribeClose();
      // Whole milliseconds: the monotonic clock reads fractions, which no one reads a probe's time in.
      const result = { ok, detail, elapsedMs: Math.round(clock.monotonic() - started) };
      if (!sendEot || !transport.isOpen) {
        resolve(result);
        return;
      }
      transport.write(Uint8Array.of(EOT)).then(
        () => resolve(result),
        () => resolve(result),
      );
    }
    const timer = clock.setTimeout(() => finish(false, `no ACK to ENQ within ${timeoutMs} ms`, true), timeoutMs);
    const unsubscribeData = transport.onData((chunk) => {
      for (const raw of chunk) {
        const value = raw & 0x7f;
        if (value === ACK) finish(true, 'ACK to ENQ: a Concert terminal in cash-register mode', true);
        else if (value === NAK) finish(false, 'NAK to ENQ: possibly a Concert terminal, busy', true);
        // A terminal may open its own session (ENQ) or close one (EOT) unasked. Anything else
        // before the ACK is another device: an ACK found further on in its noise (0x86 is ACK
        // once masked) made a modem or a scanner a terminal, on which every payment then ended
        // unknown (may have been charged).
        else if (value !== ENQ && value !== EOT)
          finish(false, `answered ${hexByte(raw)} to ENQ, not ACK: not a Concert terminal`, true);
        if (settled) return;
      }
    });
    const unsubscribeClose = transport.onClose((error) =>
      finish(false, `port closed during the probe${error ? `: ${error.message}` : ''}`, false),
    );
    transport.write(Uint8Array.of(ENQ)).catch((error: unknown) => {
      finish(false, `could not write to the port: ${error instanceof Error ? error.message : String(error)}`, false);
    });
  });
}
