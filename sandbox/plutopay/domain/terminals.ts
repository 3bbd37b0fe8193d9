/**
 * Terminals (the merchant's fleet) and their readers. A terminal paired with a registration code has
 * a reader: `simulated…` codes give a sandbox-side simulated reader that is always online; any other
 * code gives a reader hosted by the app through the reader link, offline until a link opens.
 * Each reader has one action slot and a version number that changes with its action, which the
 * reader link's long poll waits on.
 */
import { conflict, notFound } from '../../http/errors';
import { inTransaction, liveFlag, parseJson, type Context } from '../../core/context';
import type { Outbox } from './events';
import { paginate, type Page } from '../../core/pagination';
import { iso, isoOrNull } from '../../core/time';
import { escapeLike } from './transactions';
import type { ActionStatus } from './action-machine';

export type TerminalStatus = 'online' | 'offline' | 'pairing';
export type DeviceType = 'simulated' | 'hosted';

export interface TerminalRow {
  seq: number;
  id: string;
  processor_id: string;
  name: string;
  status: TerminalStatus;
  device_type: DeviceType | null;
  serial_number: string | null;
  registration_code: string | null;
  location_name: string | null;
  location_address: string | null;
  software_version: string | null;
  last_seen_at: number | null;
  action_id: string | null;
  version: number;
  created_at: number;
  updated_at: number;
}

export interface ActionRow {
  seq: number;
  id: string;
  terminal_id: string;
  transaction_id: string;
  type: 'process_payment';
  status: ActionStatus;
  amount: number;
  currency: string;
  capture_method: string;
  presented_card: string | null;
  failure_code: string | null;
  failure_message: string | null;
  result: string | null;
  created_at: number;
  updated_at: number;
}

export interface TerminalInput {
  name?: string;
  registration_code?: string | null;
  location_name?: string | null;
  location_address?: string | null;
}

export interface TerminalFilters {
  status?: TerminalStatus;
  location_name?: string;
  serial_number?: string;
  page: number;
  size: number;
}

export const SIMULATED_SOFTWARE = 'sandbox-sim 1.0.0';

export function isSimulatedCode(code: string): boolean {
  return code === 'simulated' || code.startsWith('simulated-');
}

export function actionJson(action: ActionRow): Record<string, unknown> {
  return {
    id: action.id,
    type: action.type,
    status: action.status,
    payment_intent_id: action.transaction_id,
    amount: action.amount,
    currency: action.currency,
    capture_method: action.capture_method,
    presented_card: parseJson<{ number: string } | null>(action.presented_card, null),
    failure_code: action.failure_code,
    failure_message: action.failure_message,
    created_at: iso(action.created_at),
    updated_at: iso(action.updated_at),
  };
}

export class Terminals {
  private readonly changeListeners: Array<(terminalId: string) => void> = [];
  private readonly deleteListeners: Array<(terminal: TerminalRow) => void> = [];

  constructor(
    private readonly ctx: Context,
    private readonly outbox: Outbox,
  ) {}

  /** Called (after commit) whenever a reader's version changes. */
  onVersionChange(listener: (terminalId: string) => void): void {
    this.changeListeners.push(listener);
  }

  /** Called inside the deleting transaction, before the row goes. */
  onDelete(listener: (terminal: TerminalRow) => void): void {
    this.deleteListeners.push(listener);
  }

  /** A simulated reader is always seen "now"; a hosted one when its link last polled. */
  lastSeen(row: TerminalRow): number | null {
    return row.device_type === 'simulated' ? this.ctx.clock.now() : row.last_seen_at;
  }

  terminalJson(row: TerminalRow): Record<string, unknown> {
    return {
      id: row.id,
      name: row.name,
      status: row.status,
      device_type: row.device_type,
      serial_number: row.serial_number,
      processor_terminal_id: row.processor_id,
      location_name: row.location_name,
      location_address: row.location_address,
      software_version: row.software_version,
      last_seen_at: isoOrNull(this.lastSeen(row)),
      created_at: iso(row.created_at),
      updated_at: iso(row.updated_at),
    };
  }

  readerJson(row: TerminalRow): Record<string, unknown> {
    const action = this.action(row);
    return {
      id: row.processor_id,
      terminal_id: row.id,
      label: row.name,
      status: row.status,
      device_type: row.device_type,
      serial_number: row.serial_number,
      last_seen_at: isoOrNull(this.lastSeen(row)),
      action: action ? actionJson(action) : null,
    };
  }

  find(id: string): TerminalRow | undefined {
    return this.ctx.sql.get('SELECT * FROM terminals WHERE id = ? AND is_live = ?').get(id, liveFlag(this.ctx)) as
      TerminalRow | undefined;
  }

  get(id: string): TerminalRow {
    const row = this.find(id);
    if (!row) throw notFound(`No such terminal: ${id}`);
    return row;
  }

  /** A paired reader by processor id (tmr_…) or terminal id. */
  reader(ref: string, param?: string): TerminalRow {
    const row = this.ctx.sql
      .get('SELECT * FROM terminals WHERE (processor_id = ? OR id = ?) AND device_type IS NOT NULL AND is_live = ?')
      .get(ref, ref, liveFlag(this.ctx)) as TerminalRow | undefined;
    if (!row) throw notFound(`No such reader: ${ref}`, param);
    return row;
  }

  readers(): TerminalRow[] {
    return this.ctx.sql
      .get('SELECT * FROM terminals WHERE device_type IS NOT NULL AND is_live = ? ORDER BY seq')
      .all(liveFlag(this.ctx)) as TerminalRow[];
  }

  action(row: TerminalRow): ActionRow | undefined {
    if (row.action_id === null) return undefined;
    return this.ctx.sql.get('SELECT * FROM reader_actions WHERE id = ?').get(row.action_id) as ActionRow | undefined;
  }

  /** Records a change to the reader's action: new version, pollers woken after commit. */
  bumpVersion(row: TerminalRow): void {
    row.version += 1;
    this.ctx.sql
      .get('UPDATE terminals SET version = ?, action_id = ? WHERE id = ?')
      .run(row.version, row.action_id, row.id);
    const id = row.id;
    queueMicrotask(() => {
      for (const listener of this.changeListeners) listener(id);
    });
  }

  /** Online/offline for hosted readers (the link), with the matching webhook. */
  setConnected(row: TerminalRow, online: boolean): void {
    const status: TerminalStatus = online ? 'online' : 'offline';
    if (row.status === status) return;
    row.status = status;
    row.updated_at = this.ctx.clock.now();
    if (online) row.last_seen_at = row.updated_at;
    this.ctx.sql
      .get('UPDATE terminals SET status = ?, last_seen_at = ?, updated_at = ? WHERE id = ?')
      .run(row.status, row.last_seen_at, row.updated_at, row.id);
    this.outbox.emit(online ? 'terminal.connected' : 'terminal.disconnected', this.terminalJson(row));
  }

  touch(row: TerminalRow): void {
    row.last_seen_at = this.ctx.clock.now();
    this.ctx.sql.get('UPDATE terminals SET last_seen_at = ? WHERE id = ?').run(row.last_seen_at, row.id);
  }

  /** After a restart no link exists: every hosted reader that was online is offline now. */
  markHostedOffline(): void {
    inTransaction(this.ctx, () => {
      const rows = this.ctx.sql
        .get("SELECT * FROM terminals WHERE device_type = 'hosted' AND status = 'online' AND is_live = ?")
        .all(liveFlag(this.ctx)) as TerminalRow[];
      for (const row of rows) this.setConnected(row, false);
    });
  }

  /** Fills in device fields for a registration code (pairing). */
  private pair(row: TerminalRow, code: string): void {
    const simulated = isSimulatedCode(code);
    row.device_type = simulated ? 'simulated' : 'hosted';
    row.registration_code = code === 'simulated' ? null : code;
    row.serial_number = code === 'simulated' ? `SIM-${this.ctx.ids.alnum(10).toUpperCase()}` : code;
    row.software_version = simulated ? SIMULATED_SOFTWARE : null;
    row.status = simulated ? 'online' : 'offline';
  }

  private codeInUse(code: string): void {
    if (code !== 'simulated' && this.ctx.sql.get('SELECT 1 FROM terminals WHERE registration_code = ?').get(code)) {
      throw conflict(
        'terminal_error',
        `The registration code ${code} is already paired to another terminal.`,
        'registration_code_in_use',
        'registration_code',
      );
    }
  }

  create(input: TerminalInput & { name: string }): TerminalRow {
    return inTransaction(this.ctx, () => {
      const now = this.ctx.clock.now();
      const row: TerminalRow = {
        seq: 0,
        id: this.ctx.ids.uuid(now),
        processor_id: `tmr_${this.ctx.ids.alnum(20)}`,
        name: input.name,
        status: 'pairing',
        device_type: null,
        serial_number: null,
        registration_code: null,
        location_name: input.location_name ?? null,
        location_address: input.location_address ?? null,
        software_version: null,
        last_seen_at: null,
        action_id: null,
        version: 0,
        created_at: now,
        updated_at: now,
      };
      if (input.registration_code) {
        this.codeInUse(input.registration_code);
        this.pair(row, input.registration_code);
      }
      const result = this.ctx.sql
        .get(
          `INSERT INTO terminals (id, processor_id, name, status, device_type, serial_number, registration_code, location_name,
           location_address, software_version, last_seen_at, action_id, version, created_at, updated_at, is_live)
           VALUES (@id, @processor_id, @name, @status, @device_type, @serial_number, @registration_code, @location_name,
           @location_address, @software_version, @last_seen_at, @action_id, @version, @created_at, @updated_at, ?)`,
        )
        .run(liveFlag(this.ctx), row);
      row.seq = Number(result.lastInsertRowid);
      if (row.status === 'online') this.outbox.emit('terminal.connected', this.terminalJson(row));
      return row;
    });
  }

  update(id: string, input: TerminalInput): TerminalRow {
    return inTransaction(this.ctx, () => {
      const row = this.get(id);
      if (input.name !== undefined) row.name = input.name;
      if (input.location_name !== undefined) row.location_name = input.location_name;
      if (input.location_address !== undefined) row.location_address = input.location_address;
      const code = input.registration_code;
      if (code) {
        const current = row.device_type === null ? null : (row.registration_code ?? 'simulated');
        if (current !== null && current !== code) {
          throw conflict(
            'terminal_error',
            'This terminal is already paired; delete it and register the new device instead.',
            'already_paired',
            'registration_code',
          );
        }
        if (current === null) {
          this.codeInUse(code);
          this.pair(row, code);
          if (row.status === 'online') this.outbox.emit('terminal.connected', this.terminalJson(row));
        }
      }
      row.updated_at = this.ctx.clock.now();
      this.ctx.sql
        .get(
          `UPDATE terminals SET name = @name, status = @status, device_type = @device_type, serial_number = @serial_number,
           registration_code = @registration_code, location_name = @location_name, location_address = @location_address,
           software_version = @software_version, updated_at = @updated_at WHERE id = @id`,
        )
        .run(row);
      return row;
    });
  }

  delete(id: string): void {
    inTransaction(this.ctx, () => {
      const row = this.get(id);
      for (const listener of this.deleteListeners) listener(row);
      if (row.status === 'online') {
        row.status = 'offline';
        this.outbox.emit('terminal.disconnected', this.terminalJson(row));
      }
      this.ctx.sql.get('DELETE FROM terminals WHERE id = ?').run(row.id);
    });
  }

  list(filters: TerminalFilters): Page<TerminalRow> {
    const where: string[] = ['is_live = ?'];
    const args: Array<string | number> = [liveFlag(this.ctx)];
    if (filters.status !== undefined) {
      where.push('status = ?');
      args.push(filters.status);
    }
    if (filters.location_name !== undefined) {
      where.push("location_name LIKE ? ESCAPE '\\'");
      args.push(`%${escapeLike(filters.location_name)}%`);
    }
    if (filters.serial_number !== undefined) {
      where.push('serial_number = ?');
      args.push(filters.serial_number);
    }
    return paginate<TerminalRow>(this.ctx, {
      from: `terminals WHERE ${where.join(' AND ')}`,
      args,
      orderBy: 'created_at DESC, seq DESC',
      page: filters.page,
      size: filters.size,
    });
  }
}
