// @vitest-environment jsdom
/**
 * The renderer's page boundary: a strict CSP. Its import boundaries (only common/, contract values
 * only from common/contract/views, no Node, Electron, main/, drivers/ or sandbox/) are ESLint rules,
 * tested in test/lint/boundaries.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const RENDERER = join(ROOT, 'renderer');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|tsx)$/.test(entry.name) ? [path] : [];
  });
}

describe('renderer boundaries', () => {
  const files = sources(join(RENDERER, 'src'));

  it('finds the renderer sources', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it('uses no inline style attributes or inline scripts (strict CSP)', () => {
    const html = readFileSync(join(RENDERER, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    for (const file of files) expect(readFileSync(file, 'utf8'), relative(ROOT, file)).not.toMatch(/\sstyle=\{/);
  });
});
