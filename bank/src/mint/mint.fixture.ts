/**
 * The wallet's and merchant's side of the mint, for the mint's tests (not part of the API),
 * built with the protocol's real code: coin secrets derived from a withdrawal seed, RFC 9474
 * blinding with the seed's blinding stream, finalizing the mint's answers, deposit
 * permissions and change requests signed with the coin keys.
 */
import { createHash, randomBytes } from 'node:crypto';
import { amount } from '@farthing/protocol/amount';
import { blind, finalize } from '@farthing/protocol/blind-rsa';
import { type BlindRsaPublicKey, publicKeyFromJwk } from '@farthing/protocol/blind-rsa/public-key';
import {
  type BlindedCoin,
  blindedCoinToWire,
  type ChangeRequestWire,
  changeRequests,
} from '@farthing/protocol/coin/change-request';
import { type Coin, preparedCoinMessage } from '@farthing/protocol/coin/coin';
import {
  type Denomination,
  type DenominationPublicKey,
  denominationCipher,
  denominationId,
} from '@farthing/protocol/coin/denomination';
import {
  createDepositPermission,
  type DepositPermissionWire,
  depositPermissions,
} from '@farthing/protocol/coin/deposit-permission';
import {
  type CoinSecrets,
  deriveCoinBlindingSource,
  deriveCoinSecrets,
  payerCodeHash,
  randomPayerCode,
  randomWithdrawalSeed,
} from '@farthing/protocol/coin/derivation';
import {
  mintKeySets,
  type SignedMintKeySet,
  verifyMintKeySet,
} from '@farthing/protocol/coin/mint-key-set';
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import {
  expectStatus,
  type TestBank,
  type TestCustomer,
  type TestMerchant,
} from '../bank.fixture.ts';
import type { IssuanceView } from './issuance.ts';

/**
 * The bank as the wallet side uses it: its HTTP API, its clock and the mint master key the
 * wallet trusts. A `TestBank` is one; so is a bank over loopback HTTP (bank/test/http-bank.fixture.ts).
 */
export interface MintClient {
  request: TestBank['request'];
  readonly clock: { readonly now: number };
  readonly ctx: { readonly keys: { readonly mintMaster: { readonly publicKey: Uint8Array } } };
}

/** The key set as a wallet gets it: fetched, parsed and checked under the mint master key. */
export async function fetchKeySet(bank: MintClient): Promise<SignedMintKeySet> {
  const keySet = mintKeySets.parse(
    await expectStatus(await bank.request('GET', '/v1/mint/keys'), 200),
  );
  verifyMintKeySet(keySet, { masterPublicKey: bank.ctx.keys.mintMaster.publicKey });
  return keySet;
}

/** The newest key of `minor` that signs at the bank's current time. */
export function withdrawable(
  bank: MintClient,
  keySet: SignedMintKeySet,
  minor: number,
): Denomination {
  const now = bank.clock.now;
  const usable = keySet.denominations
    .filter((d) => d.value.minor === minor && d.validFrom <= now && now < d.withdrawUntil)
    .sort((a, b) => b.validFrom - a.validFrom);
  if (usable[0] === undefined) throw new Error(`no key for ${minor} signs now`);
  return usable[0];
}

const blindKeys = new WeakMap<DenominationPublicKey, BlindRsaPublicKey>();

function blindKey(publicKey: DenominationPublicKey): BlindRsaPublicKey {
  let key = blindKeys.get(publicKey);
  if (key === undefined) {
    key = publicKeyFromJwk({
      kty: 'RSA',
      n: toBase64url(publicKey.n),
      e: toBase64url(publicKey.e),
    });
    blindKeys.set(publicKey, key);
  }
  return key;
}

/** One coin the wallet asked the mint to sign, with what it needs to unblind the answer. */
export interface PlannedCoin {
  readonly denomination: Denomination;
  readonly secrets: CoinSecrets;
  readonly prepared: Uint8Array;
  readonly inv: Uint8Array;
  readonly blinded: BlindedCoin;
}

export interface WalletCoin {
  readonly coin: Coin;
  readonly secretKey: Uint8Array;
  readonly denomination: Denomination;
}

/** Coins `first…` of `seed`, one per denomination, blinded exactly as the wallet would. */
export function planCoins(
  seed: Uint8Array,
  denominations: readonly Denomination[],
  first = 0,
): PlannedCoin[] {
  return denominations.map((denomination, offset) => {
    const index = first + offset;
    const secrets = deriveCoinSecrets(seed, index);
    const prepared = preparedCoinMessage(secrets.messagePrefix, secrets.publicKey);
    const { blindedMsg, inv } = blind(
      denominationCipher,
      blindKey(denomination.publicKey),
      prepared,
      {
        random: deriveCoinBlindingSource(seed, index),
      },
    );
    return {
      denomination,
      secrets,
      prepared,
      inv,
      blinded: { denominationId: denominationId(denomination), blindedMessage: blindedMsg },
    };
  });
}

/** A wallet's issuance id: a hash of its seed, so it can ask for the same issuance again. */
export function issuanceIdOf(seed: Uint8Array, purpose = 'withdrawal'): string {
  return createHash('sha256').update(`farthing-test/${purpose}/`).update(seed).digest('base64url');
}

export function withdrawalBody(issuanceId: string, planned: readonly PlannedCoin[]) {
  return { issuanceId, coins: planned.map((coin) => blindedCoinToWire(coin.blinded)) };
}

/** RFC 9474 §4.4 Finalize for every coin: throws unless each signature verifies. */
export function finalizeCoins(planned: readonly PlannedCoin[], view: IssuanceView): WalletCoin[] {
  return planned.map((coin, index) => {
    const blindSig = fromBase64url(view.signatures[index], 'signature');
    const signature = finalize(
      denominationCipher,
      blindKey(coin.denomination.publicKey),
      coin.prepared,
      blindSig,
      coin.inv,
    );
    return {
      coin: {
        denominationId: coin.blinded.denominationId,
        coinPublicKey: coin.secrets.publicKey,
        messagePrefix: coin.secrets.messagePrefix,
        denominationSignature: signature,
      },
      secretKey: coin.secrets.secretKey,
      denomination: coin.denomination,
    };
  });
}

/** Withdraws one coin per value (minor units) with a fresh seed and returns them finalized. */
export async function withdrawCoins(
  bank: MintClient,
  customer: Pick<TestCustomer, 'token'>,
  values: readonly number[],
): Promise<WalletCoin[]> {
  const keySet = await fetchKeySet(bank);
  const seed = randomWithdrawalSeed();
  const planned = planCoins(
    seed,
    values.map((value) => withdrawable(bank, keySet, value)),
  );
  const view = await expectStatus<IssuanceView>(
    await bank.request('POST', '/v1/mint/withdrawals', {
      token: customer.token,
      body: withdrawalBody(issuanceIdOf(seed), planned),
    }),
    200,
  );
  return finalizeCoins(planned, view);
}

export interface PermissionOptions {
  readonly merchantId?: string;
  /** Minor units; the coin's full value by default. */
  readonly amount?: number;
  readonly offerHash?: Uint8Array;
}

export function permissionFor(
  coin: WalletCoin,
  /** Only its name is signed; over HTTP a test knows no account id. */
  merchant: Pick<TestMerchant, 'name'> & Partial<TestMerchant>,
  options: PermissionOptions = {},
): DepositPermissionWire {
  return depositPermissions.signedToWire(
    createDepositPermission({
      coin: coin.coin,
      coinSecretKey: coin.secretKey,
      offerHash: options.offerHash ?? randomBytes(32),
      merchantId: options.merchantId ?? merchant.name,
      amount: amount(
        coin.denomination.value.currency,
        options.amount ?? coin.denomination.value.minor,
      ),
      payerCodeHash: payerCodeHash(randomPayerCode()),
    }),
  );
}

export function depositRequest(
  bank: MintClient,
  merchant: Pick<TestMerchant, 'apiKey'>,
  coins: readonly DepositPermissionWire[],
  options: { depositId?: string; idempotencyKey?: string } = {},
): Promise<Response> {
  return bank.request('POST', '/v1/mint/deposits', {
    token: merchant.apiKey,
    body: { ...(options.depositId === undefined ? {} : { depositId: options.depositId }), coins },
    ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
  });
}

/** A change request spending `coin` for the planned coins under `issuanceId`. */
export function changeRequestFor(
  coin: WalletCoin,
  issuanceId: string,
  planned: readonly PlannedCoin[],
): ChangeRequestWire {
  return changeRequests.toWire(
    changeRequests.create({
      coin: coin.coin,
      coinSecretKey: coin.secretKey,
      issuanceId,
      coins: planned.map((p) => p.blinded),
    }),
  );
}

/** A copy of base64url text with one bit flipped in byte `at`. */
export function flipBase64url(text: string, at = 0): string {
  const bytes = fromBase64url(text);
  bytes[at]! ^= 0x01;
  return toBase64url(bytes);
}
