/**
 * The request path's shortcuts, checked against what they replace: the hand-split request target
 * against WHATWG URL parsing, the bucketed router against the first-match rule over every route in
 * the order added, and the domain's shortcuts (canonical metadata, the body check, timestamps).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { duplicateKey, parseJsonObject } from '../../sandbox/http/body';
import type { ApiError } from '../../sandbox/http/errors';
import { Router, type RouteSpec } from '../../sandbox/http/router';
import { parseTarget } from '../../sandbox/http/server';
import { canonicalMetadata } from '../../sandbox/plutopay/domain/transactions';
import { iso } from '../../sandbox/core/time';

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

describe('hot-path shortcuts keep their answers', () => {
  /** What canonicalMetadata() computed before its shortcut: always through a sorted copy. */
  const sortedCopy = (metadata: Record<string, string | number | boolean>) =>
    JSON.stringify(Object.fromEntries(Object.entries(metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));

  it('canonicalMetadata is the sorted copy, whatever the keys (property)', () => {
    const key = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.nat(30).map(String),
      fc.constantFrom('a', 'b', 'B', '10', '9'),
    );
    const value = fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.boolean());
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 8 }), (entries) => {
        const metadata = Object.fromEntries(entries);
        expect(canonicalMetadata(metadata)).toBe(sortedCopy(metadata));
      }),
      { numRuns: 3000 },
    );
  });

  it('a body with a non-finite number or a __proto__ key deep inside is refused naming it', () => {
    const refusal = (text: string) => {
      try {
        parseJsonObject(Buffer.from(text));
        return null;
      } catch (error) {
        return { message: (error as ApiError).message, param: (error as ApiError).param };
      }
    };
    expect(refusal('{"a":{"b":[1,{"c":1e999}]}}')).toEqual({
      message: 'a.b[1].c is too large to be a number',
      param: 'a.b[1].c',
    });
    expect(refusal('{"a":[{"__proto__":{}}]}')).toEqual({
      message: 'a[0].__proto__: the key "__proto__" is not allowed',
      param: 'a[0].__proto__',
    });
    expect(refusal('{"a":{"b":[1,{"c":2}]},"d":-1e308}')).toBeNull();
  });

  it('a key given twice in one object is found and named, however deep or however spelled', () => {
    expect(duplicateKey('{"amount": 100, "amount": 5000}')).toBe('amount');
    expect(duplicateKey('{"a": {"b": 1, "c": "x\\",\\"b", "b": 2}}')).toBe('a.b');
    expect(duplicateKey('{"a": [{"k": 1}, {"k": 1, "k": 2}]}')).toBe('a[1].k');
    expect(duplicateKey('{"\\u0061": 1, "a": 2}')).toBe('a');
    // The same key in sibling objects, or as a value, is no duplicate.
    expect(duplicateKey('{"a": {"k": 1}, "b": {"k": 1}, "c": ["a", "a"], "d": "a"}')).toBeNull();
    expect(() => parseJsonObject(Buffer.from('{"metadata": {"x": "1", "x": "2"}}'))).toThrow(
      'metadata.x may be given only once',
    );
  });

  it('no duplicate is seen in any JSON an object serialises to (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        expect(duplicateKey(JSON.stringify({ v: value }))).toBeNull();
      }),
      { numRuns: 1000 },
    );
  });

  it('iso() gives the same text for a repeated instant and moves on with the clock', () => {
    expect(iso(Date.UTC(2026, 1, 16, 16, 18, 0, 250))).toBe('2026-02-16T16:18:00+00:00');
    expect(iso(Date.UTC(2026, 1, 16, 16, 18, 0, 250))).toBe('2026-02-16T16:18:00+00:00');
    expect(iso(Date.UTC(2026, 1, 16, 16, 18, 1))).toBe('2026-02-16T16:18:01+00:00');
  });
});
