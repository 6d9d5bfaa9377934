/**
 * What the mint (or merchant) pays to check one spent coin: the denomination's RSA-2048
 * PSS-SHA384 signature over the coin and the coin key's Ed25519 deposit permission
 * (`verifyDepositPermission`), with Node's native verifiers, and the same with the pure-JS
 * noble Ed25519 verifier for comparison.
 *
 * The coins are all distinct and outnumber the native Ed25519 verifier's key cache (1024
 * entries, evicted first-in first-out), so walking them in a cycle misses the cache every
 * time, as a mint seeing fresh coins does. The RSA key is one per denomination and stays
 * cached, as it does in the mint.
 *
 * Coins are signed directly with Node's RSA-PSS (SHA-384, salt 48) instead of a blind round:
 * a blind signature finalizes to exactly such a signature (RFC 9474 §4.4).
 *
 * Run alone: npx tsx -e "import('./bench/deposit-permission.bench.ts').then(m=>m.run()).then(console.log)"
 */

import {
  eur,
  generateDenominationKey,
  issueCoin,
  makeDenomination,
  nodeBlindRsaVerify,
  now,
} from '@farthing/protocol/coin/coin.fixture';
import {
  createDepositPermission,
  type DepositPermission,
  verifyDepositPermission,
} from '@farthing/protocol/coin/deposit-permission';
import { payerCodeHash, randomPayerCode } from '@farthing/protocol/coin/derivation';
import { type Ed25519Verify, nobleEd25519Verify } from '@farthing/protocol/ed25519';
import { nodeEd25519Verify } from '@farthing/protocol/node/ed25519';
import { timeSync } from './measure.ts';
import { roundsMetric } from './stats.ts';

type Metrics = Record<string, { value: number; unit: string }>;

const coinCount = 2048;

export async function run(): Promise<Metrics> {
  const key = generateDenominationKey();
  const denomination = makeDenomination(key, { value: eur(100) });
  const offerHash = crypto.getRandomValues(new Uint8Array(32));
  const payerHash = payerCodeHash(randomPayerCode());
  const permissions: DepositPermission[] = [];
  for (let index = 0; index < coinCount; index++) {
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const { coin, secretKey } = issueCoin(key, denomination, seed, index);
    permissions.push(
      createDepositPermission({
        coin,
        coinSecretKey: secretKey,
        offerHash,
        merchantId: 'demo-shop',
        amount: eur(100),
        payerCodeHash: payerHash,
      }),
    );
  }

  const rsaVerify = nodeBlindRsaVerify();
  function perSecond(ed25519Verify: Ed25519Verify, minMs: number): number {
    let next = 0;
    const msPerCoin = timeSync(
      () => {
        verifyDepositPermission(permissions[next]!, denomination, {
          rsaVerify,
          ed25519Verify,
          now,
        });
        next = (next + 1) % coinCount;
      },
      { minMs, minIterations: coinCount },
    );
    return 1000 / msPerCoin;
  }

  perSecond(nodeEd25519Verify, 300); // warm-up: JIT, the RSA key object
  // Three rounds of 1 s each, taking turns (medians and ranges: stats.ts).
  const native: number[] = [];
  const noble: number[] = [];
  for (let round = 0; round < 3; round++) {
    native.push(perSecond(nodeEd25519Verify, 1_000));
    noble.push(perSecond(nobleEd25519Verify, 1_000));
  }
  return {
    'protocol.deposit_permission.verify_per_s': roundsMetric(native, 'coins/s', 3),
    'protocol.deposit_permission.verify_noble_per_s': roundsMetric(noble, 'coins/s', 3),
  };
}
