/**
 * `npm run shop`: the Farthing Gazette, next to a running bank that seeded the demo merchant
 * (`npm start` starts both). Configuration: see `config.ts` and the README.
 */

import { operatorUser } from './app.ts';
import { loadShopConfig, ShopConfigError } from './config.ts';
import { startShop } from './server.ts';

let config: ReturnType<typeof loadShopConfig>;
try {
  config = loadShopConfig();
} catch (error) {
  if (!(error instanceof ShopConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}

const shop = await startShop(config).catch((error: unknown) => {
  process.stderr.write(
    `The demo shop could not start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
const password =
  config.operatorPassword === undefined
    ? `password "${shop.operatorPassword}"`
    : 'password from FARTHING_SHOP_OPERATOR_PASSWORD';
process.stdout.write(
  `The Farthing Gazette at ${shop.url}\n` +
    `Merchant dashboard: ${shop.url}/dashboard (user "${operatorUser}", ${password})\n`,
);

let stopping = false;
const shutdown = () => {
  if (stopping) return;
  stopping = true;
  shop.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`shutdown failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
