import { useMemo, type ReactNode } from 'react';
import { qrSvg } from '../../../common/qr';
import { money, timeLeft } from '../lib/format';
import { useNow } from '../lib/hooks';

/**
 * A payment link shown to the customer: a large QR code of the URL (rendered as an SVG image, so
 * no markup is injected into the page), the amount, and the time left before the link lapses.
 * `children` (the screen's actions: Cancel, Abort) go beside the code, under the time left, so they
 * stay in view on a short counter screen (1024×600) instead of below the code.
 */
export function PayLink({
  url,
  amount,
  currency,
  expiresAt,
  caption = 'Scan to pay on your phone',
  children,
}: {
  url: string;
  amount: number;
  currency: string;
  expiresAt: string | null;
  caption?: string;
  children?: ReactNode;
}) {
  const now = useNow(1_000);
  const image = useMemo(() => `data:image/svg+xml;utf8,${encodeURIComponent(qrSvg(url))}`, [url]);
  const left = timeLeft(expiresAt, now);
  return (
    <div className="pay-link">
      <img className="pay-link__qr" src={image} alt={`QR code of the payment link ${url}`} />
      <div className="pay-link__side">
        <p className="payment-card__amount">{money(amount, currency)}</p>
        <p>{caption}</p>
        {left ? (
          <p
            className={`pay-link__countdown${left.ms < 60_000 ? ' pay-link__countdown--late' : ''}`}
            role="timer"
            aria-live="off"
          >
            {left.ms <= 0 ? 'The link has expired.' : `Link valid for ${left.text.replace(' left', '')}`}
          </p>
        ) : null}
        {children}
        <p className="muted pay-link__url">{url}</p>
      </div>
    </div>
  );
}
