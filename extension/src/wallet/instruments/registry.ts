/**
 * The instruments the wallet pays with, in its order of preference: the hardware purse when the
 * user prefers it and the merchant takes it, PayWord for small prices, e-cash coins otherwise
 * (DESIGN.md "Priced link", step 4). Adding an instrument is a folder and a line here.
 */
import type { PaymentInstrument, PaymentRecord } from '../db/schema.ts';
import { ecashInstrument } from './ecash/ecash-payment.ts';
import type { Instrument, PaymentOf } from './instrument.ts';
import { paywordInstrument } from './payword/payword-payment.ts';
import { purseInstrument } from './purse/purse-instrument.ts';

const byName: { readonly [K in PaymentInstrument]: Instrument<PaymentOf<K>> } = {
  purse: purseInstrument,
  payword: paywordInstrument,
  ecash: ecashInstrument,
};

/** Every instrument, the preferred first. */
export const instrumentsByPreference: readonly Instrument[] = [
  purseInstrument,
  paywordInstrument,
  ecashInstrument,
];

/** The instrument that pays `payment`, typed for it. */
export function instrumentOf<P extends PaymentRecord>(payment: P): Instrument<P> {
  // `byName` pairs each name with the instrument of that record type; TypeScript cannot
  // follow the pairing through the union's tag, so it is asserted here, once.
  return byName[payment.instrument] as unknown as Instrument<P>;
}
