/**
 * ISO 4217 active currencies: alphabetic code, numeric code and minor-unit exponent.
 * One table for every layer: the Concert driver sends the numeric code, the sandbox formats
 * `amount_formatted`, the host validates amounts, the renderer formats and parses input.
 * Source: ISO 4217 list one (2025 amendments: XCG replaced ANG, ZWG added, BGN kept until
 * terminals in the field stop sending it). Names come from Intl.DisplayNames at run time.
 */
const TABLE = `
AED784 AFN971 ALL008 AMD051 AOA973 ARS032 AUD036 AWG533 AZN944 BAM977 BBD052 BDT050
BGN975 BHD048:3 BIF108:0 BMD060 BND096 BOB068 BOV984 BRL986 BSD044 BTN064 BWP072 BYN933
BZD084 CAD124 CDF976 CHE947 CHF756 CHW948 CLF990:4 CLP152:0 CNY156 COP170 COU970 CRC188
CUP192 CVE132 CZK203 DJF262:0 DKK208 DOP214 DZD012 EGP818 ERN232 ETB230 EUR978 FJD242
FKP238 GBP826 GEL981 GHS936 GIP292 GMD270 GNF324:0 GTQ320 GYD328 HKD344 HNL340 HTG332
HUF348 IDR360 ILS376 INR356 IQD368:3 IRR364 ISK352:0 JMD388 JOD400:3 JPY392:0 KES404 KGS417
KHR116 KMF174:0 KPW408 KRW410:0 KWD414:3 KYD136 KZT398 LAK418 LBP422 LKR144 LRD430 LSL426
LYD434:3 MAD504 MDL498 MGA969 MKD807 MMK104 MNT496 MOP446 MRU929 MUR480 MVR462 MWK454
MXN484 MXV979 MYR458 MZN943 NAD516 NGN566 NIO558 NOK578 NPR524 NZD554 OMR512:3 PAB590
PEN604 PGK598 PHP608 PKR586 PLN985 PYG600:0 QAR634 RON946 RSD941 RUB643 RWF646:0 SAR682
SBD090 SCR690 SDG938 SEK752 SGD702 SHP654 SLE925 SOS706 SRD968 SSP728 STN930 SVC222
SYP760 SZL748 THB764 TJS972 TMT934 TND788:3 TOP776 TRY949 TTD780 TWD901 TZS834 UAH980
UGX800:0 USD840 USN997 UYI940:0 UYU858 UYW927:4 UZS860 VED926 VES928 VND704:0 VUV548:0
WST882 XAF950:0 XCD951 XCG532 XOF952:0 XPF953:0 YER886 ZAR710 ZMW967 ZWG924
`;

/**
 * Codes in the table that are no money a card payment is settled in: ISO's fund codes (BOV, CHE,
 * CHW, CLF, COU, MXV, USN, UYI: units of account, index units, next-day dollars) and Uruguay's
 * UYW index unit. They stay in the table (a terminal may name one, and it must be read), but no
 * gateway takes a payment in them: see `isPaymentCurrency`.
 */
const NOT_FOR_PAYMENTS = new Set(['BOV', 'CHE', 'CHW', 'CLF', 'COU', 'MXV', 'USN', 'UYI', 'UYW']);

export interface CurrencyInfo {
  /** Upper-case ISO 4217 alphabetic code, e.g. "EUR". */
  readonly code: string;
  /** Three-digit ISO 4217 numeric code as a string, e.g. "978". */
  readonly numeric: string;
  /** Digits after the decimal separator: amounts are integers of 10^-exponent units. */
  readonly exponent: number;
  /** False for a fund code or index unit (CLF, USN, …): known, but no payment is made in it. */
  readonly payable: boolean;
}

const byCode = new Map<string, CurrencyInfo>();
const byNumeric = new Map<string, CurrencyInfo>();
for (const entry of TABLE.split(/\s+/).filter(Boolean)) {
  const match = /^([A-Z]{3})(\d{3})(?::(\d))?$/.exec(entry);
  if (!match) throw new Error(`bad currency table entry ${entry}`);
  const info: CurrencyInfo = {
    code: match[1]!,
    numeric: match[2]!,
    exponent: match[3] === undefined ? 2 : Number(match[3]),
    payable: !NOT_FOR_PAYMENTS.has(match[1]!),
  };
  byCode.set(info.code, info);
  byNumeric.set(info.numeric, info);
}

/** Every currency in the table, sorted by code. */
export const CURRENCIES: readonly CurrencyInfo[] = [...byCode.values()].sort((a, b) => a.code.localeCompare(b.code));

/** Looks a currency up by alphabetic code, case-insensitively ("eur" and "EUR" both work). */
export function currencyByCode(code: string): CurrencyInfo | undefined {
  return byCode.get(code.toUpperCase());
}

/** Looks a currency up by its numeric code ("978" or 978). */
export function currencyByNumeric(numeric: string | number): CurrencyInfo | undefined {
  const key = typeof numeric === 'number' ? String(numeric).padStart(3, '0') : numeric;
  return byNumeric.get(key);
}

export function isKnownCurrency(code: string): boolean {
  return byCode.has(code.toUpperCase());
}

/** A currency a payment can be made in: known, and not a fund code or index unit (any case). */
export function isPaymentCurrency(code: string): boolean {
  return byCode.get(code.toUpperCase())?.payable === true;
}

/** The currencies a payment can be made in, sorted by code. */
export const PAYMENT_CURRENCIES: readonly CurrencyInfo[] = CURRENCIES.filter((c) => c.payable);
