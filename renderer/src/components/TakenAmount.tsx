import { capturedInPart } from '../lib/labels';
import { money } from '../lib/format';

/**
 * What a payment took: its amount, or — an authorisation captured in part — the captured amount
 * and what was authorised under it (`₹300.00 of ₹500.00 authorised`), as its receipt and the
 * reports count it. Transactions' rows and Settlements' headings say it alike.
 */
export function TakenAmount({
  payment: p,
}: {
  payment: { status: string; amount: number; amountCaptured: number; currency: string };
}) {
  const part = capturedInPart(p);
  if (part === null) return <>{money(p.amount, p.currency)}</>;
  return (
    <>
      {money(part, p.currency)}
      <span className="muted tx-authorised"> of {money(p.amount, p.currency)} authorised</span>
    </>
  );
}
