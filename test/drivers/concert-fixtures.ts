import type { ConcertRequest } from '../../drivers/protocols/concert/codec';

/** The reference's worked request (12.50 EUR, card, full answer, E+), with what a test changes. */
export function concertRequest(overrides: Partial<ConcertRequest> = {}): ConcertRequest {
  return {
    variant: 'E+',
    posNumber: '01',
    amount: 1250,
    fullAnswer: true,
    paymentMode: '1',
    transactionType: '0',
    currencyNumeric: '978',
    privateData: '',
    delay: 'A010',
    authorization: 'B010',
    ...overrides,
  };
}
