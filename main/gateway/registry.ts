/**
 * Picks the gateway the till uses, from its settings: each gateway's folder offers one factory, and
 * this is the only file that knows them all (where a fourth gateway is added). Everything else
 * speaks the port.
 */
import type { Clock } from '../../common/clock';
import type { GatewayName, GatewayView } from '../../common/contract';
import type { GatewayHttpOptions } from './http';
import type { PaymentGateway } from './port';
import { createPayPlugGateway, PAYPLUG_CAPABILITIES, PAYPLUG_LIMITS, PAYPLUG_LINK_TEST_CARDS } from './payplug';
import { createPluralGateway, PLURAL_CAPABILITIES, PLURAL_LIMITS, PLURAL_LINK_TEST_CARDS } from './plural';
import { createPlutoPayGateway, PLUTOPAY_CAPABILITIES, PLUTOPAY_LIMITS, PLUTOPAY_LINK_TEST_CARDS } from './plutopay';

/** The longest settle window a gateway keeps (PayPlug's): what a test may shorten, never lengthen. */
export { PAYPLUG_SETTLE_WINDOW_MS as LONGEST_SETTLE_WINDOW_MS } from './payplug';

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
      /** Overrides the settle window (tests). */
      settleWindowMs?: number;
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

/** What a gateway is and can do: known without an account, the same constants its factory uses. */
export type GatewayProfile = Pick<PaymentGateway, 'name' | 'label' | 'capabilities' | 'limits' | 'linkTestCards'>;

/**
 * Each gateway's profile, for the screens before its credentials are set (a till switched to
 * PayPlug in live mode with no key yet still takes euros only, and only by link).
 */
export const GATEWAY_PROFILES: Record<GatewayName, GatewayProfile> = {
  plutopay: {
    name: 'plutopay',
    label: GATEWAY_LABELS.plutopay,
    capabilities: PLUTOPAY_CAPABILITIES,
    limits: PLUTOPAY_LIMITS,
    linkTestCards: PLUTOPAY_LINK_TEST_CARDS,
  },
  payplug: {
    name: 'payplug',
    label: GATEWAY_LABELS.payplug,
    capabilities: PAYPLUG_CAPABILITIES,
    limits: PAYPLUG_LIMITS,
    linkTestCards: PAYPLUG_LINK_TEST_CARDS,
  },
  plural: {
    name: 'plural',
    label: GATEWAY_LABELS.plural,
    capabilities: PLURAL_CAPABILITIES,
    limits: PLURAL_LIMITS,
    linkTestCards: PLURAL_LINK_TEST_CARDS,
  },
};

/**
 * The screens' view of the till's gateway: the one built from its credentials, else (`null`: none
 * set for this mode yet) its profile, marked not configured.
 */
export function gatewayView(name: GatewayName, gateway: PaymentGateway | null): GatewayView {
  const profile: GatewayProfile = gateway ?? GATEWAY_PROFILES[name];
  return {
    name: profile.name,
    label: profile.label,
    configured: gateway !== null,
    capabilities: profile.capabilities,
    limits: {
      amountMin: profile.limits.amount.min,
      amountMax: profile.limits.amount.max,
      currencies: profile.limits.currencies,
      descriptionMax: profile.limits.description.max,
    },
    linkTestCards: profile.linkTestCards,
  };
}
