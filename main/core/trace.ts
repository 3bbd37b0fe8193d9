/**
 * An opt-in tracer for finding where a payment's time goes (figure 7 of `npm run bench`, issue
 * #14). Off unless a sink is set, and then a call site costs one null check: the app never sets
 * one. Spans are measured with performance.now() (this process's clock); the sink decides what to
 * keep. Spans in use: 'gateway' (one HTTP call to a gateway, detail "METHOD /path"),
 * 'journal.tx' (one journal transaction, BEGIN to COMMIT) and 'journal.commit' (its COMMIT: the
 * fsync with durability 'full').
 */
export interface TraceSpan {
  name: string;
  /** performance.now() at the start and the end. */
  start: number;
  end: number;
  detail?: string;
}

export type TraceSink = (span: TraceSpan) => void;

let sink: TraceSink | null = null;

/** Sets where spans go (null: nowhere, the default); returns the sink it replaces. */
export function setTraceSink(next: TraceSink | null): TraceSink | null {
  const previous = sink;
  sink = next;
  return previous;
}

/** Whether spans are being recorded. */
export function tracing(): boolean {
  return sink !== null;
}

/** performance.now() while tracing, else 0 (an untraced call site reads no clock). */
export function traceStart(): number {
  return sink ? performance.now() : 0;
}

/** Records a span from `start` (a traceStart() or performance.now()) to now; nothing when not tracing. */
export function traceEnd(name: string, start: number, detail?: string): void {
  if (!sink || start === 0) return;
  sink(
    detail === undefined ? { name, start, end: performance.now() } : { name, start, end: performance.now(), detail },
  );
}
