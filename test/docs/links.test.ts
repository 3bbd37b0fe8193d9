/**
 * The documentation's links hold: every relative Markdown link in README.md and docs/ names a file
 * of this repository and, with a #fragment into Markdown, one of its headings (GitHub's anchors).
 * Every repository path cited in a code span (`main/payments/standalone.ts`) exists. And nothing
 * points outside the repository: no mention of the sibling `../shared/` folder the project was
 * written from, nor of the DESIGN.md that lived there.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '..', '..');

function walk(dir: string, keep: (path: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : walk(path, keep);
    return keep(path) ? [path] : [];
  });
}

const rel = (path: string): string => relative(ROOT, path).split(sep).join('/');

// ---- Markdown, as far as links and headings go ----------------------------------------------------

/** The lines outside fenced code blocks (``` or ~~~), with their 1-based numbers. */
function proseLines(markdown: string): { line: number; text: string }[] {
  const lines: { line: number; text: string }[] = [];
  let fence: string | null = null;
  markdown.split(/\r?\n/).forEach((text, index) => {
    const opening = /^ {0,3}(`{3,}|~{3,})/.exec(text);
    if (fence) {
      if (
        opening &&
        opening[1]![0] === fence[0] &&
        opening[1]!.length >= fence.length &&
        !/\S/.test(text.slice(opening[0].length))
      )
        fence = null;
      return;
    }
    if (opening) {
      fence = opening[1]!;
      return;
    }
    lines.push({ line: index + 1, text });
  });
  return lines;
}

/** A line without its code spans (a link written inside backticks is not a link). */
function withoutCodeSpans(text: string): string {
  return text.replace(/(`+)[\s\S]*?\1/g, '');
}

interface Link {
  line: number;
  target: string;
}

/** Inline links and images `[text](dest "title")`, reference definitions `[x]: dest`, and HTML href/src. */
function links(markdown: string): Link[] {
  const found: Link[] = [];
  for (const { line, text } of proseLines(markdown)) {
    const prose = withoutCodeSpans(text);
    for (const match of prose.matchAll(
      /\]\(\s*(<[^>]*>|[^\s()]+(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g,
    ))
      found.push({ line, target: match[1]!.replace(/^<|>$/g, '') });
    const definition = /^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/.exec(prose);
    if (definition) found.push({ line, target: definition[1]!.replace(/^<|>$/g, '') });
    for (const match of prose.matchAll(/\b(?:href|src)\s*=\s*["']([^"']+)["']/g))
      found.push({ line, target: match[1]! });
  }
  return found;
}

/** Schemes (https:, mailto:…) and protocol-relative URLs leave the repository: not checked here. */
function isRelative(target: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('//');
}

/** The text GitHub renders for a heading's Markdown source (what its anchor is made from). */
function headingText(source: string): string {
  return source
    .replace(/!\[[^\]]*\]\([^)]*\)/g, '') // images render no text
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // links render their text
    .replace(/\[([^\]]*)\]\[[^\]]*\]/g, '$1') // reference links too
    .replace(/<[^>]+>/g, '') // inline HTML: only its text shows
    .replace(/(`+)([\s\S]*?)\1/g, '$2') // code spans render their content
    .replace(/\\([!-/:-@[-`{-~])/g, '$1') // backslash escapes
    .replace(/(\*{1,3}|_{1,3})(\S(?:[\s\S]*?\S)?)\1(?![\p{L}\p{N}])/gu, '$2') // emphasis markers
    .replace(
      /&(amp|lt|gt|quot|#39);/g,
      (_, entity: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"' })[entity] ?? "'",
    )
    .trim();
}

/** GitHub's anchor for a heading (github-slugger): lower case, only letters, marks, numbers, `_`, `-` and spaces kept, spaces become `-`. */
function githubSlug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a Markdown file offers: its headings' slugs (repeats get -1, -2…) and HTML ids/names. */
function anchors(markdown: string): Set<string> {
  const result = new Set<string>();
  const seen = new Map<string, number>();
  const add = (heading: string): void => {
    const base = githubSlug(headingText(heading));
    let slug = base;
    while (seen.has(slug)) {
      const count = seen.get(base)! + 1;
      seen.set(base, count);
      slug = `${base}-${count}`;
    }
    seen.set(slug, 0);
    result.add(slug);
  };
  const lines = proseLines(markdown);
  lines.forEach(({ line, text }, index) => {
    const atx = /^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(text);
    if (atx) return add(atx[1] ?? '');
    // Setext: a paragraph line underlined with === or --- (directly, not across a fence).
    const next = lines[index + 1];
    if (next && next.line === line + 1 && /^ {0,3}(=+|-+)[ \t]*$/.test(next.text) && /\S/.test(text)) {
      const previous = lines[index - 1];
      const startsParagraph = !previous || previous.line !== line - 1 || !/\S/.test(previous.text);
      if (startsParagraph && !/^ {0,3}([-*+>]|\d+[.)]|#)/.test(text)) add(text.trim());
    }
    for (const match of text.matchAll(/<[a-z][^>]*\s(?:id|name)\s*=\s*["']([^"']+)["']/gi)) result.add(match[1]!);
  });
  return result;
}

// ---- The checks ------------------------------------------------------------------------------------

const MARKDOWN = [
  join(ROOT, 'README.md'),
  ...(existsSync(join(ROOT, 'docs')) ? walk(join(ROOT, 'docs'), (path) => extname(path) === '.md') : []),
];

const anchorCache = new Map<string, Set<string>>();
function anchorsOf(file: string): Set<string> {
  let found = anchorCache.get(file);
  if (!found) anchorCache.set(file, (found = anchors(readFileSync(file, 'utf8'))));
  return found;
}

/** What is wrong with one relative link of `from`, or null when it resolves. */
function brokenLink(from: string, target: string): string | null {
  const hash = target.indexOf('#');
  const pathPart = hash < 0 ? target : target.slice(0, hash);
  const fragment = hash < 0 ? null : target.slice(hash + 1);
  let path: string;
  try {
    path = decodeURIComponent(pathPart.split('?')[0]!);
  } catch {
    return 'is not a valid URL';
  }
  const file = path === '' ? from : path.startsWith('/') ? join(ROOT, path) : resolve(dirname(from), path);
  if (relative(ROOT, file).startsWith('..')) return `points outside the repository (${path})`;
  if (!existsSync(file)) return `names a missing file (${rel(file)})`;
  if (fragment === null || fragment === '' || statSync(file).isDirectory() || extname(file) !== '.md') return null;
  let anchor: string;
  try {
    anchor = decodeURIComponent(fragment);
  } catch {
    return 'has an invalid #fragment';
  }
  return anchorsOf(file).has(anchor) ? null : `names no heading of ${rel(file)} (#${anchor})`;
}

/** The repository's top-level folders a code span may name a path in. */
const TOP_FOLDERS = ['main', 'renderer', 'common', 'drivers', 'sandbox', 'test', 'bin', 'packaging', 'docs'];

/**
 * Repository paths written as code spans (`main/payments/standalone.ts`, `test/docs/`): those under a
 * top-level folder, without placeholders (`<name>`, `{a,b}`, `NNN`, `*`). A module path may leave out
 * its `.ts`/`.tsx` (`common/contract/views`).
 */
function citedPaths(markdown: string): { line: number; path: string }[] {
  const found: { line: number; path: string }[] = [];
  for (const { line, text } of proseLines(markdown))
    for (const match of text.matchAll(/(`+)([^`]+?)\1/g)) {
      const path = match[2]!.trim();
      if (!/^[\w.@/-]+$/.test(path) || !path.includes('/') || /NNN/.test(path)) continue;
      if (TOP_FOLDERS.includes(path.split('/')[0]!)) found.push({ line, path });
    }
  return found;
}

function pathExists(path: string): boolean {
  return ['', '.ts', '.tsx'].some((ext) => existsSync(join(ROOT, path + ext)));
}

/** Files whose text may mention the outside world: sources, docs, the README. */
const SCANNED = ['main', 'renderer', 'drivers', 'sandbox', 'common', 'docs', 'README.md'];
const TEXT = /\.(ts|tsx|js|mjs|cjs|json|md|html|css|ya?ml|txt)$/;

function filesOf(name: string): string[] {
  const path = join(ROOT, name);
  if (!existsSync(path)) return [];
  return statSync(path).isDirectory() ? walk(path, (file) => TEXT.test(file)) : [path];
}

describe('documentation links', () => {
  it('finds the README and the docs', () => {
    expect(MARKDOWN.map(rel)).toContain('README.md');
    expect(MARKDOWN.length).toBeGreaterThan(1);
  });

  it.each(MARKDOWN.map((file) => ({ file: rel(file), path: file })))(
    'every relative link in $file resolves',
    ({ path }) => {
      const broken = links(readFileSync(path, 'utf8'))
        .filter(({ target }) => isRelative(target))
        .flatMap(({ line, target }) => {
          const problem = brokenLink(path, target);
          return problem ? [`${rel(path)}:${line} (${target}) ${problem}`] : [];
        });
      expect(broken).toEqual([]);
    },
  );

  it.each(MARKDOWN.map((file) => ({ file: rel(file), path: file })))(
    'every repository path cited in $file exists',
    ({ path }) => {
      const missing = citedPaths(readFileSync(path, 'utf8'))
        .filter(({ path: cited }) => !pathExists(cited))
        .map(({ line, path: cited }) => `${rel(path)}:${line} cites ${cited}, which is not in the repository`);
      expect(missing).toEqual([]);
    },
  );

  it.each(SCANNED)('nothing in %s mentions ../shared/ or DESIGN.md (outside the repository)', (name) => {
    const mentions: string[] = [];
    for (const file of filesOf(name)) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((text, index) => {
          const where = `${rel(file)}:${index + 1}`;
          if (text.includes('DESIGN.md')) mentions.push(`${where} mentions DESIGN.md`);
          // No folder of this repository is called shared/, so any such path leaves it.
          for (const match of text.matchAll(/(?:\.\.\/)+shared\/[^\s'"`)\]>,;]*/g)) {
            mentions.push(`${where} mentions ${match[0].replace(/[.:]+$/, '')}`);
          }
        });
    }
    expect(mentions).toEqual([]);
  });
});

describe('the link checker itself', () => {
  it('slugs headings as GitHub does', () => {
    expect(githubSlug(headingText('Modes and settings'))).toBe('modes-and-settings');
    expect(githubSlug(headingText('The reader link (for readers this app hosts)'))).toBe(
      'the-reader-link-for-readers-this-app-hosts',
    );
    expect(githubSlug(headingText('`pos-reader list`: what is plugged in?'))).toBe(
      'pos-reader-list-what-is-plugged-in',
    );
    expect(githubSlug(headingText('Tests & CI — the [whole](x.md) *suite*'))).toBe('tests--ci--the-whole-suite');
    expect(githubSlug(headingText('snake_case and Ünïcode 2.0'))).toBe('snake_case-and-ünïcode-20');
  });

  it('numbers repeated headings and ignores fenced code', () => {
    const found = anchors(
      [
        '# Setup',
        '',
        '## Setup',
        '',
        '```',
        '# Not a heading',
        '```',
        '',
        'Setext',
        '======',
        '<a id="custom"></a>',
      ].join('\n'),
    );
    expect([...found].sort()).toEqual(['custom', 'setext', 'setup', 'setup-1']);
  });

  it('finds inline, reference and HTML links but not the ones in code', () => {
    const found = links(
      [
        'See [a](docs/a.md#x "title"), ![img](<img/b c.png>) and `[not](code.md)`.',
        '[ref]: ../c.md',
        '<a href="d.md">d</a>',
        '```',
        '[fenced](e.md)',
        '```',
      ].join('\n'),
    ).map(({ target }) => target);
    expect(found).toEqual(['docs/a.md#x', 'img/b c.png', '../c.md', 'd.md']);
  });

  it('tells a link that resolves from one that does not', () => {
    const readme = join(ROOT, 'README.md');
    expect(brokenLink(readme, 'package.json')).toBeNull();
    expect(brokenLink(readme, 'docs/')).toBeNull();
    expect(brokenLink(readme, 'docs/nowhere.md')).toMatch(/missing file/);
    expect(brokenLink(readme, '../shared/x.md')).toMatch(/outside the repository/);
    expect(brokenLink(readme, '#no-such-heading-here')).toMatch(/names no heading/);
  });

  it('finds the repository paths cited in code spans, not placeholders or fenced code', () => {
    const found = citedPaths(
      [
        'See `main/payments/standalone.ts`, `common/contract/views` and `npm run web`.',
        '`main/gateway/<name>/`, `main/store/migrations/NNN-*.ts`, `out/main/web.js`, `a/b`.',
        '```',
        '`renderer/src/Nowhere.tsx`',
        '```',
      ].join('\n'),
    ).map(({ path }) => path);
    expect(found).toEqual(['main/payments/standalone.ts', 'common/contract/views']);
    expect(pathExists('common/contract/views')).toBe(true);
    expect(pathExists('test/docs/')).toBe(true);
    expect(pathExists('main/payments/nowhere.ts')).toBe(false);
  });

  it('has no folder called shared/ that a ../shared/ mention could mean', () => {
    const folders = walk(ROOT, () => true)
      .filter((path) => !path.includes(`${sep}.git${sep}`) && !path.includes(`${sep}.bench${sep}`))
      .map((path) => relative(ROOT, dirname(path)).split(sep));
    expect(folders.filter((parts) => parts.includes('shared'))).toEqual([]);
  });
});
