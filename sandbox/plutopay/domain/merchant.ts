/**
 * The sandbox's one merchant account and its API keys. Both are created the first time a database
 * is opened and kept in it, so a restarted sandbox answers to the same keys.
 */
import type { Context, Mode } from '../../core/context';
import { iso } from '../../core/time';

export interface MerchantRecord {
  id: string;
  business_name: string;
  display_name: string;
  email: string;
  phone: string;
  country: string;
  default_currency: string;
  status: 'active';
  kyc_status: 'verified';
  created_at: number;
}

export interface ApiKeys {
  secret_key: string;
  publishable_key: string;
}

export type KeyKind = 'secret' | 'publishable';

export class MerchantService {
  private record: MerchantRecord | null = null;
  private keyMap: Map<string, KeyKind> | null = null;
  private keyPair: ApiKeys | null = null;

  constructor(private readonly ctx: Context) {}

  private meta(key: string): string | undefined {
    const row = this.ctx.sql.get('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  private setMeta(key: string, value: string): void {
    this.ctx.sql
      .get('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(key, value);
  }

  /** True when this database had no merchant yet (a new database: time to seed). */
  ensure(): boolean {
    const existing = this.meta('merchant');
    let created = false;
    if (existing) {
      this.record = JSON.parse(existing) as MerchantRecord;
    } else {
      this.record = {
        id: this.ctx.ids.uuid(this.ctx.clock.now()),
        business_name: 'Sandbox Coffee Bar',
        display_name: 'Sandbox Coffee',
        email: 'owner@sandbox.example',
        phone: '+15550100',
        country: 'US',
        default_currency: 'usd',
        status: 'active',
        kyc_status: 'verified',
        created_at: this.ctx.clock.now(),
      };
      this.setMeta('merchant', JSON.stringify(this.record));
      created = true;
    }
    this.keyPair = {
      secret_key: this.key(this.ctx.mode, 'secret'),
      publishable_key: this.key(this.ctx.mode, 'publishable'),
    };
    this.keyMap = new Map([
      [this.keyPair.secret_key, 'secret'],
      [this.keyPair.publishable_key, 'publishable'],
    ]);
    return created;
  }

  /** A mode's key, generated on first use and stored (a live-mode run gets its own live keys). */
  private key(mode: Mode, kind: KeyKind): string {
    const name = `key.${mode}.${kind}`;
    const existing = this.meta(name);
    if (existing) return existing;
    const value = `${kind === 'secret' ? 'sk' : 'pk'}_${mode}_${this.ctx.ids.alnum(32)}`;
    this.setMeta(name, value);
    return value;
  }

  keys(): ApiKeys {
    if (!this.keyPair) throw new Error('merchant not loaded');
    return this.keyPair;
  }

  /** Which of this sandbox's keys a bearer token is, if any. */
  kindOf(token: string): KeyKind | undefined {
    return this.keyMap?.get(token);
  }

  get defaultCurrency(): string {
    return this.requireRecord().default_currency;
  }

  get name(): string {
    return this.requireRecord().business_name;
  }

  private requireRecord(): MerchantRecord {
    if (!this.record) throw new Error('merchant not loaded');
    return this.record;
  }

  toJson(): Record<string, unknown> {
    const r = this.requireRecord();
    return {
      id: r.id,
      business_name: r.business_name,
      display_name: r.display_name,
      email: r.email,
      phone: r.phone,
      country: r.country,
      default_currency: r.default_currency,
      status: r.status,
      kyc_status: r.kyc_status,
      test_mode: this.ctx.mode === 'test',
      created_at: iso(r.created_at),
    };
  }
}
