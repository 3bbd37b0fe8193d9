/**
 * Golden files: byte-exact expected outputs under test/counter/golden/. A test compares what it
 * produced with the file; `UPDATE_GOLDEN=1 npx vitest run test/counter test/drivers` rewrites
 * them instead (review the diff before committing it). A missing file fails unless updating.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden');
export const UPDATING = process.env.UPDATE_GOLDEN === '1';

export function goldenPath(name: string): string {
  return join(GOLDEN_DIR, name);
}

export function readGolden(name: string): string {
  const path = goldenPath(name);
  if (!existsSync(path)) throw new Error(`golden file ${name} is missing: run with UPDATE_GOLDEN=1 to create it`);
  return readFileSync(path, 'utf8');
}

/** Compares with the golden file, or writes it when UPDATE_GOLDEN=1. */
export function expectGolden(name: string, actual: string): void {
  if (UPDATING) {
    mkdirSync(dirname(goldenPath(name)), { recursive: true });
    writeFileSync(goldenPath(name), actual);
    return;
  }
  expect(actual, `golden ${name} (UPDATE_GOLDEN=1 regenerates)`).toBe(readGolden(name));
}

/** xxd-like dump: offset, 16 hex bytes, printable ASCII. Readable in a diff and parseable back. */
export function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = bytes.subarray(offset, offset + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  |${ascii}|`);
  }
  return `${lines.join('\n')}\n`;
}

export function parseHexDump(dump: string): Uint8Array {
  const out: number[] = [];
  for (const line of dump.split('\n')) {
    const match = /^[0-9a-f]{8} {2}((?:[0-9a-f]{2} ?)+)/.exec(line);
    if (!match) continue;
    for (const pair of match[1]!.trim().split(' ')) out.push(parseInt(pair, 16));
  }
  return Uint8Array.from(out);
}
