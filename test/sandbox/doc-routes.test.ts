/**
 * Every route docs/sandbox-api.md, docs/sandbox-payplug.md and docs/sandbox-plural.md name
 * (`POST /v1/transactions`, a PayPlug route table's row, `PATCH {plural.url}/api/…`) is one the
 * emulator the document describes serves with that method, so an integrator who copies a path gets
 * the route and not "Unrecognized request URL". The route is looked at before the key (see the
 * documents' order of checks), so no credentials are needed; `{id}` placeholders become any id.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, type Harness } from './helpers';

const ROOT = resolve(__dirname, '../..');

/** Each document, the prefix its emulator is mounted under, and what it names as refused on purpose. */
const DOCS = [
  { file: 'docs/sandbox-api.md', prefix: '', refused: [] },
  {
    file: 'docs/sandbox-payplug.md',
    prefix: '/payplug',
    refused: ['DELETE /v1/payments', 'GET /v1/installment_plans'],
  },
  { file: 'docs/sandbox-plural.md', prefix: '/plural', refused: [] },
] as const;

const METHODS = 'GET|POST|PUT|PATCH|DELETE';

/** `METHOD /path` as a document writes it in prose, code or a route table (`| POST | `/v1/x` |`). */
function documentedRoutes(text: string): string[] {
  const found = new Set<string>();
  const inline = new RegExp(`\\b((?:${METHODS})(?:/(?:${METHODS}))?) +(?:\\{[a-z]+\\.url\\})?(/[^\\s\`|)]*)`, 'g');
  const row = new RegExp(`^\\| *((?:${METHODS})(?:/(?:${METHODS}))?) *\\| *\`(/[^\`]+)\``, 'gm');
  for (const [, methods, path] of [...text.matchAll(inline), ...text.matchAll(row)]) {
    for (const method of methods!.split('/')) found.add(`${method} ${path!.replace(/\?.*$/, '')}`);
  }
  return [...found].sort();
}

/** A concrete path: every `{placeholder}` an id that exists nowhere. */
const concrete = (path: string): string => path.replace(/\{[^}]*\}/g, 'doc-x');

const NO_ROUTE = /Unrecognized request URL|is not supported on/;

describe('every route the sandbox documents is served', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ fakeClock: true });
  });
  afterAll(() => h.close());

  for (const { file, prefix, refused } of DOCS) {
    it(`${file}: each named route, with its method`, async () => {
      const routes = documentedRoutes(readFileSync(resolve(ROOT, file), 'utf8'));
      expect(routes.length).toBeGreaterThan(10);
      const missing: string[] = [];
      for (const route of routes) {
        if ((refused as readonly string[]).includes(route)) continue;
        const [method, path] = route.split(' ') as [string, string];
        const answer = await fetch(h.sandbox.url + prefix + concrete(path), { method });
        const text = await answer.text();
        if ((answer.status === 404 || answer.status === 405) && NO_ROUTE.test(text)) missing.push(route);
      }
      expect(missing).toEqual([]);
    });

    if (refused.length > 0) {
      it(`${file}: what it shows as refused is refused, with the methods the path takes`, async () => {
        for (const route of refused) {
          const [method, path] = route.split(' ') as [string, string];
          const answer = await fetch(h.sandbox.url + prefix + path, { method });
          expect(answer.status, route).toBe(405);
          expect(answer.headers.get('allow'), route).toBeTruthy();
        }
      });
    }
  }
});
