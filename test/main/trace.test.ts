/**
 * The opt-in tracer behind figure 7's breakdown (main/core/trace.ts): silent unless a sink is set;
 * with one, journal transactions and their commits and every gateway call become spans.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setTraceSink, traceEnd, traceStart, tracing, type TraceSpan } from '../../main/core/trace';
import { GatewayHttp } from '../../main/gateway/http';
import { parsePlutoPayError, MerchantSchema } from '../../main/gateway/plutopay/schemas';
import { openDatabase } from '../../main/store/sqlite';

afterEach(() => {
  setTraceSink(null);
});

function record(): TraceSpan[] {
  const spans: TraceSpan[] = [];
  setTraceSink((span) => spans.push(span));
  return spans;
}

describe('the tracer', () => {
  it('records nothing and reads no clock without a sink', () => {
    const seen: TraceSpan[] = [];
    expect(tracing()).toBe(false);
    expect(traceStart()).toBe(0);
    traceEnd('x', performance.now());
    const previous = setTraceSink((s) => seen.push(s));
    expect(previous).toBeNull();
    expect(tracing()).toBe(true);
    // A span started while tracing was off stays unrecorded.
    traceEnd('x', 0);
    expect(seen).toEqual([]);
  });

  it('a journal transaction is one span with its commit inside; nested ones join it; a rollback is none', () => {
    const db = openDatabase(':memory:');
    db.exec('CREATE TABLE t (x INTEGER)');
    const spans = record();
    db.transaction(() => {
      db.prepare('INSERT INTO t VALUES (?)').run(1);
      db.transaction(() => db.prepare('INSERT INTO t VALUES (?)').run(2));
    });
    expect(() =>
      db.transaction(() => {
        db.prepare('INSERT INTO t VALUES (?)').run(3);
        throw new Error('no');
      }),
    ).toThrow('no');
    db.close();
    expect(spans.map((s) => s.name)).toEqual(['journal.commit', 'journal.tx']);
    const [commit, tx] = spans as [TraceSpan, TraceSpan];
    expect(commit.start).toBeGreaterThanOrEqual(tx.start);
    expect(commit.end).toBeLessThanOrEqual(tx.end);
  });

  it('a gateway call is a span named by method and path, answered or not', async () => {
    const answers = [
      new Response(
        JSON.stringify({
          id: 'm1',
          business_name: 'Shop',
          display_name: null,
          default_currency: 'usd',
          test_mode: true,
        }),
        { status: 200 },
      ),
    ];
    const http = new GatewayHttp({
      baseUrl: 'http://127.0.0.1:9',
      parseError: parsePlutoPayError,
      fetchImpl: async () => {
        const next = answers.shift();
        if (!next) throw new TypeError('fetch failed');
        return next;
      },
    });
    const spans = record();
    await http.request(MerchantSchema, 'GET', '/v1/merchant', { auth: 'k', query: { a: 1 } });
    await expect(http.request(MerchantSchema, 'POST', '/v1/gone', { auth: 'k', body: {} })).rejects.toThrow();
    expect(spans.map((s) => [s.name, s.detail])).toEqual([
      ['gateway', 'GET /v1/merchant'],
      ['gateway', 'POST /v1/gone'],
    ]);
  });
});
