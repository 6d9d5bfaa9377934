import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { amount } from '../amount.ts';
import { ed25519Sign } from '../ed25519.ts';
import { catchFarthingError, rejectsWithFarthingError } from '../errors.fixture.ts';
import { nodeEd25519Verify } from '../node/ed25519.ts';
import { paywordCertificates } from './certificate.ts';
import {
  type PaywordCommitment,
  type PaywordCommitmentFields,
  paywordCommitments,
  verifyPaywordCommitment,
} from './commitment.ts';
import {
  brokerSigner,
  certificateFields,
  day,
  eur,
  makeCertificate,
  makeCommittedChain,
  now,
  otherSigner,
  userSigner,
  vendorId,
} from './payword.fixture.ts';

const brokerPublicKey = brokerSigner.publicKey;
const vendor = { vendorId, brokerPublicKey, now };

async function fields(
  overrides: Partial<PaywordCommitmentFields> = {},
): Promise<PaywordCommitmentFields> {
  return {
    vendorId,
    certificate: await makeCertificate(),
    root: new Uint8Array(32).fill(3),
    length: 1000,
    valuePerWord: eur(1),
    createdAt: now,
    expiresAt: now + day,
    ...overrides,
  };
}

/** Signs without the wallet's own checks, as a misbehaving wallet would. */
function signRaw(commitmentFields: PaywordCommitmentFields): PaywordCommitment {
  const secret = new Uint8Array(32).fill(0x05);
  const signature = ed25519Sign(paywordCommitments.signingBytes(commitmentFields), secret);
  return { ...commitmentFields, signature };
}

describe('committing to a chain', () => {
  it('verifies with noble and node:crypto and names the commitment by its hash', async () => {
    const { commitment } = await makeCommittedChain();
    const verified = verifyPaywordCommitment(commitment, vendor);
    expect(verified.commitment).toBe(commitment);
    expect(verified.commitmentId).toEqual(sha256(paywordCommitments.signingBytes(commitment)));
    expect(verified.commitmentId).toEqual(paywordCommitments.id(commitment));
    verifyPaywordCommitment(commitment, { ...vendor, verify: nodeEd25519Verify });
  });

  it('refuses to sign with a key the certificate does not name', async () => {
    expect(
      await rejectsWithFarthingError(paywordCommitments.sign(await fields(), otherSigner)),
    ).toMatchObject({ code: 'invalid_argument', details: { field: 'userSigner.publicKey' } });
  });

  it('refuses to sign a chain worth more than the credit limit', async () => {
    // 10,001 paywords of EUR 0.01 against a limit of EUR 100.00.
    expect(
      await rejectsWithFarthingError(
        paywordCommitments.sign(await fields({ length: 10_001 }), userSigner),
      ),
    ).toMatchObject({ code: 'payword_over_limit' });
    await paywordCommitments.sign(await fields({ length: 10_000 }), userSigner);
  });

  it('refuses paywords in another currency than the credit limit', async () => {
    const valuePerWord = amount('USD', 1);
    expect(
      await rejectsWithFarthingError(
        paywordCommitments.sign(await fields({ valuePerWord }), userSigner),
      ),
    ).toMatchObject({ code: 'currency_mismatch', details: { field: 'valuePerWord' } });
  });

  it('refuses paywords worth nothing', async () => {
    expect(
      await rejectsWithFarthingError(
        paywordCommitments.sign(await fields({ valuePerWord: eur(0) }), userSigner),
      ),
    ).toMatchObject({ code: 'invalid_argument', details: { field: 'valuePerWord' } });
  });

  it('refuses a commitment that outlives its certificate', async () => {
    expect(
      await rejectsWithFarthingError(
        paywordCommitments.sign(await fields({ expiresAt: now + 31 * day }), userSigner),
      ),
    ).toMatchObject({ code: 'payword_certificate_expired', details: { field: 'expiresAt' } });
  });

  it('names the field of malformed arguments', async () => {
    const cases: [Partial<PaywordCommitmentFields>, string][] = [
      [{ root: new Uint8Array(16) }, 'commitment.root'],
      [{ length: 0 }, 'commitment.length'],
      [{ vendorId: 'a shop' }, 'commitment.vendorId'],
      [{ expiresAt: now }, 'commitment.expiresAt'],
      [{ createdAt: 1.5 }, 'commitment.createdAt'],
    ];
    for (const [override, field] of cases) {
      expect(
        await rejectsWithFarthingError(paywordCommitments.sign(await fields(override), userSigner)),
      ).toMatchObject({ code: 'invalid_argument', details: { field } });
    }
    const certificate = { ...(await makeCertificate()), signature: new Uint8Array(63) };
    expect(
      await rejectsWithFarthingError(
        paywordCommitments.sign(await fields({ certificate }), userSigner),
      ),
    ).toMatchObject({
      code: 'invalid_argument',
      details: { field: 'commitment.certificate.signature' },
    });
  });
});

describe('the vendor’s check of a commitment', () => {
  it('rejects a certificate the broker did not sign', async () => {
    const certificate = await paywordCertificates.sign(certificateFields(), otherSigner);
    const commitment = signRaw(await fields({ certificate }));
    expect(catchFarthingError(() => verifyPaywordCommitment(commitment, vendor))).toMatchObject({
      code: 'bad_signature',
      details: { field: 'certificate.signature' },
    });
  });

  it('rejects a commitment signed by someone other than the certified user', async () => {
    const commitment = await paywordCommitments.sign(await fields(), userSigner);
    const forged = {
      ...commitment,
      signature: ed25519Sign(
        paywordCommitments.signingBytes(commitment),
        new Uint8Array(32).fill(0x07),
      ),
    };
    expect(catchFarthingError(() => verifyPaywordCommitment(forged, vendor))).toMatchObject({
      code: 'bad_signature',
      details: { field: 'commitment.signature' },
    });
  });

  const tampered: Record<string, (c: PaywordCommitment) => Promise<PaywordCommitment>> = {
    vendorId: async (c) => ({ ...c, vendorId: 'other.example' }),
    root: async (c) => ({ ...c, root: new Uint8Array(32).fill(4) }),
    length: async (c) => ({ ...c, length: c.length - 1 }),
    valuePerWord: async (c) => ({ ...c, valuePerWord: eur(2) }),
    createdAt: async (c) => ({ ...c, createdAt: c.createdAt - 1 }),
    expiresAt: async (c) => ({ ...c, expiresAt: c.expiresAt + 1 }),
    // Another valid certificate for the same key, e.g. with a higher limit.
    certificate: async (c) => ({ ...c, certificate: await makeCertificate({ serial: 43 }) }),
    signature: async (c) => {
      const signature = c.signature.slice();
      signature[0]! ^= 0x80;
      return { ...c, signature };
    },
  };
  for (const [field, tamper] of Object.entries(tampered)) {
    it(`rejects a commitment whose ${field} was changed after signing`, async () => {
      const commitment = await tamper(await paywordCommitments.sign(await fields(), userSigner));
      expect(catchFarthingError(() => verifyPaywordCommitment(commitment, vendor))).toMatchObject({
        code: 'bad_signature',
      });
    });
  }

  it('rejects an expired certificate', async () => {
    const { commitment } = await makeCommittedChain();
    const later = commitment.certificate.expiresAt;
    expect(
      catchFarthingError(() => verifyPaywordCommitment(commitment, { ...vendor, now: later })),
    ).toMatchObject({ code: 'payword_certificate_expired' });
  });

  it('rejects an expired commitment', async () => {
    const { commitment } = await makeCommittedChain();
    expect(
      catchFarthingError(() =>
        verifyPaywordCommitment(commitment, { ...vendor, now: commitment.expiresAt }),
      ),
    ).toMatchObject({ code: 'payword_commitment_expired' });
  });

  it('lets the broker judge a commitment at its creation time after it expired', async () => {
    const { commitment } = await makeCommittedChain();
    verifyPaywordCommitment(commitment, { ...vendor, now: commitment.createdAt });
  });

  it('rejects a commitment made for another vendor', async () => {
    const { commitment } = await makeCommittedChain();
    expect(
      catchFarthingError(() =>
        verifyPaywordCommitment(commitment, { ...vendor, vendorId: 'news.example' }),
      ),
    ).toMatchObject({ code: 'payword_vendor_mismatch', details: { expected: 'news.example' } });
  });

  it('rejects a signed commitment worth more than the credit limit', async () => {
    const commitment = signRaw(await fields({ length: 10_001 }));
    expect(catchFarthingError(() => verifyPaywordCommitment(commitment, vendor))).toMatchObject({
      code: 'payword_over_limit',
    });
  });

  it('rejects a signed commitment in another currency than the credit limit', async () => {
    const commitment = signRaw(await fields({ valuePerWord: amount('USD', 1) }));
    expect(catchFarthingError(() => verifyPaywordCommitment(commitment, vendor))).toMatchObject({
      code: 'currency_mismatch',
    });
  });

  it('rejects a signed commitment that outlives its certificate', async () => {
    const commitment = signRaw(await fields({ expiresAt: now + 31 * day }));
    expect(catchFarthingError(() => verifyPaywordCommitment(commitment, vendor))).toMatchObject({
      code: 'payword_certificate_expired',
      details: { field: 'expiresAt' },
    });
  });

  it('names the vendor argument when it is malformed', async () => {
    const { commitment } = await makeCommittedChain();
    expect(
      catchFarthingError(() => verifyPaywordCommitment(commitment, { ...vendor, vendorId: '' })),
    ).toMatchObject({ code: 'invalid_argument', details: { field: 'vendorId' } });
  });
});

describe('the commitment wire form', () => {
  it('round-trips through JSON text and still verifies', async () => {
    const { commitment } = await makeCommittedChain();
    const json = JSON.parse(JSON.stringify(paywordCommitments.toJson(commitment)));
    expect(json).toMatchObject({ version: 1, vendorId, length: 100, valuePerWord: 'EUR 0.01' });
    const parsed = paywordCommitments.parse(json);
    expect(parsed).toEqual({ ...commitment, certificate: { ...commitment.certificate } });
    expect(verifyPaywordCommitment(parsed, vendor).commitmentId).toEqual(
      paywordCommitments.id(commitment),
    );
  });

  it('rejects malformed commitments, naming the field', async () => {
    const json = paywordCommitments.toJson((await makeCommittedChain()).commitment);
    const cases: [unknown, string, string][] = [
      [{ ...json, extra: true }, 'invalid_message', 'extra'],
      [{ ...json, length: 0 }, 'invalid_message', 'length'],
      [{ ...json, length: 2 ** 20 + 1 }, 'invalid_message', 'length'],
      [{ ...json, root: 'AAAA' }, 'invalid_encoding', 'root'],
      [{ ...json, valuePerWord: 'EUR -1' }, 'invalid_amount', 'valuePerWord'],
      [
        { ...json, certificate: { ...json.certificate, serial: 'x' } },
        'invalid_message',
        'certificate.serial',
      ],
      [{ ...json, expiresAt: json.createdAt }, 'invalid_message', 'PayWord commitment'],
    ];
    for (const [input, code, field] of cases) {
      expect(catchFarthingError(() => paywordCommitments.parse(input))).toMatchObject({
        code,
        details: { field },
      });
    }
  });
});
