/** /v1/customers */
import { CUSTOMER_FIELDS, customerJson, type CustomerInput } from '../domain/customers';
import { invalid } from '../../http/errors';
import { Params, pageParams } from '../../http/params';
import type { RouteSpec } from '../../http/router';
import type { Services } from '../services';
import { created, deleted, list, ok } from './replies';

const LIMITS: Record<(typeof CUSTOMER_FIELDS)[number], number> = {
  email: 254,
  name: 200,
  phone: 40,
  external_id: 255,
  address_line1: 255,
  city: 100,
  state: 100,
  postal_code: 20,
  country: 2,
};

/** Reads customer fields; on update, an explicit null clears a field. */
function customerInput(p: Params, update: boolean): CustomerInput {
  const input: CustomerInput = {};
  for (const field of CUSTOMER_FIELDS) {
    if (update && p.isNull(field)) {
      input[field] = null;
      continue;
    }
    let value = field === 'email' ? p.email(field) : p.string(field, { max: LIMITS[field] });
    if (value !== undefined && field === 'country') {
      if (!/^[A-Za-z]{2}$/.test(value))
        throw invalid('country must be a two-letter country code', 'country', 'invalid_country');
      value = value.toUpperCase();
    }
    if (value !== undefined) input[field] = value;
  }
  const metadata = p.metadata();
  if (metadata !== undefined) input.metadata = metadata;
  return input;
}

export function customerRoutes(s: Services): RouteSpec[] {
  const allowed = [...CUSTOMER_FIELDS, 'metadata'];
  return [
    {
      method: 'POST',
      path: '/v1/customers',
      auth: 'secret',
      handler: (req) => created(customerJson(s.customers.create(customerInput(Params.body(req.body, allowed), false)))),
    },
    {
      method: 'GET',
      path: '/v1/customers',
      query: 'checked',
      auth: 'secret',
      handler: (req) => {
        const p = Params.query(req.query, ['search', 'email', 'country', 'page', 'size']);
        const { page, size } = pageParams(p);
        return list(
          s.customers.list({
            search: p.string('search', { max: 200 }),
            email: p.string('email', { max: 254 }),
            country: p.string('country', { max: 2 }),
            page,
            size,
          }),
          customerJson,
        );
      },
    },
    {
      method: 'GET',
      path: '/v1/customers/{id}',
      resource: (req) => s.customers.get(req.params.id!),
      auth: 'secret',
      handler: (req) => ok(customerJson(s.customers.get(req.params.id!))),
    },
    {
      method: 'PUT',
      path: '/v1/customers/{id}',
      resource: (req) => s.customers.get(req.params.id!),
      auth: 'secret',
      handler: (req) =>
        ok(customerJson(s.customers.update(req.params.id!, customerInput(Params.body(req.body, allowed), true)))),
    },
    {
      method: 'DELETE',
      path: '/v1/customers/{id}',
      resource: (req) => s.customers.get(req.params.id!),
      auth: 'secret',
      body: 'none',
      handler: (req) => {
        s.customers.delete(req.params.id!);
        return deleted(req.params.id!);
      },
    },
  ];
}
