/** Reply helpers shared by the route modules. */
import type { Reply } from '../../http/router';
import type { PageMeta } from '../../core/pagination';
import type { Created } from '../domain/transactions';

export function ok(json: unknown): Reply {
  return { status: 200, json };
}

export function created(json: unknown): Reply {
  return { status: 201, json };
}

/** 201 for a new object; 200 with Idempotent-Replayed for an idempotent replay. */
export function createdOrReplayed<T>(result: Created<T>, render: (value: T) => unknown): Reply {
  return result.replayed
    ? { status: 200, json: render(result.value), headers: { 'Idempotent-Replayed': 'true' } }
    : { status: 201, json: render(result.value) };
}

/** 200, with Idempotent-Replayed when an idempotency key matched an action already taken. */
export function okOrReplayed<T>(result: Created<T>, render: (value: T) => unknown): Reply {
  return result.replayed
    ? { status: 200, json: render(result.value), headers: { 'Idempotent-Replayed': 'true' } }
    : { status: 200, json: render(result.value) };
}

export function list<T>(page: { rows: T[]; meta: PageMeta }, render: (row: T) => unknown): Reply {
  return { status: 200, json: { data: page.rows.map(render), meta: page.meta } };
}

export function deleted(id: string): Reply {
  return { status: 200, json: { id, deleted: true } };
}
