/**
 * Fault injection, off by default: added latency, a rate of 500s answered before any change, a rate
 * of connections destroyed after a change was committed (the "unknown outcome" a client must
 * survive), and simulated readers that time out. With a `seed`, the 500 and drop decisions come
 * from seeded generators, so a fault soak replays the same sequence for the same request order.
 */
import { Prng } from '../../common/prng';

export interface Faults {
  latency_ms: number;
  error_rate: number;
  drop_after_commit_rate: number;
  reader_timeout_ms: number | null;
  seed: number | null;
}

export const NO_FAULTS: Readonly<Faults> = {
  latency_ms: 0,
  error_rate: 0,
  drop_after_commit_rate: 0,
  reader_timeout_ms: null,
  seed: null,
};

export const FAULT_LIMITS = { latency_ms: 60_000, reader_timeout_ms: 3_600_000 } as const;

/** Why a fault setting is refused, or null when it is acceptable. */
export function faultProblem(faults: Partial<Faults>): { param: keyof Faults; message: string } | null {
  const { latency_ms, error_rate, drop_after_commit_rate, reader_timeout_ms, seed } = faults;
  if (
    latency_ms !== undefined &&
    !(Number.isInteger(latency_ms) && latency_ms >= 0 && latency_ms <= FAULT_LIMITS.latency_ms)
  ) {
    return { param: 'latency_ms', message: `latency_ms must be an integer from 0 to ${FAULT_LIMITS.latency_ms}` };
  }
  for (const [param, rate] of [
    ['error_rate', error_rate],
    ['drop_after_commit_rate', drop_after_commit_rate],
  ] as const) {
    if (rate !== undefined && !(typeof rate === 'number' && rate >= 0 && rate <= 1))
      return { param, message: `${param} must be a number from 0 to 1` };
  }
  if (
    reader_timeout_ms !== undefined &&
    reader_timeout_ms !== null &&
    !(
      Number.isInteger(reader_timeout_ms) &&
      reader_timeout_ms >= 1 &&
      reader_timeout_ms <= FAULT_LIMITS.reader_timeout_ms
    )
  ) {
    return {
      param: 'reader_timeout_ms',
      message: `reader_timeout_ms must be null or an integer from 1 to ${FAULT_LIMITS.reader_timeout_ms}`,
    };
  }
  if (seed !== undefined && seed !== null && !Number.isSafeInteger(seed))
    return { param: 'seed', message: 'seed must be null or an integer' };
  return null;
}

/**
 * A programmatic setting (`setFaults()`) held to the fields an emulator's route takes: another one
 * (`reader_timeout_ms` for an emulator without readers) is refused as the route refuses it.
 */
export function onlyFaultFields(partial: Partial<Faults>, fields: ReadonlyArray<keyof Faults>): Partial<Faults> {
  for (const key of Object.keys(partial)) {
    if ((partial as Record<string, unknown>)[key] !== undefined && !(fields as readonly string[]).includes(key))
      throw new RangeError(`${key} is not a fault this emulator takes; it takes ${fields.join(', ')}`);
  }
  return partial;
}

/** The fields of a setting an emulator takes, in the order its route answers them. */
export function pickFaults<K extends keyof Faults>(faults: Readonly<Faults>, fields: readonly K[]): Pick<Faults, K> {
  return Object.fromEntries(fields.map((field) => [field, faults[field]])) as Pick<Faults, K>;
}

export class FaultInjector {
  private faults: Faults = { ...NO_FAULTS };
  private errorDraw: () => number = Math.random;
  private dropDraw: () => number = Math.random;

  get current(): Readonly<Faults> {
    return this.faults;
  }

  /** Merges a partial setting; throws RangeError when a value is out of range. */
  set(partial: Partial<Faults>): Readonly<Faults> {
    const problem = faultProblem(partial);
    if (problem) throw new RangeError(problem.message);
    const next: Faults = { ...this.faults };
    for (const key of Object.keys(NO_FAULTS) as Array<keyof Faults>) {
      if (partial[key] !== undefined) (next as unknown as Record<string, unknown>)[key] = partial[key];
    }
    this.faults = next;
    // A seed (re)starts both sequences, so the same seed always gives the same decisions.
    if (partial.seed !== undefined) {
      if (next.seed === null) {
        this.errorDraw = Math.random;
        this.dropDraw = Math.random;
      } else {
        const errors = new Prng(next.seed);
        const drops = new Prng(next.seed ^ 0x9e3779b9);
        this.errorDraw = () => errors.next();
        this.dropDraw = () => drops.next();
      }
    }
    return this.faults;
  }

  get active(): boolean {
    return this.faults.latency_ms > 0 || this.faults.error_rate > 0 || this.faults.drop_after_commit_rate > 0;
  }

  shouldFail(): boolean {
    return this.faults.error_rate > 0 && this.errorDraw() < this.faults.error_rate;
  }

  shouldDrop(): boolean {
    return this.faults.drop_after_commit_rate > 0 && this.dropDraw() < this.faults.drop_after_commit_rate;
  }
}
