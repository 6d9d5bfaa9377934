/**
 * A mint for the e-cash unit tests (not part of the wallet; no production file imports it):
 * what the bank's `/v1/mint` routes answer, done for real on a smaller scale. Denomination keys
 * are RSA-2048 and sign the wallet's blinded coins with RFC 9474 BlindSign, so a coin the
 * wallet unblinds verifies only if its blinding and the key set line up; the key set is signed
 * by an Ed25519 master key the wallet pins; a change request is verified as the mint does
 * (`changeRequests.verify`: the coin's denomination signature and the coin key's signature), and
 * the coin is spent once. Issuances are kept by id: the same request again gets the stored
 * signatures without a second debit, another request under the same id is `issuance_conflict`.
 */
import { blindSign } from '@farthing/protocol/blind-rsa';
import { type BlindedCoinWire, changeRequests } from '@farthing/protocol/coin/change-request';
import {
  bigintBlindRsaVerify,
  type DenominationKey,
  eur,
  generateDenominationKey,
  makeDenomination,
} from '@farthing/protocol/coin/coin.fixture';
import { type Denomination, denominationId } from '@farthing/protocol/coin/denomination';
import { mintKeySets, signMintKeySet } from '@farthing/protocol/coin/mint-key-set';
import { ed25519Signer } from '@farthing/protocol/ed25519';
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import { nodeBlindRsaSigner } from '@farthing/protocol/node/blind-rsa';
import type { BankRecord } from '../../db/schema.ts';
import { bankUrl, type FixtureWallet, now } from '../instrument.fixture.ts';

const master = ed25519Signer(new Uint8Array(32).fill(0x5a));
const rsaVerify = bigintBlindRsaVerify();

/** One RSA key per value, made once per test file (key generation is the slow part). */
export class MintKeys {
  readonly byId = new Map<string, { key: DenominationKey; denomination: Denomination }>();
  wire: unknown;

  static async make(values: readonly number[]): Promise<MintKeys> {
    const keys = new MintKeys();
    for (const minor of values) {
      const key = generateDenominationKey();
      const denomination = makeDenomination(key, { value: eur(minor) });
      keys.byId.set(toBase64url(denominationId(denomination)), { key, denomination });
    }
    const denominations = [...keys.byId.values()].map((k) => k.denomination);
    keys.wire = mintKeySets.signedToWire(
      await signMintKeySet({ issuedAt: now, denominations }, master),
    );
    return keys;
  }
}

const problem = (status: number, code: string) => Response.json({ code, detail: code }, { status });

export class FixtureMint {
  readonly token = 'session-of-alice';
  /** issuanceId → the request's body and the signatures it got. */
  readonly issuances = new Map<string, { body: string; signatures: string[] }>();
  /** coinPub → the change that spent it. */
  readonly spent = new Map<string, string>();
  /** The answer the next POST gets instead of its own (stored issuances are kept as made). */
  tamperNext: 'reverse-signatures' | 'drop-signature' | undefined;
  /** A refusal the next POST gets before the mint looks at it. */
  refuseNext: { status: number; code: string } | undefined;

  constructor(
    readonly keys: MintKeys,
    /** The account's balance in minor units. */
    public balance: number,
  ) {}

  async answer(url: string, init: RequestInit): Promise<Response> {
    const { pathname } = new URL(url);
    const method = init.method ?? 'GET';
    if (method === 'GET' && pathname === '/v1/mint/keys') return Response.json(this.keys.wire);
    const authorized = new Headers(init.headers).get('authorization') === `Bearer ${this.token}`;
    const byId = /^\/v1\/mint\/withdrawals\/([^/]+)$/.exec(pathname);
    if (method === 'GET' && byId !== null) {
      if (!authorized) return problem(401, 'unauthorized');
      const stored = this.issuances.get(byId[1]!);
      if (stored === undefined) return problem(404, 'not_found');
      return Response.json({ issuanceId: byId[1], signatures: stored.signatures });
    }
    if (method !== 'POST') return problem(404, 'not_found');
    const body = String(init.body);
    const refusal = this.refuseNext;
    this.refuseNext = undefined;
    if (refusal !== undefined) return problem(refusal.status, refusal.code);
    let answered: Response;
    if (pathname === '/v1/mint/withdrawals') {
      if (!authorized) return problem(401, 'unauthorized');
      answered = this.withdraw(body);
    } else if (pathname === '/v1/mint/change') {
      answered = this.change(body);
    } else {
      return problem(404, 'not_found');
    }
    return this.tampered(answered);
  }

  private async tampered(response: Response): Promise<Response> {
    const tamper = this.tamperNext;
    this.tamperNext = undefined;
    if (tamper === undefined || !response.ok) return response;
    const answer = (await response.json()) as { issuanceId: string; signatures: string[] };
    const signatures =
      tamper === 'reverse-signatures'
        ? [...answer.signatures].reverse()
        : answer.signatures.slice(1);
    return Response.json({ ...answer, signatures });
  }

  private withdraw(body: string): Response {
    const request = JSON.parse(body) as { issuanceId: string; coins: BlindedCoinWire[] };
    const earlier = this.issuances.get(request.issuanceId);
    if (earlier !== undefined) {
      if (earlier.body !== body) return problem(409, 'issuance_conflict');
      return Response.json({ issuanceId: request.issuanceId, signatures: earlier.signatures });
    }
    const value = this.valueOf(request.coins);
    if (value === undefined) return problem(400, 'invalid_argument');
    if (value > this.balance) return problem(402, 'insufficient_funds');
    this.balance -= value;
    return this.issue(request.issuanceId, body, request.coins);
  }

  private change(body: string): Response {
    let request: ReturnType<typeof changeRequests.parse>;
    try {
      request = changeRequests.parse(JSON.parse(body));
    } catch {
      return problem(400, 'invalid_argument');
    }
    const earlier = this.issuances.get(request.issuanceId);
    if (earlier !== undefined) {
      if (earlier.body !== body) return problem(409, 'issuance_conflict');
      return Response.json({ issuanceId: request.issuanceId, signatures: earlier.signatures });
    }
    const old = this.keys.byId.get(toBase64url(request.coin.denominationId));
    if (old === undefined) return problem(400, 'invalid_argument');
    try {
      changeRequests.verify(request, old.denomination, { rsaVerify, now });
    } catch {
      return problem(400, 'bad_signature');
    }
    const coinPub = toBase64url(request.coin.coinPublicKey);
    if (this.spent.has(coinPub)) return problem(409, 'coin_already_spent');
    const coins = request.coins.map((c) => ({
      denominationId: toBase64url(c.denominationId),
      blindedMessage: toBase64url(c.blindedMessage),
    }));
    if (this.valueOf(coins) !== old.denomination.value.minor) {
      return problem(400, 'invalid_argument');
    }
    this.spent.set(coinPub, request.issuanceId);
    return this.issue(request.issuanceId, body, coins);
  }

  private valueOf(coins: readonly BlindedCoinWire[]): number | undefined {
    let value = 0;
    for (const coin of coins) {
      const known = this.keys.byId.get(coin.denominationId);
      if (known === undefined) return undefined;
      value += known.denomination.value.minor;
    }
    return value;
  }

  private issue(issuanceId: string, body: string, coins: readonly BlindedCoinWire[]): Response {
    const signatures = coins.map((coin) => {
      const { key } = this.keys.byId.get(coin.denominationId)!;
      return toBase64url(
        blindSign(nodeBlindRsaSigner(key.privateKey), fromBase64url(coin.blindedMessage)),
      );
    });
    this.issuances.set(issuanceId, { body, signatures });
    return Response.json({ issuanceId, signatures });
  }
}

/** The bank as the wallet pins it: the mint's master key. */
export const fixtureBank: BankRecord = {
  url: bankUrl,
  name: 'Fixture bank',
  caCertificate: new Uint8Array(0),
  caFingerprint: 'ca',
  mintMasterKey: master.publicKey,
  mintKeyFingerprint: 'mint',
  brokerId: 'bank.example',
  brokerKey: new Uint8Array(32),
  brokerKeyFingerprint: 'broker',
  trustedAt: now,
};

/** Trusts the fixture bank and logs Alice in (before any crash is counted). */
export async function trustAndLogIn(wallet: FixtureWallet, mint: FixtureMint): Promise<void> {
  await wallet.db.put('banks', fixtureBank);
  await wallet.db.put('sessions', {
    bankUrl,
    account: 'alice',
    token: await wallet.sealer.seal(new TextEncoder().encode(mint.token)),
    expiresAt: now + 3_600_000,
    scopes: ['account', 'withdraw'],
  });
}
