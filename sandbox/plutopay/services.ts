/** Builds the domain services over one context, wired to each other in dependency order. */
import { Checkout } from './domain/checkout';
import type { Context } from '../core/context';
import { Customers } from './domain/customers';
import { Outbox } from './domain/events';
import { FaultInjector } from '../core/faults';
import { MerchantService } from './domain/merchant';
import { PayoutsAndDisputes } from './domain/payouts-disputes';
import { ConnectionTokens, ReaderLinks } from './domain/reader-link';
import { Refunds } from './domain/refunds';
import { TerminalPayments } from './domain/terminal-payments';
import { Terminals } from './domain/terminals';
import { Transactions } from './domain/transactions';
import { Webhooks } from './domain/webhooks';

export interface Services {
  readonly ctx: Context;
  readonly merchant: MerchantService;
  readonly outbox: Outbox;
  readonly webhooks: Webhooks;
  readonly transactions: Transactions;
  readonly refunds: Refunds;
  readonly customers: Customers;
  readonly terminals: Terminals;
  readonly payments: TerminalPayments;
  readonly links: ReaderLinks;
  readonly checkout: Checkout;
  readonly payoutsDisputes: PayoutsAndDisputes;
  readonly faults: FaultInjector;
}

export function createServices(ctx: Context): Services {
  const faults = new FaultInjector();
  const merchant = new MerchantService(ctx);
  const outbox = new Outbox(ctx);
  const webhooks = new Webhooks(ctx, outbox);
  const transactions = new Transactions(ctx, outbox);
  const refunds = new Refunds(ctx, transactions, outbox);
  const customers = new Customers(ctx);
  const terminals = new Terminals(ctx, outbox);
  const payments = new TerminalPayments(ctx, terminals, transactions, () => faults.current.reader_timeout_ms);
  const links = new ReaderLinks(ctx, new ConnectionTokens(ctx), terminals, payments);
  const checkout = new Checkout(ctx, transactions);
  const payoutsDisputes = new PayoutsAndDisputes(ctx, transactions, outbox);
  return {
    ctx,
    merchant,
    outbox,
    webhooks,
    transactions,
    refunds,
    customers,
    terminals,
    payments,
    links,
    checkout,
    payoutsDisputes,
    faults,
  };
}
