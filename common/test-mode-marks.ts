/**
 * What test-mode outputs say about money, on receipts, reports and the customer display alike.
 */
export const TEST_MODE_MARK = 'TEST MODE — NO MONEY MOVED';

/**
 * A payment a real terminal on the shop's own bank charged: the terminal charges cards whatever the
 * till's mode, and the app cannot tell whether it is on the bank's test platform, so money may have
 * moved.
 */
export const TEST_MODE_SHOP_BANK_MARK = "TEST MODE — CHARGED BY THE SHOP'S BANK";
