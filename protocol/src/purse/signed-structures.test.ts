import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeEd25519Verify } from '../node/ed25519.ts';
import {
  ed25519CaSigner,
  makeCa,
  makeMerchantCertificate,
  otherCaSecretKey,
} from '../x509/x509.fixture.ts';
import { purseChallenges, verifyPurseChallenge } from './challenge.ts';
import type { PurseFieldTable } from './fields.ts';
import { purseLoadAuthorizations, purseLoadRequests } from './load.ts';
import { purseProofs } from './proof.ts';
import {
  cardId,
  cardSigner,
  challengeFor,
  eur,
  issuerLoadSigner,
  merchantSigner,
  now,
  purseFixtures,
} from './purse.fixture.ts';
import { encodeSigned, type PurseMessage, type SignedPurseValue } from './signed.ts';

const proofFields = {
  cardId,
  sno: 7,
  merchantId: 'demo-shop',
  tno: 42,
  amount: eur(150),
  nonce: new Uint8Array(32).fill(9),
};

describe('purse signed structures', () => {
  it('round-trips a proof and verifies it with Node native Ed25519 (noble signed it)', async () => {
    const proof = await purseProofs.sign(proofFields, cardSigner);
    const decoded = purseProofs.decode(purseProofs.encode(proof));
    expect(decoded).toEqual(proof);
    purseProofs.verify(decoded, cardSigner.publicKey, nodeEd25519Verify);
  });

  it('refuses a proof with any byte changed (property)', async () => {
    const encoded = purseProofs.encode(await purseProofs.sign(proofFields, cardSigner));
    fc.assert(
      fc.property(fc.nat(encoded.length - 1), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const corrupted = encoded.slice();
        corrupted[at]! ^= flip;
        expect(() =>
          purseProofs.verify(purseProofs.decode(corrupted), cardSigner.publicKey),
        ).toThrow(
          expect.objectContaining({
            code: expect.stringMatching(
              /^(bad_signature|invalid_encoding|unsupported_version|invalid_amount|unknown_currency)$/,
            ),
          }),
        );
      }),
    );
  });

  it('keeps one structure from parsing as another', async () => {
    const proof = purseProofs.encode(await purseProofs.sign(proofFields, cardSigner));
    expect(() => purseChallenges.decode(proof)).toThrow(
      expect.objectContaining({ code: 'invalid_encoding' }),
    );
    expect(() => purseLoadAuthorizations.decode(proof)).toThrow(/not a loadAuthorization/);
  });

  it('names each structure in its errors after its tag: its fields, then its signature in words', async () => {
    const someoneElse = issuerLoadSigner.publicKey;
    const expectNames = <F extends PurseFieldTable>(
      messages: PurseMessage<F>,
      signed: SignedPurseValue<F>,
      field: string,
      what: string,
    ) => {
      expect(() =>
        messages.decode(encodeSigned({ ...signed, signingBytes: new Uint8Array(8) })),
      ).toThrow(
        expect.objectContaining({ code: 'invalid_encoding', details: { field: `${field}.tag` } }),
      );
      expect(() => messages.verify(signed, someoneElse)).toThrow(
        expect.objectContaining({
          code: 'bad_signature',
          shortMessage: `the ${what} signature does not verify`,
          details: { field: `${what}.signature` },
        }),
      );
    };
    const request = { cardId, loadCounter: 3, amount: eur(2000) };
    expectNames(
      purseLoadRequests,
      await purseLoadRequests.sign(request, cardSigner),
      'loadRequest',
      'load request',
    );
    expectNames(
      purseLoadAuthorizations,
      await purseLoadAuthorizations.sign(
        { ...request, loadId: new Uint8Array(16), issuedAt: now },
        cardSigner,
      ),
      'loadAuthorization',
      'load authorization',
    );
    expectNames(purseProofs, await purseProofs.sign(proofFields, cardSigner), 'proof', 'proof');
    expectNames(purseChallenges, await challengeFor(250), 'challenge', 'challenge');
  });

  it('round-trips a load request and a load authorization with their signers', async () => {
    const request = await purseLoadRequests.sign(
      { cardId, loadCounter: 3, amount: eur(2000) },
      cardSigner,
    );
    const readRequest = purseLoadRequests.decode(purseLoadRequests.encode(request));
    purseLoadRequests.verify(readRequest, cardSigner.publicKey, nodeEd25519Verify);
    expect(() => purseLoadRequests.verify(readRequest, issuerLoadSigner.publicKey)).toThrow(
      expect.objectContaining({ code: 'bad_signature' }),
    );
    const authorization = await purseLoadAuthorizations.sign(
      {
        cardId,
        loadCounter: 3,
        amount: eur(2000),
        loadId: new Uint8Array(16).fill(1),
        issuedAt: now,
      },
      issuerLoadSigner,
    );
    const read = purseLoadAuthorizations.decode(purseLoadAuthorizations.encode(authorization));
    expect(read).toEqual(authorization);
    purseLoadAuthorizations.verify(read, issuerLoadSigner.publicKey);
  });

  it('refuses a zero load', async () => {
    await expect(
      purseLoadRequests.sign({ cardId, loadCounter: 0, amount: eur(0) }, cardSigner),
    ).rejects.toThrow(expect.objectContaining({ code: 'invalid_amount' }));
  });

  it('authenticates the merchant of a challenge from its certificate and the bank root', async () => {
    const { ca, merchantCertificate } = await purseFixtures();
    const challenge = purseChallenges.decode(purseChallenges.encode(await challengeFor(250)));
    const merchant = verifyPurseChallenge(challenge, {
      merchantChain: [merchantCertificate],
      trustedRoots: [ca.certificate],
      now,
    });
    expect(merchant).toMatchObject({ merchantId: 'demo-shop', name: 'Demo Shop' });
    expect(merchant.offerPublicKey).toEqual(merchantSigner.publicKey);
  });

  it('refuses a challenge naming another merchant, under another bank, or signed by another key', async () => {
    const { ca, merchantCertificate } = await purseFixtures();
    const challenge = await challengeFor(250);
    const renamed = await purseChallenges.sign(
      { ...challenge, merchantId: 'other-shop' },
      merchantSigner,
    );
    expect(() =>
      verifyPurseChallenge(renamed, {
        merchantChain: [merchantCertificate],
        trustedRoots: [ca.certificate],
        now,
      }),
    ).toThrow(expect.objectContaining({ code: 'merchant_mismatch' }));
    const other = await makeCa({ name: 'Other Bank', signer: ed25519CaSigner(otherCaSecretKey) });
    expect(() =>
      verifyPurseChallenge(challenge, {
        merchantChain: [merchantCertificate],
        trustedRoots: [other.certificate],
        now,
      }),
    ).toThrow(expect.objectContaining({ code: 'certificate_untrusted' }));
    const forged = await purseChallenges.sign(challenge, cardSigner);
    expect(() =>
      verifyPurseChallenge(forged, {
        merchantChain: [merchantCertificate],
        trustedRoots: [ca.certificate],
        now,
      }),
    ).toThrow(expect.objectContaining({ code: 'bad_signature' }));
    const otherMerchant = await makeMerchantCertificate(ca, {
      merchantId: 'demo-shop',
      offerPublicKey: cardSigner.publicKey,
    });
    expect(() =>
      verifyPurseChallenge(challenge, {
        merchantChain: [otherMerchant],
        trustedRoots: [ca.certificate],
        now,
      }),
    ).toThrow(expect.objectContaining({ code: 'bad_signature' }));
  });
});
