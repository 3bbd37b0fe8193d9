/**
 * CPU profiles for `npm run bench -- --profile`: the in-process figures record a V8 profile
 * (the same format as `node --cpu-prof`, openable in Chrome DevTools) around their measured part,
 * and a summary of where self time went (by function and by source file) goes into the JSON, so a
 * missed target comes with its first clue.
 */
import { Session } from 'node:inspector/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface HotSpot {
  where: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  byFunction: HotSpot[];
  byFile: HotSpot[];
}

function shortUrl(url: string): string {
  if (!url) return '(native)';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) return path.slice(nm + '/node_modules/'.length);
  return relative(process.cwd(), path) || path;
}

/** Self time per function and per file, from sample counts × the mean sampling interval. */
export function summarizeProfile(profile: CpuProfile, file: string, top = 12): ProfileSummary {
  const totalUs = profile.endTime - profile.startTime;
  const hits = profile.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0);
  const perHitMs = hits > 0 ? totalUs / 1000 / hits : 0;
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const node of profile.nodes) {
    const count = node.hitCount ?? 0;
    if (count === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const fileKey = url ? shortUrl(url) : `(${functionName || 'program'})`;
    const fnKey = `${functionName || '(anonymous)'} ${url ? `${fileKey}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(fnKey, (byFunction.get(fnKey) ?? 0) + count);
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + count);
  }
  const rank = (map: Map<string, number>): HotSpot[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([where, count]) => ({
        where,
        selfMs: Number((count * perHitMs).toFixed(1)),
        share: Number((hits ? count / hits : 0).toFixed(3)),
      }));
  return { file, totalMs: Number((totalUs / 1000).toFixed(1)), byFunction: rank(byFunction), byFile: rank(byFile) };
}

/** Profiles `fn` in this process when `enabled`; writes DIR/NAME.cpuprofile. */
export async function withCpuProfile<T>(
  enabled: boolean,
  dir: string,
  name: string,
  fn: () => Promise<T>,
): Promise<{ result: T; profile: ProfileSummary | null }> {
  if (!enabled) return { result: await fn(), profile: null };
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  let result: T;
  try {
    result = await fn();
  } finally {
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
    session.disconnect();
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    lastSummary = summarizeProfile(profile, file);
  }
  return { result, profile: lastSummary };
}

let lastSummary: ProfileSummary | null = null;
