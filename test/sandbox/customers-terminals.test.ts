import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, type ErrorResponse, type Harness, type ListResponse, type TerminalJson } from './helpers';

interface Customer {
  id: string;
  email: string | null;
  name: string | null;
  phone: string | null;
  external_id: string | null;
  address_line1: string | null;
  city: string | null;
  state: string | null;
  postal_code: string | null;
  country: string | null;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

let h: Harness;
beforeAll(async () => {
  h = await start({ fakeClock: true });
});
afterAll(() => h.close());

describe('customers', () => {
  it('create, retrieve, update (null clears), delete', async () => {
    const created = await h.api.post<Customer>('/v1/customers', {
      name: 'John Smith',
      email: 'john@example.com',
      phone: '+1 555-0123',
      external_id: 'C-1',
      address_line1: '1 Main St',
      city: 'Springfield',
      state: 'IL',
      postal_code: '62701',
      country: 'us',
      metadata: { tier: 'gold' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'John Smith',
      email: 'john@example.com',
      country: 'US',
      metadata: { tier: 'gold' },
    });
    const id = created.body.id;
    expect((await h.api.get<Customer>(`/v1/customers/${id}`)).body).toEqual(created.body);
    h.clock!.advance(1000);
    const updated = await h.api.put<Customer>(`/v1/customers/${id}`, { name: 'John Q. Smith', phone: null });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'John Q. Smith', phone: null, email: 'john@example.com' });
    expect(updated.body.updated_at).not.toBe(created.body.updated_at);
    const removed = await h.api.del(`/v1/customers/${id}`);
    expect(removed.body).toEqual({ id, deleted: true });
    expect((await h.api.get(`/v1/customers/${id}`)).status).toBe(404);
    expect((await h.api.del(`/v1/customers/${id}`)).status).toBe(404);
    expect((await h.api.put(`/v1/customers/${id}`, { name: 'x' })).status).toBe(404);
  });

  it('validates fields with the param', async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ email: 'nope' }, 422, 'email'],
      [{ country: 'USA' }, 422, 'country'],
      [{ country: '1a' }, 422, 'country'],
      [{ name: 'n'.repeat(201) }, 422, 'name'],
      [{ name: 5 }, 400, 'name'],
      [{ nickname: 'x' }, 400, 'nickname'],
      [{ metadata: 'x' }, 400, 'metadata'],
    ];
    for (const [body, status, param] of cases) {
      const answer = await h.api.post<ErrorResponse>('/v1/customers', body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(answer.body.error.param).toBe(param);
    }
  });

  it('filters: search (name, email, phone), exact email, country; paginated', async () => {
    await h.api.post('/v1/customers', {
      name: 'Alice Liddell',
      email: 'alice@wonder.land',
      country: 'GB',
      phone: '+44 20 7946 0000',
    });
    await h.api.post('/v1/customers', { name: 'Bob Stone', email: 'bob@example.com', country: 'FR' });
    await h.api.post('/v1/customers', {
      name: 'Carol',
      email: 'carol@example.com',
      country: 'FR',
      phone: '+33 1 0000',
    });
    const names = async (query: string): Promise<string[]> =>
      (await h.api.get<ListResponse<Customer>>(`/v1/customers?${query}`)).body.data.map((c) => c.name ?? '').sort();
    expect(await names('search=liddell')).toEqual(['Alice Liddell']);
    expect(await names('search=example.com')).toEqual(['Bob Stone', 'Carol']);
    expect(await names('search=%2B33')).toEqual(['Carol']);
    expect(await names('email=BOB@example.com')).toEqual(['Bob Stone']);
    expect(await names('email=bob@')).toEqual([]);
    expect(await names('country=fr')).toEqual(['Bob Stone', 'Carol']);
    const page = await h.api.get<ListResponse<Customer>>('/v1/customers?size=1&page=2&country=FR');
    expect(page.body.meta).toEqual({ current_page: 2, last_page: 2, per_page: 1, total: 2 });
    expect((await h.api.get('/v1/customers?city=x')).status).toBe(400);
  });
});

describe('terminals', () => {
  it('registers without a code as pairing, then pairs with PUT', async () => {
    const created = await h.api.post<TerminalJson>('/v1/terminals', {
      name: 'Front desk',
      location_name: 'Main Street Store',
      location_address: '1 Main St',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Front desk',
      status: 'pairing',
      device_type: null,
      serial_number: null,
      location_name: 'Main Street Store',
    });
    expect(created.body.processor_terminal_id).toMatch(/^tmr_/);
    expect(created.body).not.toHaveProperty('registration_code');
    const paired = await h.api.put<TerminalJson>(`/v1/terminals/${created.body.id}`, {
      registration_code: 'host-sim-001',
    });
    expect(paired.body).toMatchObject({ status: 'offline', device_type: 'hosted', serial_number: 'host-sim-001' });
    const repaired = await h.api.put<ErrorResponse>(`/v1/terminals/${created.body.id}`, {
      registration_code: 'host-sim-002',
    });
    expect(repaired.status).toBe(422);
    expect(repaired.body.error).toMatchObject({
      type: 'terminal_error',
      code: 'already_paired',
      param: 'registration_code',
    });
    expect((await h.api.put(`/v1/terminals/${created.body.id}`, { registration_code: 'host-sim-001' })).status).toBe(
      200,
    );
  });

  it('PUT refuses null for the name, which it cannot clear, instead of answering 200 unchanged', async () => {
    const created = await h.api.post<TerminalJson>('/v1/terminals', { name: 'Till 9', location_name: 'Back' });
    const refused = await h.api.put<ErrorResponse>(`/v1/terminals/${created.body.id}`, {
      name: null,
      location_name: null,
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({
      param: 'name',
      code: 'parameter_missing',
      message: 'name cannot be cleared with null: it is required',
    });
    // Nothing of the refused request was applied; a clearable field clears.
    expect((await h.api.get<TerminalJson>(`/v1/terminals/${created.body.id}`)).body.location_name).toBe('Back');
    const cleared = await h.api.put<TerminalJson>(`/v1/terminals/${created.body.id}`, { location_name: null });
    expect(cleared.body).toMatchObject({ name: 'Till 9', location_name: null });
  });

  it('"simulated" codes give always-online simulated readers; the bare code may repeat', async () => {
    const a = await h.api.post<TerminalJson>('/v1/terminals', { name: 'Sim A', registration_code: 'simulated' });
    const b = await h.api.post<TerminalJson>('/v1/terminals', { name: 'Sim B', registration_code: 'simulated' });
    const c = await h.api.post<TerminalJson>('/v1/terminals', {
      name: 'Sim C',
      registration_code: 'simulated-counter-3',
    });
    for (const t of [a, b, c]) {
      expect(t.status).toBe(201);
      expect(t.body).toMatchObject({ status: 'online', device_type: 'simulated' });
      expect(t.body.last_seen_at).not.toBeNull();
      expect(t.body.software_version).not.toBeNull();
    }
    expect(a.body.serial_number).not.toBe(b.body.serial_number);
    expect(c.body.serial_number).toBe('simulated-counter-3');
    const dup = await h.api.post<ErrorResponse>('/v1/terminals', {
      name: 'Sim D',
      registration_code: 'simulated-counter-3',
    });
    expect(dup.status).toBe(422);
    expect(dup.body.error).toMatchObject({
      type: 'terminal_error',
      code: 'registration_code_in_use',
      param: 'registration_code',
    });
  });

  it('a code paired to another terminal is refused', async () => {
    await h.api.post('/v1/terminals', { name: 'Concert 1', registration_code: 'CONCERT-SN-1' });
    const answer = await h.api.post<ErrorResponse>('/v1/terminals', {
      name: 'Concert 2',
      registration_code: 'CONCERT-SN-1',
    });
    expect(answer.status).toBe(422);
    expect(answer.body.error.code).toBe('registration_code_in_use');
  });

  it('validates: name required, lengths, unknown params', async () => {
    expect((await h.api.post<ErrorResponse>('/v1/terminals', {})).body.error).toMatchObject({
      param: 'name',
      type: 'invalid_request',
    });
    expect((await h.api.post<ErrorResponse>('/v1/terminals', {})).status).toBe(422);
    expect((await h.api.post<ErrorResponse>('/v1/terminals', { name: '  ' })).status).toBe(422);
    expect((await h.api.post<ErrorResponse>('/v1/terminals', { name: 'x'.repeat(101) })).status).toBe(422);
    expect((await h.api.post<ErrorResponse>('/v1/terminals', { name: 'x', registration_code: 7 })).status).toBe(400);
    expect((await h.api.post<ErrorResponse>('/v1/terminals', { name: 'x', colour: 'red' })).body.error.param).toBe(
      'colour',
    );
  });

  it('filters by status, partial location_name, serial_number', async () => {
    const local = await start();
    try {
      await local.api.post('/v1/terminals', {
        name: 'A',
        registration_code: 'simulated',
        location_name: 'Downtown Branch',
      });
      await local.api.post('/v1/terminals', { name: 'B', registration_code: 'host-b', location_name: 'Uptown branch' });
      await local.api.post('/v1/terminals', { name: 'C', location_name: 'Warehouse' });
      const names = async (query: string): Promise<string[]> =>
        (await local.api.get<ListResponse<TerminalJson>>(`/v1/terminals?${query}`)).body.data.map((t) => t.name).sort();
      expect(await names('status=online')).toEqual(['A']);
      expect(await names('status=offline')).toEqual(['B']);
      expect(await names('status=pairing')).toEqual(['C']);
      expect(await names('location_name=BRANCH')).toEqual(['A', 'B']);
      expect(await names('location_name=town')).toEqual(['A', 'B']);
      expect(await names('serial_number=host-b')).toEqual(['B']);
      expect(await names('')).toEqual(['A', 'B', 'C']);
      expect((await local.api.get('/v1/terminals?status=broken')).status).toBe(400);
    } finally {
      await local.close();
    }
  });

  it('updates fields and deletes', async () => {
    const t = (await h.api.post<TerminalJson>('/v1/terminals', { name: 'Old', location_name: 'L' })).body;
    const updated = await h.api.put<TerminalJson>(`/v1/terminals/${t.id}`, {
      name: 'New',
      location_name: null,
      location_address: 'Somewhere 2',
    });
    expect(updated.body).toMatchObject({ name: 'New', location_name: null, location_address: 'Somewhere 2' });
    expect((await h.api.del(`/v1/terminals/${t.id}`)).body).toEqual({ id: t.id, deleted: true });
    expect((await h.api.get(`/v1/terminals/${t.id}`)).status).toBe(404);
  });
});
