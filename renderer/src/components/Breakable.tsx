import { Fragment } from 'react';

/**
 * An identifier (an order reference, a gateway's id) that may wrap after each `-` or `_`: the
 * browser does not break "pos-20261130-175118-…" there by itself (a hyphen before digits reads as a
 * minus sign), so a narrow column cut it anywhere, mid-number.
 */
export function Breakable({ text }: { text: string }) {
  const parts = text.split(/(?<=[-_])/);
  return (
    <>
      {parts.map((part, index) => (
        <Fragment key={index}>
          {index > 0 ? <wbr /> : null}
          {part}
        </Fragment>
      ))}
    </>
  );
}
