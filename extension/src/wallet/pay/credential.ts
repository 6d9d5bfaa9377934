/**
 * The credential for a reserved payment (DESIGN.md "Priced link", step 4), built from what
 * the reservation stored: e-cash deposit permissions signed with each coin's key (derived
 * again from its withdrawal seed) over this offer, or the PayWord word at the reserved index.
 * Ed25519 is deterministic, so building it twice gives the same bytes.
 */
import { amount } from '@farthing/protocol/amount';
import { createDepositPermission } from '@farthing/protocol/coin/deposit-permission';
import { deriveCoinSecretKey, payerCodeHash } from '@farthing/protocol/coin/derivation';
import { type Credential, encodeCredential } from '@farthing/protocol/credential';
import { offerHash, type SignedOffer } from '@farthing/protocol/offer';
import { createPaywordPayment } from '@farthing/protocol/payword/payment';
import type { WalletContext } from '../context.ts';
import type { PaymentRecord } from '../db/schema.ts';
import { coinOf } from '../ecash/issuance.ts';
import { chainOf } from '../payword/purse.ts';
import { purseCredential } from '../purse/purse-payment.ts';

export async function buildCredential(
  ctx: WalletContext,
  payment: PaymentRecord,
  offer: SignedOffer,
): Promise<string> {
  let credential: Credential;
  if (payment.instrument === 'purse') return purseCredential(ctx, payment, offer);
  if (payment.instrument === 'payword') {
    const record = await ctx.db.get('paywordChains', payment.chainId);
    if (record === undefined) throw new Error(`chain ${payment.chainId} is missing`);
    const { chain, commitment } = await chainOf(ctx, record);
    credential = {
      type: 'payword',
      offer,
      payment: createPaywordPayment({
        chain,
        commitment,
        index: payment.index,
        firstUse: payment.firstUse,
      }),
    };
  } else {
    const hash = offerHash(offer);
    const codeHash = payerCodeHash(payment.payerCode);
    const seeds = new Map<string, Uint8Array>();
    const coins = [];
    for (const coinPub of payment.coins) {
      const record = await ctx.db.get('coins', coinPub);
      if (record === undefined) throw new Error(`coin ${coinPub} is missing`);
      let seed = seeds.get(record.source);
      if (seed === undefined) {
        const source = await ctx.db.get('withdrawals', record.source);
        if (source === undefined) throw new Error(`the seed of coin ${coinPub} is missing`);
        seed = await ctx.sealer.open(source.seed);
        seeds.set(record.source, seed);
      }
      const coinSecretKey = deriveCoinSecretKey(seed, record.index);
      coins.push(
        createDepositPermission({
          coin: coinOf(record),
          coinSecretKey,
          offerHash: hash,
          merchantId: offer.merchantId,
          amount: amount(record.currency, record.minor),
          payerCodeHash: codeHash,
        }),
      );
      coinSecretKey.fill(0);
    }
    for (const seed of seeds.values()) seed.fill(0);
    credential = { type: 'ecash', offer, coins };
  }
  return new TextDecoder().decode(encodeCredential(credential));
}
