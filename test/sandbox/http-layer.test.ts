/**
 * The HTTP layer's fast paths, checked against what they replace: the hand-split request target
 * against WHATWG URL parsing, and the bucketed router against the first-match rule over every
 * route in the order added.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Router, type RouteSpec } from '../../sandbox/http/router';
import { parseTarget } from '../../sandbox/http/server';

function viaUrl(target: string): { pathname: string; query: [string, string][] } | null {
  try {
    const url = new URL(target, 'http://sandbox.invalid');
    return { pathname: url.pathname, query: [...url.searchParams] };
  } catch {
    return null;
  }
}

function viaParseTarget(target: string): { pathname: string; query: [string, string][] } | null {
  const parsed = parseTarget(target);
  return parsed && { pathname: parsed.pathname, query: [...new URLSearchParams(parsed.search)] };
}

describe('request target parsing', () => {
  it.each([
    '/v1/terminal/create-payment',
    '/v1/transactions?status=pending&size=5',
    '/v1/transactions/?',
    '/v1/transactions??a=1',
    '/v1/a/../b',
    '/v1/%2e%2e/x',
    '/v1/.well-known',
    '//evil/v1/health',
    '/v1//x',
    '/v1/x?a=b#frag',
    '/v1/x#frag?a=1',
    '/v1/x?q=a+b%20c&q=%zz',
    '/v1/x?q="<>`\'',
    '/v1/caf\u00e9?n=\u00e9',
    '/payplug/v1/payments/pay_1',
    '/',
    '',
  ])('reads %j as URL does', (target) => {
    expect(viaParseTarget(target)).toEqual(viaUrl(target));
  });

  it('reads any target as URL does (property)', () => {
    const chars = fc.constantFrom(...'/?#%.&=+-_~aZ09:@!$\'()*,;" <>\\\u00e9\t'.split(''));
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 24 }), (parts) => {
        const target = `/${parts.join('')}`;
        expect(viaParseTarget(target)).toEqual(viaUrl(target));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('router', () => {
  const handler = () => ({ status: 200 });
  const specs: RouteSpec[] = [
    { method: 'GET', path: '/v1/things/{id}', auth: 'none', handler },
    { method: 'GET', path: '/v1/things/special', auth: 'none', handler },
    { method: 'POST', path: '/v1/things/special', auth: 'none', handler },
    { method: 'DELETE', path: '/v1/things/{id}', auth: 'none', handler },
    { method: 'GET', path: '/v1/{kind}/{id}/items', auth: 'none', handler },
  ];
  const router = new Router();
  router.addAll(specs);

  /** The rule the router implements: the first route in order whose segments and method match. */
  function reference(method: string, path: string) {
    const parts = path.split('/').filter(Boolean);
    let pathKnown = false;
    for (const spec of specs) {
      const segments = spec.path.split('/').filter(Boolean);
      if (segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let matched = true;
      segments.forEach((segment, i) => {
        if (!matched) return;
        if (segment.startsWith('{')) {
          try {
            params[segment.slice(1, -1)] = decodeURIComponent(parts[i]!);
          } catch {
            matched = false;
          }
        } else if (segment !== parts[i]) matched = false;
      });
      if (!matched) continue;
      if (spec.method === method) return { path: spec.path, params };
      pathKnown = true;
    }
    return { path: null, pathKnown };
  }

  function actual(method: string, path: string) {
    const match = router.match(method, path);
    return match.route ? { path: match.route.path, params: match.params } : { path: null, pathKnown: match.pathKnown };
  }

  it.each([
    ['GET', '/v1/things/special'],
    ['POST', '/v1/things/special'],
    ['DELETE', '/v1/things/special'],
    ['PUT', '/v1/things/special'],
    ['GET', '/v1/things/a%20b'],
    ['GET', '/v1/things/%E0%A4%A'],
    ['DELETE', '/v1/things/%E0%A4%A'],
    ['GET', '/v1/orders/7/items'],
    ['POST', '/v1/orders/7/items'],
    ['GET', '/v1/nothing/here/at/all'],
    ['GET', '/'],
  ])('%s %s matches as the first-match rule says', (method, path) => {
    expect(actual(method, path)).toEqual(reference(method, path));
  });
});
