/** Customer records: CRUD and the reference's list filters. */
import { notFound } from '../../http/errors';
import type { Metadata } from '../../http/params';
import { liveFlag, type Context } from '../../core/context';
import { paginate, type Page } from '../../core/pagination';
import { iso } from '../../core/time';
import { escapeLike } from './transactions';

export const CUSTOMER_FIELDS = [
  'email',
  'name',
  'phone',
  'external_id',
  'address_line1',
  'city',
  'state',
  'postal_code',
  'country',
] as const;
export type CustomerField = (typeof CUSTOMER_FIELDS)[number];

export type CustomerInput = Partial<Record<CustomerField, string | null>> & { metadata?: Metadata };

interface CustomerRow extends Record<CustomerField, string | null> {
  seq: number;
  id: string;
  metadata: string;
  created_at: number;
  updated_at: number;
}

export function customerJson(row: CustomerRow): Record<string, unknown> {
  const json: Record<string, unknown> = { id: row.id };
  for (const field of CUSTOMER_FIELDS) json[field] = row[field];
  json.metadata = JSON.parse(row.metadata) as Metadata;
  json.created_at = iso(row.created_at);
  json.updated_at = iso(row.updated_at);
  return json;
}

export interface CustomerFilters {
  search?: string;
  email?: string;
  country?: string;
  page: number;
  size: number;
}

export class Customers {
  constructor(private readonly ctx: Context) {}

  get(id: string): CustomerRow {
    const row = this.ctx.sql.get('SELECT * FROM customers WHERE id = ? AND is_live = ?').get(id, liveFlag(this.ctx)) as
      CustomerRow | undefined;
    if (!row) throw notFound(`No such customer: ${id}`);
    return row;
  }

  create(input: CustomerInput): CustomerRow {
    const now = this.ctx.clock.now();
    const row = {
      seq: 0,
      id: this.ctx.ids.uuid(now),
      metadata: JSON.stringify(input.metadata ?? {}),
      created_at: now,
      updated_at: now,
    } as CustomerRow;
    for (const field of CUSTOMER_FIELDS) row[field] = input[field] ?? null;
    const result = this.ctx.sql
      .get(
        `INSERT INTO customers (is_live, id, ${CUSTOMER_FIELDS.join(', ')}, metadata, created_at, updated_at)
         VALUES (?, @id, ${CUSTOMER_FIELDS.map((f) => `@${f}`).join(', ')}, @metadata, @created_at, @updated_at)`,
      )
      .run(liveFlag(this.ctx), row);
    row.seq = Number(result.lastInsertRowid);
    return row;
  }

  /** PUT: the fields given replace the stored ones; null clears a field. */
  update(id: string, input: CustomerInput): CustomerRow {
    const row = this.get(id);
    for (const field of CUSTOMER_FIELDS) if (input[field] !== undefined) row[field] = input[field] ?? null;
    if (input.metadata !== undefined) row.metadata = JSON.stringify(input.metadata);
    row.updated_at = this.ctx.clock.now();
    this.ctx.sql
      .get(
        `UPDATE customers SET ${CUSTOMER_FIELDS.map((f) => `${f} = @${f}`).join(', ')}, metadata = @metadata, updated_at = @updated_at WHERE id = @id`,
      )
      .run(row);
    return row;
  }

  delete(id: string): void {
    const result = this.ctx.sql.get('DELETE FROM customers WHERE id = ? AND is_live = ?').run(id, liveFlag(this.ctx));
    if (result.changes === 0) throw notFound(`No such customer: ${id}`);
  }

  list(filters: CustomerFilters): Page<CustomerRow> {
    const where: string[] = ['is_live = ?'];
    const args: Array<string | number> = [liveFlag(this.ctx)];
    if (filters.search !== undefined) {
      const like = `%${escapeLike(filters.search)}%`;
      where.push("(name LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\' OR phone LIKE ? ESCAPE '\\')");
      args.push(like, like, like);
    }
    if (filters.email !== undefined) {
      where.push('email = ? COLLATE NOCASE');
      args.push(filters.email);
    }
    if (filters.country !== undefined) {
      where.push('country = ?');
      args.push(filters.country.toUpperCase());
    }
    return paginate<CustomerRow>(this.ctx, {
      from: `customers WHERE ${where.join(' AND ')}`,
      args,
      orderBy: 'created_at DESC, seq DESC',
      page: filters.page,
      size: filters.size,
    });
  }
}
