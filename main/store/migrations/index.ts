/** The journal's migrations, in order. A new one goes in its own file, numbered after the last. */
import { migration as initial } from './001-initial';
import { migration as webhookEvents } from './002-webhook-events';
import { migration as historyIndexes } from './003-history-indexes';
import { migration as gateways } from './004-gateways';
import { migration as splits } from './005-splits';
import { migration as counterDay } from './006-counter-day';
import { migration as requestIds } from './007-request-ids';
import { migration as planOrders } from './008-plan-orders';
import { migration as paymentModes } from './009-payment-modes';
import { migration as refundEntries } from './010-refund-entries';
import { migration as captureEntries } from './011-capture-entries';
import { migration as savedCardModes } from './012-saved-card-modes';
import { migration as savedCardKeys } from './013-saved-card-keys';
import { migration as zReconciliation } from './014-z-reconciliation';
import { migration as ownMoneyEntries } from './015-own-money-entries';
import { migration as splitReleasable } from './016-split-releasable';
import { migration as operationSentAt } from './017-operation-sent-at';
import { migration as splitEntries } from './018-split-entries';
import { migration as chargedCard } from './019-charged-card';
import { migration as pluralLinks } from './020-plural-links';
import { migration as disputes } from './021-disputes';
import { migration as cancelAsked } from './022-cancel-asked';
import { migration as planModes } from './023-plan-modes';
import { migration as refusedReaderActions } from './024-refused-reader-actions';
import { migration as paymentAccounts } from './025-payment-accounts';
import { migration as disputeAccounts } from './026-dispute-accounts';
import { migration as paymentAccountNames } from './027-payment-account-names';
import { migration as planAccountNames } from './028-plan-account-names';
import { migration as transactionIdsPerAccount } from './029-transaction-ids-per-account';
import type { Migration } from './types';

export const JOURNAL_MIGRATIONS: readonly Migration[] = [
  initial,
  webhookEvents,
  historyIndexes,
  gateways,
  splits,
  counterDay,
  requestIds,
  planOrders,
  paymentModes,
  refundEntries,
  captureEntries,
  savedCardModes,
  savedCardKeys,
  zReconciliation,
  ownMoneyEntries,
  splitReleasable,
  operationSentAt,
  splitEntries,
  chargedCard,
  pluralLinks,
  disputes,
  cancelAsked,
  planModes,
  refusedReaderActions,
  paymentAccounts,
  disputeAccounts,
  paymentAccountNames,
  planAccountNames,
  transactionIdsPerAccount,
];

export type { Migration };
