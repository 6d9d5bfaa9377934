/**
 * Test fixture (deposit-verifier.test.ts), run as its own process: checks one coin through a
 * test bank's deposit verifier, then either stops the bank (`stop`) or only closes its store
 * and leaves the verifier's thread idle (`idle`). Either way the process must end by itself.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { openCustomer, openMerchant, openTestBank } from '../bank.fixture.ts';
import { permissionFor, withdrawCoins } from './mint.fixture.ts';

const mode = process.argv[2];
const bank = await openTestBank({ coinValues: [1] });
const alice = await openCustomer(bank, 'alice', 100);
const shop = await openMerchant(bank, 'shop');
const [coin] = await withdrawCoins(bank, alice, [1]);
const body = new TextEncoder().encode(JSON.stringify({ coins: [permissionFor(coin!, shop)] }));
const { coins: spent } = await bank.ctx.depositVerifier.check({
  body,
  merchantId: shop.name,
  now: bank.clock.now,
});
process.stdout.write(`checked ${spent.length} coin\n`);
if (mode === 'stop') {
  await bank.close();
} else {
  await bank.store.close();
  rmSync(dirname(bank.ctx.config.databasePath), { recursive: true, force: true });
}
