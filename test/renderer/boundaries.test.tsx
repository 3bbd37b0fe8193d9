// @vitest-environment jsdom
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

/** Every import/export-from statement with its module specifier and whether it is type-only. */
function imports(code: string): { spec: string; typeOnly: boolean }[] {
  const found: { spec: string; typeOnly: boolean }[] = [];
  const pattern =
    /^\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;
  for (const match of code.matchAll(pattern)) {
    if (match[5]) found.push({ spec: match[5], typeOnly: false });
    else found.push({ spec: match[4]!, typeOnly: !!match[2] });
  }
  return found;
}

describe('renderer boundaries', () => {
  const files = sources(join(RENDERER, 'src'));

  it('finds the renderer sources', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it('imports nothing from main/, and only types from the command schemas, so zod never reaches the bundle', () => {
    const offending: string[] = [];
    for (const file of files) {
      for (const { spec, typeOnly } of imports(readFileSync(file, 'utf8'))) {
        if (/(^|\/)main\//.test(spec)) offending.push(`${relative(ROOT, file)} → ${spec}`);
        if (/common\/contract(\/index|\/commands)?$/.test(spec) && !typeOnly)
          offending.push(`${relative(ROOT, file)} → ${spec}`);
        if (spec === 'zod' || spec.startsWith('zod/')) offending.push(`${relative(ROOT, file)} → ${spec}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('imports nothing from Node, Electron, drivers or the sandbox', () => {
    const offending: string[] = [];
    for (const file of files) {
      for (const { spec } of imports(readFileSync(file, 'utf8'))) {
        if (/^(node:|electron$|fs$|path$)/.test(spec) || /(^|\/)(drivers|sandbox)\//.test(spec))
          offending.push(`${relative(ROOT, file)} → ${spec}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('the import scanner itself tells type-only imports apart', () => {
    expect(
      imports("import type { A } from '../../common/contract';\nimport { b } from '../../common/contract';"),
    ).toEqual([
      { spec: '../../common/contract', typeOnly: true },
      { spec: '../../common/contract', typeOnly: false },
    ]);
  });

  it('uses no inline style attributes or inline scripts (strict CSP)', () => {
    const html = readFileSync(join(RENDERER, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    for (const file of files) expect(readFileSync(file, 'utf8'), relative(ROOT, file)).not.toMatch(/\sstyle=\{/);
  });
});
