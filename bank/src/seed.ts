/**
 * Demo accounts for `npm start`, created once: a customer with funds and the demo shop's
 * merchant account, whose API key is written next to the database for the shop to read.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatAmount } from '@farthing/protocol/amount';
import { hashPassword } from './accounts/passwords.ts';
import { cardExpiryFrom } from './card/issuer.ts';
import { apiKeyPrefix, newToken, tokenHash } from './http/auth.ts';
import type { BankContext } from './http/context.ts';

export const demoCustomer = {
  name: 'demo',
  password: 'demo-password',
  displayName: 'Demo Customer',
};
export const demoMerchant = { name: 'demo-shop', displayName: 'The Farthing Gazette' };
/** EUR 100.00 for the demo customer. */
export const demoFunds = 10_000;
/** The demo customer's card: a fixed Luhn-valid number in the issuer's test range (card/issuer.ts)
 * so the demo can print it, a limit of EUR 500.00, three years from the first seeding. */
export const demoCard = { pan: '4000000000000002', creditLimit: 50_000 } as const;

export async function seedDemo(ctx: BankContext): Promise<void> {
  const { store, config, log } = ctx;
  if ((await store.getAccountByName(demoCustomer.name)) !== undefined) return;
  const now = ctx.now();
  const customer = await store.createAccount(
    {
      kind: 'customer',
      name: demoCustomer.name,
      displayName: demoCustomer.displayName,
      currency: config.currency,
      passwordHash: await hashPassword(demoCustomer.password, config.scryptCost),
      now,
    },
    (account) => account,
  );
  await store.issueFunds({
    accountId: customer.id,
    amount: demoFunds,
    reference: 'demo funds',
    now,
  });
  const card = await store.cards.issueCard(
    {
      accountId: customer.id,
      pan: demoCard.pan,
      expiry: cardExpiryFrom(now),
      currency: config.currency,
      creditLimit: demoCard.creditLimit,
      createdAt: now,
    },
    (issued) => issued,
  );
  const merchant = await store.createAccount(
    {
      kind: 'merchant',
      name: demoMerchant.name,
      displayName: demoMerchant.displayName,
      currency: config.currency,
      now,
    },
    (account) => account,
  );
  const apiKey = newToken(apiKeyPrefix);
  await store.createApiKey({
    keyHash: tokenHash(apiKey),
    accountId: merchant.id,
    label: 'demo shop',
    now,
  });
  if (config.databasePath !== ':memory:') {
    writeFileSync(join(config.dataDir, 'demo-shop.api-key'), `${apiKey}\n`, { mode: 0o600 });
    // For `npm start` to print, like the demo login; the demo card is not a secret.
    writeFileSync(
      join(config.dataDir, 'demo-card.txt'),
      `${card.pan.replace(/(\d{4})(?=\d)/g, '$1 ')}, expires ${card.expiry}, limit ${formatAmount({ currency: card.currency, minor: card.creditLimit })}\n`,
    );
  }
  log.info({ customer: demoCustomer.name, merchant: demoMerchant.name }, 'seeded demo accounts');
}
