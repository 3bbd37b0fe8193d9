/**
 * Hand-written parameter validation. Every failure names its `param` and follows the status split in
 * docs/sandbox-api.md: 400 for a malformed request (wrong type, unknown parameter, unknown enum value),
 * 422 for a well-formed value that breaks a limit or a missing required field. Hand-written rather than
 * zod because the 400/422 split and the per-parameter messages are the contract, and because
 * create-payment is on the benchmark's hot path.
 */
import { currencyByCode, isPaymentCurrency } from '../../common/currencies';
import { badRequest, invalid, type ApiError } from './errors';
import { isLoopbackHost } from '../../common/loopback';

type Source = Readonly<Record<string, unknown>>;

interface Common {
  required?: boolean;
}
export interface StringOptions extends Common {
  max?: number;
  min?: number;
  /** Trim surrounding white space before checking (default true). */
  trim?: boolean;
  /**
   * Keep the value exactly as sent (an idempotency key, a request's reference: `"k "` and `"k"` are
   * two), but refuse one of white space alone as empty. Implies `trim: false`.
   */
  exact?: boolean;
}
export interface IntOptions extends Common {
  min?: number;
  max?: number;
  minCode?: string;
  maxCode?: string;
  /**
   * A body's value that is no integer, said in the emulator's own words (the field's label and what
   * was sent); default: "<label> must be an integer, not a string".
   */
  notInteger?: (label: string, value: unknown) => string;
}
type Req = { required: true };

/** The largest integer a query string may give (15 digits: exact as a double, and as an SQL offset). */
const QUERY_INT_MAX = 999_999_999_999_999;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export interface MetadataLimits {
  readonly keys: number;
  readonly keyLength: number;
  readonly valueLength: number;
  /** A cap on all values together (as JSON text), where a gateway has one. */
  readonly totalValueLength?: number;
}
export const METADATA_LIMITS: MetadataLimits = { keys: 50, keyLength: 40, valueLength: 500 };
export type Metadata = Record<string, string | number | boolean>;

export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * A request's parameters: a JSON body, or a query string (values arrive as strings and are coerced).
 * Construction refuses parameters the endpoint does not know.
 */
export class Params {
  private constructor(
    private readonly source: Source,
    private readonly fromQuery: boolean,
    private readonly prefix = '',
  ) {}

  /** The parameter's name as errors report it (`card.last4` for nested objects). */
  private label(name: string): string {
    return this.prefix + name;
  }

  /**
   * The body's parameters. An unknown one is refused: thrown, or handed to `refuse` (an emulator that
   * names every wrong parameter at once, then checks the others; an unknown one is never read).
   */
  static body(body: Source, allowed: readonly string[], refuse?: (error: ApiError) => void): Params {
    for (const key of Object.keys(body)) {
      if (allowed.includes(key)) continue;
      const error = badRequest(`Unknown parameter: ${key}`, key, 'parameter_unknown');
      if (!refuse) throw error;
      refuse(error);
    }
    return new Params(body, false);
  }

  static query(query: URLSearchParams, allowed: readonly string[]): Params {
    const values: Record<string, string> = {};
    for (const [key, value] of query) {
      if (!allowed.includes(key)) throw badRequest(`Unknown query parameter: ${key}`, key, 'parameter_unknown');
      if (key in values) throw badRequest(`${key} may be given only once`, key, 'parameter_duplicated');
      values[key] = value;
    }
    return new Params(values, true);
  }

  has(name: string): boolean {
    return this.source[name] !== undefined;
  }

  /** True when the parameter is explicitly null (PUT: clear the field). */
  isNull(name: string): boolean {
    return this.source[name] === null;
  }

  /**
   * On PUT, null clears a field; a field that cannot be cleared (a required one) is refused rather
   * than left as it was, which would answer 200 for a change that was not made.
   */
  refuseNull(name: string, why = 'it is required'): void {
    if (this.isNull(name))
      throw invalid(`${this.label(name)} cannot be cleared with null: ${why}`, this.label(name), 'parameter_missing');
  }

  /** The raw value, with null treated as absent for optional parameters. */
  private raw(name: string, required: boolean | undefined): unknown {
    const value = this.source[name];
    if (value === undefined || value === null || (this.fromQuery && value === '')) {
      if (required) throw invalid(`${this.label(name)} is required`, this.label(name), 'parameter_missing');
      return undefined;
    }
    return value;
  }

  string(name: string, options: StringOptions & Req): string;
  string(name: string, options?: StringOptions): string | undefined;
  string(name: string, options: StringOptions = {}): string | undefined {
    const value = this.raw(name, options.required);
    if (value === undefined) return undefined;
    if (typeof value !== 'string')
      throw badRequest(
        `${this.label(name)} must be a string, not ${kindOf(value)}`,
        this.label(name),
        'parameter_invalid_type',
      );
    const text = options.trim === false || options.exact ? value : value.trim();
    const min = options.min ?? (options.required ? 1 : 0);
    if (text.length < min || (options.exact && min > 0 && text.trim() === '')) {
      throw invalid(
        min === 1 ? `${this.label(name)} must not be empty` : `${this.label(name)} must be at least ${min} characters`,
        this.label(name),
        'string_too_short',
      );
    }
    if (options.max !== undefined && text.length > options.max) {
      throw invalid(
        `${this.label(name)} must be at most ${options.max} characters`,
        this.label(name),
        'string_too_long',
      );
    }
    return text;
  }

  int(name: string, options: IntOptions & Req): number;
  int(name: string, options?: IntOptions): number | undefined;
  int(name: string, options: IntOptions = {}): number | undefined {
    const value = this.raw(name, options.required);
    if (value === undefined) return undefined;
    let number: number;
    if (this.fromQuery) {
      if (typeof value === 'string' && /^-?\d{16,}$/.test(value)) {
        // An integer, but longer than any this parameter takes: say so, not that it is no integer.
        if (value.startsWith('-')) {
          const min = options.min ?? -QUERY_INT_MAX;
          throw invalid(
            `${this.label(name)} must be at least ${min}`,
            this.label(name),
            options.minCode ?? 'value_too_small',
          );
        }
        const max = options.max ?? QUERY_INT_MAX;
        throw invalid(
          `${this.label(name)} must be at most ${max}`,
          this.label(name),
          options.maxCode ?? 'value_too_large',
        );
      }
      if (typeof value !== 'string' || !/^-?\d{1,15}$/.test(value))
        throw badRequest(`${this.label(name)} must be an integer`, this.label(name), 'parameter_invalid_type');
      number = Number(value);
    } else {
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        throw badRequest(
          options.notInteger?.(this.label(name), value) ??
            `${this.label(name)} must be an integer, not ${kindOf(value)}`,
          this.label(name),
          'parameter_invalid_type',
        );
      }
      number = value;
    }
    if (options.min !== undefined && number < options.min) {
      throw invalid(
        `${this.label(name)} must be at least ${options.min}`,
        this.label(name),
        options.minCode ?? 'value_too_small',
      );
    }
    if (options.max !== undefined && number > options.max) {
      throw invalid(
        `${this.label(name)} must be at most ${options.max}`,
        this.label(name),
        options.maxCode ?? 'value_too_large',
      );
    }
    return number;
  }

  bool(name: string): boolean | undefined {
    const value = this.raw(name, false);
    if (value === undefined) return undefined;
    if (typeof value === 'boolean') return value;
    if (this.fromQuery && (value === 'true' || value === 'false')) return value === 'true';
    throw badRequest(
      `${this.label(name)} must be a boolean, not ${kindOf(value)}`,
      this.label(name),
      'parameter_invalid_type',
    );
  }

  oneOf<T extends string>(name: string, values: readonly T[], options: Common & Req): T;
  oneOf<T extends string>(name: string, values: readonly T[], options?: Common): T | undefined;
  oneOf<T extends string>(name: string, values: readonly T[], options: Common = {}): T | undefined {
    const value = this.raw(name, options.required);
    if (value === undefined) return undefined;
    if (typeof value !== 'string')
      throw badRequest(
        `${this.label(name)} must be a string, not ${kindOf(value)}`,
        this.label(name),
        'parameter_invalid_type',
      );
    if (!(values as readonly string[]).includes(value)) {
      throw badRequest(
        `${this.label(name)} must be one of: ${values.join(', ')}`,
        this.label(name),
        'parameter_invalid_value',
      );
    }
    return value as T;
  }

  email(name: string, options: Common = {}): string | undefined {
    const value = this.string(name, { ...options, max: 254 });
    if (value === undefined) return undefined;
    if (!EMAIL.test(value))
      throw invalid(`${this.label(name)} must be an email address`, this.label(name), 'invalid_email');
    return value;
  }

  /** A three-letter ISO 4217 code of a currency payments are made in, any case in; lower case out. */
  currency(name: string): string | undefined {
    const value = this.raw(name, false);
    if (value === undefined) return undefined;
    if (typeof value !== 'string')
      throw badRequest(
        `${this.label(name)} must be a string, not ${kindOf(value)}`,
        this.label(name),
        'parameter_invalid_type',
      );
    if (!/^[A-Za-z]{3}$/.test(value) || !currencyByCode(value)) {
      throw badRequest(
        `${this.label(name)} must be a three-letter ISO 4217 currency code`,
        this.label(name),
        'currency_unknown',
      );
    }
    if (!isPaymentCurrency(value)) {
      throw invalid(
        `${this.label(name)} ${value.toLowerCase()} is an ISO 4217 fund code or index unit, not a currency payments are settled in`,
        this.label(name),
        'currency_not_supported',
      );
    }
    return value.toLowerCase();
  }

  /** An absolute http(s) URL; with `loopback`, only this machine's addresses. */
  url(name: string, options: Common & { loopback?: boolean } = {}): string | undefined {
    const value = this.string(name, { required: options.required, max: 2048 });
    if (value === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw invalid(`${this.label(name)} must be an absolute http(s) URL`, this.label(name), 'invalid_url');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw invalid(`${this.label(name)} must be an http(s) URL`, this.label(name), 'invalid_url');
    if (options.loopback && !isLoopbackHost(parsed.hostname)) {
      throw invalid(
        `${this.label(name)} must point at this machine (127.0.0.1, localhost or [::1]): the sandbox delivers nowhere else`,
        this.label(name),
        'url_not_loopback',
      );
    }
    return value;
  }

  /** A UTC calendar date YYYY-MM-DD, returned as epoch milliseconds of its midnight. */
  date(name: string): number | undefined {
    const value = this.raw(name, false);
    if (value === undefined) return undefined;
    const match = typeof value === 'string' ? DATE.exec(value) : null;
    const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN;
    if (!match || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
      throw badRequest(
        `${this.label(name)} must be a date written YYYY-MM-DD`,
        this.label(name),
        'parameter_invalid_type',
      );
    }
    return ms;
  }

  metadata(name = 'metadata', limits: MetadataLimits = METADATA_LIMITS): Metadata | undefined {
    const value = this.raw(name, false);
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || Array.isArray(value))
      throw badRequest(`${this.label(name)} must be an object`, this.label(name), 'parameter_invalid_type');
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length > limits.keys)
      throw invalid(
        `${this.label(name)} may have at most ${limits.keys} keys`,
        this.label(name),
        'metadata_too_many_keys',
      );
    const out: Metadata = {};
    let total = 0;
    for (const [key, item] of entries) {
      if (key.length === 0 || key.length > limits.keyLength) {
        // The key itself is at fault, so the error names it in the message (an empty key cannot be
        // dotted onto the parameter's name).
        throw invalid(
          `${this.label(name)} keys must be 1–${limits.keyLength} characters, not ${key.length} (${JSON.stringify(key.slice(0, 60))})`,
          this.label(name),
          'metadata_key_invalid',
        );
      }
      // A value at fault is named by its key (`metadata.order`), like a nested parameter.
      if (typeof item === 'string') {
        if (item.length > limits.valueLength) {
          throw invalid(
            `${this.label(name)}.${key} must be at most ${limits.valueLength} characters`,
            `${this.label(name)}.${key}`,
            'metadata_value_too_long',
          );
        }
      } else if (typeof item !== 'number' && typeof item !== 'boolean') {
        throw badRequest(
          `${this.label(name)}.${key} must be a string, a number or a boolean, not ${kindOf(item)}`,
          `${this.label(name)}.${key}`,
          'parameter_invalid_type',
        );
      } else if (typeof item === 'number' && Number.isInteger(item) && !Number.isSafeInteger(item)) {
        // Past 2^53 the parsed number is not the one sent (12345678901234567890 would come back as
        // 12345678901234567000): refuse it rather than store another value.
        throw invalid(
          `${this.label(name)}.${key} is an integer too large to keep exactly (beyond ±${Number.MAX_SAFE_INTEGER}); send it as a string`,
          `${this.label(name)}.${key}`,
          'metadata_value_inexact',
        );
      }
      out[key] = item as string | number | boolean;
      total += typeof item === 'string' ? item.length : JSON.stringify(item).length;
    }
    if (limits.totalValueLength !== undefined && total > limits.totalValueLength) {
      throw invalid(
        `${this.label(name)} values must total at most ${limits.totalValueLength} characters`,
        this.label(name),
        'metadata_too_long',
      );
    }
    return out;
  }

  /** An array of strings, each one of `values`; duplicates are dropped. */
  list<T extends string>(name: string, values: readonly T[]): T[] | undefined {
    const value = this.raw(name, false);
    if (value === undefined) return undefined;
    if (!Array.isArray(value))
      throw badRequest(`${this.label(name)} must be an array`, this.label(name), 'parameter_invalid_type');
    if (value.length === 0)
      throw invalid(
        `${this.label(name)} must name at least one value (omit it for all)`,
        this.label(name),
        'array_empty',
      );
    const out: T[] = [];
    for (const item of value) {
      if (typeof item !== 'string' || !(values as readonly string[]).includes(item)) {
        throw badRequest(
          `${this.label(name)} may contain only: ${values.join(', ')}`,
          this.label(name),
          'parameter_invalid_value',
        );
      }
      if (!out.includes(item as T)) out.push(item as T);
    }
    return out;
  }

  /** A nested object, validated by its own Params (for link results' `card`). */
  object(name: string, allowed: readonly string[], options: Common = {}): Params | undefined {
    const value = this.raw(name, options.required);
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || Array.isArray(value))
      throw badRequest(`${this.label(name)} must be an object`, this.label(name), 'parameter_invalid_type');
    for (const key of Object.keys(value as object)) {
      if (!allowed.includes(key))
        throw badRequest(
          `Unknown parameter: ${this.label(name)}.${key}`,
          `${this.label(name)}.${key}`,
          'parameter_unknown',
        );
    }
    return new Params(value as Source, false, `${this.label(name)}.`);
  }

  /** An array of objects, each validated by its own Params (errors name `name[i].field`). */
  objects(
    name: string,
    allowed: readonly string[],
    options: Common & { min?: number; max?: number } = {},
  ): Params[] | undefined {
    const value = this.raw(name, options.required);
    if (value === undefined) return undefined;
    const label = this.label(name);
    if (!Array.isArray(value)) throw badRequest(`${label} must be an array`, label, 'parameter_invalid_type');
    const min = options.min ?? 0;
    if (value.length < min)
      throw invalid(`${label} must have at least ${min} item${min === 1 ? '' : 's'}`, label, 'array_too_short');
    if (options.max !== undefined && value.length > options.max)
      throw invalid(`${label} may have at most ${options.max} items`, label, 'array_too_long');
    return value.map((item: unknown, index) => {
      const itemLabel = `${label}[${index}]`;
      if (typeof item !== 'object' || item === null || Array.isArray(item))
        throw badRequest(`${itemLabel} must be an object`, itemLabel, 'parameter_invalid_type');
      for (const key of Object.keys(item)) {
        if (!allowed.includes(key))
          throw badRequest(`Unknown parameter: ${itemLabel}.${key}`, `${itemLabel}.${key}`, 'parameter_unknown');
      }
      return new Params(item as Source, false, `${itemLabel}.`);
    });
  }
}

/** Page and size (or per_page) with the documented defaults and limits. */
export function pageParams(params: Params, sizeName: 'size' | 'per_page' = 'size'): { page: number; size: number } {
  const page = params.int('page', { min: 1 }) ?? 1;
  const size = params.int(sizeName, { min: 1, max: 100 }) ?? 10;
  return { page, size };
}
