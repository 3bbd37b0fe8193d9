/**
 * Picks the gateway the till uses, from its settings: each gateway's folder offers one factory, and
 * this is the only file that knows them all (where a fourth gateway is added). Everything else
 * speaks the port.
 */
import type { Clock } from '../../common/clock';
import type { GatewayName, GatewayView } from '../../common/contract';
import type { GatewayHttpOptions } from './http';
import type { PaymentGateway } from './port';
import { createPayPlugGateway } from './payplug';
import { createPluralGateway } from './plural';
import { createPlutoPayGateway } from './plutopay';

/** Everything a gateway's client needs to talk to one account. */
export type GatewayConfig =
  | { name: 'plutopay'; baseUrl: string; secretKey: string; webhookSecret: () => string | null }
  | {
      name: 'payplug';
      baseUrl: string;
      secretKey: string;
      notificationUrl: () => string | null;
      /** The till's clock: "today" for an installment schedule, which the host builds on it. */
      clock?: Clock;
    }
  | {
      name: 'plural';
      baseUrl: string;
      clientId: string;
      clientSecret: string;
      signatureKey: string;
      /** Where the customer's browser returns (the till's own return route); asked on every create. */
      callbackUrl?: string | null | (() => string | null);
    };

export type HttpTuning = Omit<GatewayHttpOptions, 'baseUrl' | 'parseError'>;

export const GATEWAY_LABELS: Record<GatewayName, string> = {
  plutopay: 'PlutoPay',
  payplug: 'PayPlug',
  plural: 'Plural',
};

export function createGateway(config: GatewayConfig, http: HttpTuning): PaymentGateway {
  switch (config.name) {
    case 'plutopay':
      return createPlutoPayGateway({ ...config, http });
    case 'payplug':
      return createPayPlugGateway({ ...config, http });
    case 'plural':
      return createPluralGateway({ ...config, http });
  }
}

export function gatewayView(gateway: PaymentGateway): GatewayView {
  return {
    name: gateway.name,
    label: gateway.label,
    capabilities: gateway.capabilities,
    limits: {
      amountMin: gateway.limits.amount.min,
      amountMax: gateway.limits.amount.max,
      currencies: gateway.limits.currencies,
    },
    linkTestCards: gateway.linkTestCards,
  };
}
