/** Offset pagination with the reference's `meta` block. */
import type { Context } from './context';

export interface PageMeta {
  current_page: number;
  last_page: number;
  per_page: number;
  total: number;
}

export interface Page<T> {
  rows: T[];
  meta: PageMeta;
}

export function pageMeta(page: number, size: number, total: number): PageMeta {
  return { current_page: page, last_page: Math.max(1, Math.ceil(total / size)), per_page: size, total };
}

/** SELECT * FROM {from} ORDER BY {orderBy} with LIMIT/OFFSET, plus the total count. */
export function paginate<T>(
  ctx: Context,
  query: { from: string; args: ReadonlyArray<string | number>; orderBy: string; page: number; size: number },
): Page<T> {
  const total = (ctx.sql.get(`SELECT COUNT(*) AS n FROM ${query.from}`).get(...query.args) as { n: number }).n;
  const offset = (query.page - 1) * query.size;
  const rows =
    offset >= total
      ? []
      : (ctx.sql
          .get(`SELECT * FROM ${query.from} ORDER BY ${query.orderBy} LIMIT ? OFFSET ?`)
          .all(...query.args, query.size, offset) as T[]);
  return { rows, meta: pageMeta(query.page, query.size, total) };
}
