/**
 * The hardware purse behind the instrument interface (../instruments/instrument.ts): its
 * payment takes its own steps after the choice (purse-payment.ts: the challenge, the reader in
 * the trusted window, the stored proof) and the core's for the rest. The card keeps the money:
 * nothing in the wallet is spent on settling, and nothing is held to release on a refusal.
 * A payment a stop left reserved without its merchant challenge is failed on resume (resume.ts).
 */
import type { PursePaymentRecord } from '../../db/schema.ts';
import type { Instrument } from '../instrument.ts';
import { payWithPurse, purseCredential, purseMayPay, reservePurse } from './purse-payment.ts';
import { resumePurse } from './resume.ts';

export const purseInstrument: Instrument<PursePaymentRecord> = {
  name: 'purse',
  mayPay: purseMayPay,
  payOwnWay: payWithPurse,
  reserve: reservePurse,
  credential: purseCredential,
  async settle() {
    return () => [];
  },
  async refuse() {},
  async release() {},
  resume: resumePurse,
};
