import { useCallback } from 'react';
import { merchantLabel, merchantName } from '../../../common/split-merchants';
import { usePos } from '../store/context';
import { splitMerchants } from '../store/selectors';

/**
 * A split merchant as the cashier reads it: "Stall 7 — Noodles (1324)" when Settings names the id,
 * else the bare id. For text (a confirmation, a message, an option).
 */
export function useMerchantLabel(): (merchantId: string) => string {
  const merchants = usePos(splitMerchants);
  return useCallback((merchantId: string) => merchantLabel(merchants, merchantId), [merchants]);
}

/** The same, on the page: the name, and the id in the id's own type (the gateway's, to read out or type). */
export function Merchant({ id, className }: { id: string; className?: string }) {
  const merchants = usePos(splitMerchants);
  const name = merchantName(merchants, id);
  return (
    <span className={className}>
      {name ? (
        <>
          {name} (<span className="mono">{id}</span>)
        </>
      ) : (
        <span className="mono">{id}</span>
      )}
    </span>
  );
}
