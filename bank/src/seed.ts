/**
 * Demo accounts for `npm start`, created once: a customer with funds and the demo shop's
 * merchant account, whose API key is written next to the database for the shop to read.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword } from './accounts/passwords.ts';
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
  }
  log.info({ customer: demoCustomer.name, merchant: demoMerchant.name }, 'seeded demo accounts');
}
