/**
 * What both sites read from their environment: the bank, the merchant account, the port. The
 * site registers its own offer key with the bank at start, as a new merchant would.
 */
import { randomBytes } from 'node:crypto';
import { registerWithBank } from '@farthing/merchant-sdk/server';
import { MemoryMerchantStore } from '@farthing/merchant-sdk/store/memory';

export async function siteSettings() {
  const bankUrl = process.env.FARTHING_BANK_URL;
  const apiKey = process.env.FARTHING_API_KEY;
  const merchantId = process.env.FARTHING_MERCHANT_ID;
  // The display name the bank knows the account by: the certificate must carry it.
  const name = process.env.FARTHING_MERCHANT_NAME;
  const port = Number(process.env.PORT);
  const origin = `http://127.0.0.1:${port}`;
  const offerKey = randomBytes(32);
  const { pem } = await registerWithBank({
    bankUrl,
    apiKey,
    merchantId,
    name,
    origins: [origin],
    offerKey,
  });
  return {
    port,
    origin,
    config: {
      merchantId,
      name,
      origins: [origin],
      offerKey,
      certificateChain: pem,
      bank: { url: bankUrl, apiKey },
      prices: [
        { path: '/articles/:slug', price: 'EUR 0.05', title: 'Article' },
        { path: '/downloads/:file', price: 'EUR 0.20' },
      ],
      // Kept in memory: this site installs no SQLite.
      store: new MemoryMerchantStore(),
    },
  };
}
