/**
 * The journal's migrations, in order. A new one goes in its own file, numbered after the last.
 * 005 (splits) is written on another branch; 006 follows 004 here until it is merged.
 */
import { migration as initial } from './001-initial';
import { migration as webhookEvents } from './002-webhook-events';
import { migration as historyIndexes } from './003-history-indexes';
import { migration as gateways } from './004-gateways';
import { migration as splits } from './005-splits';
import { migration as counterDay } from './006-counter-day';
import type { Migration } from './types';

export const JOURNAL_MIGRATIONS: readonly Migration[] = [
  initial,
  webhookEvents,
  historyIndexes,
  gateways,
  splits,
  counterDay,
];

export type { Migration };
