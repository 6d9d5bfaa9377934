import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amount } from '../amount.ts';
import { nobleEd25519Verify } from '../ed25519.ts';
import { toBase64url } from '../encoding.ts';
import { farthingErrorCode } from '../errors.fixture.ts';
import { nodeEd25519Verify } from '../node/ed25519.ts';
import {
  day,
  eur,
  generateDenominationKey,
  issueCoin,
  makeDenomination,
  nodeBlindRsaVerify,
  now,
} from './coin.fixture.ts';
import { denominationId } from './denomination.ts';
import {
  checkPermissionsPayPrice,
  createDepositPermission,
  type DepositPermission,
  depositPermissions,
  parseDepositPermission,
  type VerifyDepositPermissionParameters,
  verifyDepositPermission,
} from './deposit-permission.ts';
import { payerCodeHash, randomPayerCode } from './derivation.ts';

const key = generateDenominationKey();
const euro = makeDenomination(key, { value: eur(100) });
const seed = new Uint8Array(32).fill(0x5e);
const offerHash = new Uint8Array(32).fill(0x0f);
const payerCode = randomPayerCode();
const checks: VerifyDepositPermissionParameters = {
  rsaVerify: nodeBlindRsaVerify(),
  ed25519Verify: nodeEd25519Verify,
  now,
};

function spend(
  index: number,
  minor = 100,
  change: { merchantId?: string; offerHash?: Uint8Array } = {},
) {
  const { coin, secretKey } = issueCoin(key, euro, seed, index);
  return createDepositPermission({
    coin,
    coinSecretKey: secretKey,
    offerHash: change.offerHash ?? offerHash,
    merchantId: change.merchantId ?? 'demo-shop',
    amount: eur(minor),
    payerCodeHash: payerCodeHash(payerCode),
  });
}

function flip(bytes: Uint8Array, at = 0): Uint8Array {
  const copy = bytes.slice();
  copy[at]! ^= 0x01;
  return copy;
}

describe('deposit permissions', () => {
  it('are signed by the coin key over the documented fields', () => {
    const permission = spend(0);
    const bytes = depositPermissions.signingBytes(permission);
    const tag = Buffer.from('farthing/deposit-permission');
    const expected = Buffer.concat([
      Buffer.of(0, 0, 0, tag.length),
      tag,
      Buffer.of(0, 1),
      offerHash,
      Buffer.of(0, 0, 0, 9),
      Buffer.from('demo-shop'),
      Buffer.from('EUR'),
      Buffer.of(0, 0, 0, 0, 0, 0, 0, 100),
      payerCodeHash(payerCode),
      permission.coin.coinPublicKey,
      denominationId(euro),
    ]);
    expect(bytes).toEqual(new Uint8Array(expected));
    expect(nobleEd25519Verify(permission.signature, bytes, permission.coin.coinPublicKey)).toBe(
      true,
    );
  });

  it('verify with native and pure-JS Ed25519', () => {
    const permission = spend(0);
    expect(() => verifyDepositPermission(permission, euro, checks)).not.toThrow();
    expect(() =>
      verifyDepositPermission(permission, euro, { ...checks, ed25519Verify: nobleEd25519Verify }),
    ).not.toThrow();
  });

  it('may spend part of a coin', () => {
    expect(() => verifyDepositPermission(spend(1, 1), euro, checks)).not.toThrow();
  });

  it('cannot be made with another coin key', () => {
    const { coin } = issueCoin(key, euro, seed, 0);
    const { secretKey } = issueCoin(key, euro, seed, 1);
    expect(
      farthingErrorCode(() =>
        createDepositPermission({
          coin,
          coinSecretKey: secretKey,
          offerHash,
          merchantId: 'demo-shop',
          amount: eur(100),
          payerCodeHash: payerCodeHash(payerCode),
        }),
      ),
    ).toBe('invalid_argument');
  });

  it.each<[string, (p: DepositPermission) => DepositPermission]>([
    ['offerHash', (p) => ({ ...p, offerHash: flip(p.offerHash) })],
    ['merchantId', (p) => ({ ...p, merchantId: 'other-shop' })],
    ['amount', (p) => ({ ...p, amount: eur(99) })],
    ['payerCodeHash', (p) => ({ ...p, payerCodeHash: flip(p.payerCodeHash, 31) })],
    ['signature', (p) => ({ ...p, signature: flip(p.signature, 5) })],
    [
      'coin public key',
      (p) => ({ ...p, coin: { ...p.coin, coinPublicKey: flip(p.coin.coinPublicKey) } }),
    ],
    [
      'message prefix',
      (p) => ({ ...p, coin: { ...p.coin, messagePrefix: flip(p.coin.messagePrefix) } }),
    ],
    [
      'denomination signature',
      (p) => ({
        ...p,
        coin: { ...p.coin, denominationSignature: flip(p.coin.denominationSignature, 200) },
      }),
    ],
    ['coin (swapped for another valid coin)', (p) => ({ ...p, coin: spend(7).coin })],
  ])('fail with bad_signature once the %s changes', (_, change) => {
    expect(farthingErrorCode(() => verifyDepositPermission(change(spend(0)), euro, checks))).toBe(
      'bad_signature',
    );
  });

  it('refuse more than the coin is worth', () => {
    expect(farthingErrorCode(() => verifyDepositPermission(spend(0, 101), euro, checks))).toBe(
      'coin_amount_mismatch',
    );
  });

  it('refuse another currency', () => {
    const { coin, secretKey } = issueCoin(key, euro, seed, 0);
    const permission = createDepositPermission({
      coin,
      coinSecretKey: secretKey,
      offerHash,
      merchantId: 'demo-shop',
      amount: amount('USD', 50),
      payerCodeHash: payerCodeHash(payerCode),
    });
    expect(farthingErrorCode(() => verifyDepositPermission(permission, euro, checks))).toBe(
      'currency_mismatch',
    );
  });

  it('honour the deposit window', () => {
    const permission = spend(0);
    expect(
      farthingErrorCode(() =>
        verifyDepositPermission(permission, euro, { ...checks, now: euro.depositUntil }),
      ),
    ).toBe('denomination_expired');
    expect(
      farthingErrorCode(() =>
        verifyDepositPermission(permission, euro, { ...checks, now: euro.validFrom - 1 }),
      ),
    ).toBe('denomination_not_yet_valid');
    expect(() =>
      verifyDepositPermission(permission, euro, { ...checks, now: euro.withdrawUntil + day }),
    ).not.toThrow();
  });

  it('refuse a denomination other than the one the coin names', () => {
    const other = makeDenomination(key, { value: eur(200) });
    expect(farthingErrorCode(() => verifyDepositPermission(spend(0), other, checks))).toBe(
      'invalid_argument',
    );
  });

  it.each<[string, Partial<VerifyDepositPermissionParameters>]>([
    ['now', { now: -1 }],
    ['rsaVerify', { rsaVerify: undefined as never }],
    ['ed25519Verify', { ed25519Verify: null as never }],
  ])('check the %s parameter', (_, change) => {
    expect(
      farthingErrorCode(() => verifyDepositPermission(spend(0), euro, { ...checks, ...change })),
    ).toBe('invalid_argument');
  });

  it('refuse to run without parameters', () => {
    expect(
      farthingErrorCode(() => verifyDepositPermission(spend(0), euro, undefined as never)),
    ).toBe('invalid_argument');
  });

  it('cannot be made for nothing', () => {
    expect(farthingErrorCode(() => spend(0, 0))).toBe('invalid_argument');
  });
});

describe('checkPermissionsPayPrice', () => {
  const payment = { price: eur(150), offerHash, merchantId: 'demo-shop' };

  it('accepts coins that add up to the price', () => {
    expect(() => checkPermissionsPayPrice([spend(0, 100), spend(1, 50)], payment)).not.toThrow();
  });

  it.each<[string, () => DepositPermission[], string]>([
    ['too little', () => [spend(0, 100), spend(1, 49)], 'coin_amount_mismatch'],
    ['too much', () => [spend(0, 100), spend(1, 51)], 'coin_amount_mismatch'],
    ['no coins', () => [], 'coin_amount_mismatch'],
    ['the same coin twice', () => [spend(0, 75), spend(0, 75)], 'invalid_message'],
    [
      'another offer',
      () => [spend(0, 100), spend(1, 50, { offerHash: new Uint8Array(32) })],
      'offer_mismatch',
    ],
    [
      'another merchant',
      () => [spend(0, 100), spend(1, 50, { merchantId: 'other-shop' })],
      'merchant_mismatch',
    ],
    [
      'different payer codes',
      () => [spend(0, 100), { ...spend(1, 50), payerCodeHash: new Uint8Array(32) }],
      'invalid_message',
    ],
  ])('refuses %s', (_, permissions, code) => {
    expect(farthingErrorCode(() => checkPermissionsPayPrice(permissions(), payment))).toBe(code);
  });

  it('refuses coins in another currency', () => {
    expect(
      farthingErrorCode(() =>
        checkPermissionsPayPrice([spend(0, 100)], { ...payment, price: amount('USD', 100) }),
      ),
    ).toBe('currency_mismatch');
  });

  it('refuses a list that is not an array or is too long', () => {
    expect(farthingErrorCode(() => checkPermissionsPayPrice({} as never, payment))).toBe(
      'invalid_argument',
    );
    const many = Array.from({ length: 257 }, () => spend(0, 1));
    expect(farthingErrorCode(() => checkPermissionsPayPrice(many, payment))).toBe(
      'invalid_argument',
    );
  });
});

describe('deposit permission wire form', () => {
  it('round-trips through JSON and still verifies', () => {
    const permission = spend(0, 75);
    const wire = depositPermissions.signedToWire(permission);
    expect(wire.amount).toBe('EUR 0.75');
    expect(wire.offerHash).toBe(toBase64url(offerHash));
    const parsed = parseDepositPermission(JSON.parse(JSON.stringify(wire)));
    expect(parsed).toEqual(permission);
    expect(() => verifyDepositPermission(parsed, euro, checks)).not.toThrow();
  });

  it('round-trips any amount and merchant', () => {
    const permission = spend(0);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,30}$/),
        (minor, merchantId) => {
          const variant = { ...permission, amount: eur(minor), merchantId };
          expect(parseDepositPermission(depositPermissions.signedToWire(variant))).toEqual(variant);
        },
      ),
    );
  });

  it.each<[string, (w: Record<string, unknown>) => void, string]>([
    [
      'version 2',
      (w) => {
        w.version = 2;
      },
      'unsupported_version',
    ],
    [
      'a zero amount',
      (w) => {
        w.amount = 'EUR 0.00';
      },
      'invalid_message',
    ],
    [
      'a bad coin',
      (w) => {
        w.coin = { ...(w.coin as object), coinPublicKey: 'AAAA' };
      },
      'invalid_encoding',
    ],
    [
      'a short payer code hash',
      (w) => {
        w.payerCodeHash = 'AAAA';
      },
      'invalid_encoding',
    ],
    [
      'an unknown member',
      (w) => {
        w.payerCode = 'AAAA';
      },
      'invalid_message',
    ],
    [
      'a bad merchant id',
      (w) => {
        w.merchantId = '-x';
      },
      'invalid_message',
    ],
  ])('refuses %s', (_, change, code) => {
    const wire: Record<string, unknown> = { ...depositPermissions.signedToWire(spend(0)) };
    change(wire);
    expect(farthingErrorCode(() => parseDepositPermission(wire))).toBe(code);
  });
});
