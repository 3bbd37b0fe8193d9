/** /v1/webhook-endpoints */
import { EVENT_TYPES } from '../domain/events';
import { endpointJson, type EndpointInput } from '../domain/webhooks';
import { Params, pageParams } from '../../http/params';
import type { RouteSpec } from '../../http/router';
import type { Services } from '../services';
import { created, deleted, list, ok } from './replies';

const FIELDS = ['url', 'events', 'description'];

function endpointInput(p: Params, update: boolean): EndpointInput {
  const input: EndpointInput = {};
  if (update) p.refuseNull('url');
  const url = p.url('url', { required: !update, loopback: true });
  if (url !== undefined) input.url = url;
  if (update && p.isNull('events')) input.events = null;
  const events = p.list('events', EVENT_TYPES);
  if (events !== undefined) input.events = events;
  if (update && p.isNull('description')) input.description = null;
  const description = p.string('description', { max: 500 });
  if (description !== undefined) input.description = description;
  return input;
}

export function webhookRoutes(s: Services): RouteSpec[] {
  const { webhooks } = s;
  return [
    {
      method: 'POST',
      path: '/v1/webhook-endpoints',
      auth: 'secret',
      handler: (req) => {
        const input = endpointInput(Params.body(req.body, FIELDS), false);
        return created(endpointJson(webhooks.create({ ...input, url: input.url! }), true));
      },
    },
    {
      method: 'GET',
      path: '/v1/webhook-endpoints',
      query: 'checked',
      auth: 'secret',
      handler: (req) => {
        const { page, size } = pageParams(Params.query(req.query, ['page', 'size']));
        return list(webhooks.list(page, size), (row) => endpointJson(row));
      },
    },
    {
      method: 'GET',
      path: '/v1/webhook-endpoints/{id}',
      resource: (req) => webhooks.get(req.params.id!),
      auth: 'secret',
      handler: (req) => ok(endpointJson(webhooks.get(req.params.id!))),
    },
    {
      method: 'PUT',
      path: '/v1/webhook-endpoints/{id}',
      resource: (req) => webhooks.get(req.params.id!),
      auth: 'secret',
      handler: (req) =>
        ok(endpointJson(webhooks.update(req.params.id!, endpointInput(Params.body(req.body, FIELDS), true)))),
    },
    {
      method: 'DELETE',
      path: '/v1/webhook-endpoints/{id}',
      resource: (req) => webhooks.get(req.params.id!),
      auth: 'secret',
      body: 'none',
      handler: (req) => {
        webhooks.delete(req.params.id!);
        return deleted(req.params.id!);
      },
    },
    {
      method: 'POST',
      path: '/v1/webhook-endpoints/{id}/test',
      resource: (req) => webhooks.get(req.params.id!),
      auth: 'secret',
      handler: async (req) => {
        Params.body(req.body, []);
        return ok(await webhooks.test(req.params.id!));
      },
    },
  ];
}
