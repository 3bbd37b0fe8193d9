/**
 * Disputes (chargebacks) as the host read them from the gateway: one line in a Needs attention
 * item, a table on a payment's details and on the Transactions screen. The shop answers a dispute
 * on the gateway's dashboard; the till only shows it.
 */
import type { DisputeView } from '../../../common/contract';
import { dateTime, money } from '../lib/format';

const STATUS: Record<DisputeView['status'], string> = {
  needs_response: 'Needs a response',
  under_review: 'Under review',
  won: 'Won',
  lost: 'Lost',
};

export const disputeStatus = (d: DisputeView) => STATUS[d.status];

/** "Dispute dp_… · €20.00 · product not received · Needs a response, evidence due 8 Dec 2026, 10:00" */
export function disputeLine(d: DisputeView, timeZone: string | null): string {
  const due = d.evidenceDueBy && d.closedAt === null ? `, evidence due ${dateTime(d.evidenceDueBy, timeZone)}` : '';
  return `Dispute ${d.reference} · ${money(d.amount, d.currency)} · ${d.reason.replace(/_/g, ' ')} · ${disputeStatus(d)}${due}`;
}

export function DisputesTable({
  disputes,
  caption,
  timeZone,
  onOpen,
}: {
  disputes: readonly DisputeView[];
  caption: string;
  timeZone: string | null;
  /** Opens the disputed payment's details (the list on the Transactions screen). */
  onOpen?: (d: DisputeView) => void;
}) {
  return (
    <table>
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Opened</th>
          <th scope="col">Dispute</th>
          <th scope="col">Amount</th>
          <th scope="col">Reason</th>
          <th scope="col">Status</th>
          {onOpen ? (
            <th scope="col">
              <span className="visually-hidden">Payment</span>
            </th>
          ) : null}
        </tr>
      </thead>
      <tbody>
        {disputes.map((d) => (
          <tr key={d.id}>
            <td>{dateTime(d.openedAt, timeZone)}</td>
            <td className="mono">{d.reference}</td>
            <td className="num">{money(d.amount, d.currency)}</td>
            <td>{d.reason.replace(/_/g, ' ')}</td>
            <td>
              {disputeStatus(d)}
              {d.evidenceDueBy && d.closedAt === null ? (
                <span className="muted"> (evidence due {dateTime(d.evidenceDueBy, timeZone)})</span>
              ) : null}
            </td>
            {onOpen ? (
              <td>
                <button type="button" aria-label={`Payment of dispute ${d.reference}`} onClick={() => onOpen(d)}>
                  {d.paymentId ? 'Payment' : 'Payment (not this till’s)'}
                </button>
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
