/** What every figure gets from the runner. */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { FigureId, FigureResult } from './report';

export interface FigureContext {
  /** A short run (the whole bench under a minute): fewer samples, smaller curves. */
  quick: boolean;
  /** Record CPU profiles of the measured parts (slower; for finding causes, not for figures). */
  profile: boolean;
  /** Scratch directory of this run (databases, ptys' links, child outputs). */
  dir: string;
  /** Where profiles go (kept after the run). */
  profileDir: string;
  /** Progress lines on stderr (the table and JSON go to stdout/file). */
  log: (line: string) => void;
  /**
   * Multiplies sample counts and durations (tests pass a tiny value to smoke a figure in
   * well under a second; 1 for real runs).
   */
  scale: number;
}

export interface Figure {
  id: FigureId;
  title: string;
  run(ctx: FigureContext): Promise<Omit<FigureResult, 'figure' | 'title' | 'elapsedMs'>>;
}

/** A fresh subdirectory of the run's scratch directory. */
export function scratch(ctx: FigureContext, name: string): string {
  return mkdtempSync(join(ctx.dir, `${name}-`));
}

/** n scaled for the context, never below `min`. */
export function scaled(ctx: FigureContext, n: number, min = 1): number {
  return Math.max(min, Math.round(n * ctx.scale));
}
