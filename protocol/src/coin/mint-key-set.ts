/**
 * The mint's key set (DESIGN.md "E-cash (Chaum, online)"): the denominations it currently
 * signs and accepts, signed by its Ed25519 master key, which wallets and merchants trust out
 * of band. A key set whose signature checks under the trusted master key is the only source
 * of denomination keys a wallet or merchant should use.
 *
 * Signing bytes: tag `farthing/mint-key-set`, version 1, then the master public key, the
 * issue time and the list of denomination ids (each the hash of a full descriptor).
 *
 * Wire JSON (`MintKeySetWire`), version 1:
 *
 *   { "version": 1, "masterPublicKey": "<32 bytes b64u>", "issuedAt": 1700000000000,
 *     "denominations": [ <DenominationWire>, … ], "signature": "<64 bytes b64u>" }
 */
import * as v from 'valibot';
import type { Ed25519Signer, Ed25519Verify } from '../ed25519.ts';
import { equalBytes, toBase64url } from '../encoding.ts';
import { assertBytes, FarthingError, invalidArgument } from '../errors.ts';
import {
  bytesField,
  type MessageField,
  type Signed,
  type SignedWire,
  signedMessage,
  timestampField,
  type Unsigned,
} from '../message-fields.ts';
import {
  assertDenomination,
  checkDenominationUsable,
  type Denomination,
  type DenominationUse,
  type DenominationWire,
  denominationId,
  denominationIdLength,
  denominationSchema,
  denominationToWire,
} from './denomination.ts';

export const maxDenominationsPerKeySet = 1024;

const noneTwice = (ids: readonly Uint8Array[]) => new Set(ids.map(toBase64url)).size === ids.length;

/**
 * The denominations: 1 to 1024, none twice. Whole descriptors on the wire; the signature
 * covers their ids (each the hash of a full descriptor, memoised in denomination.ts).
 */
const denominationsField: MessageField<readonly Denomination[], DenominationWire[]> = {
  assert(value, field) {
    if (!Array.isArray(value) || value.length === 0 || value.length > maxDenominationsPerKeySet) {
      throw invalidArgument(field, `must list 1 to ${maxDenominationsPerKeySet} denominations`);
    }
    for (const [index, denomination] of value.entries()) {
      assertDenomination(denomination, `${field}.${index}`);
    }
    if (!noneTwice(value.map(denominationId))) {
      throw invalidArgument(field, 'must not list a denomination twice');
    }
  },
  write: (writer, denominations, field) =>
    writer.list(denominations, field, (w, denomination, index) =>
      w.fixed(denominationId(denomination), denominationIdLength, `${field}.${index}`),
    ),
  schema: v.pipe(
    v.array(denominationSchema),
    v.minLength(1, 'expected at least one denomination'),
    v.maxLength(maxDenominationsPerKeySet),
    v.check((list) => noneTwice(list.map(denominationId)), 'expected no denomination twice'),
  ),
  toWire: (denominations) => denominations.map(denominationToWire),
};

/**
 * Mint key sets, declared once: the type (tag, version) and the fields in signing and wire
 * order. `signingBytes` gives the bytes the master key signs; `schema`, `signedToWire` and
 * `parse` are the wire form (`parse` checks no signature: `verifyMintKeySet` does).
 */
export const mintKeySets = signedMessage(
  'mintKeySet',
  1,
  {
    /** The mint's Ed25519 master key. */
    masterPublicKey: bytesField(32),
    issuedAt: timestampField,
    /** At least one; no denomination twice. */
    denominations: denominationsField,
  },
  { argument: 'keySet' },
);

export type MintKeySet = Unsigned<typeof mintKeySets>;
export type SignedMintKeySet = Signed<typeof mintKeySets>;

export type SignMintKeySetParameters = Omit<MintKeySet, 'version' | 'masterPublicKey'>;

/** Signs a key set with the master key; `masterPublicKey` is the signer's. */
export async function signMintKeySet(
  parameters: SignMintKeySetParameters,
  signer: Ed25519Signer,
): Promise<SignedMintKeySet> {
  return mintKeySets.sign(
    mintKeySets.create({ ...parameters, masterPublicKey: signer.publicKey }),
    signer,
  );
}

export interface VerifyMintKeySetParameters {
  /** The master key the caller trusts for this mint: configuration, never the key set. */
  readonly masterPublicKey: Uint8Array;
  readonly ed25519Verify?: Ed25519Verify;
}

/** Throws `bad_signature` unless the trusted master key signed this key set. */
export function verifyMintKeySet(
  keySet: SignedMintKeySet,
  parameters: VerifyMintKeySetParameters,
): void {
  const { masterPublicKey, ed25519Verify }: Partial<VerifyMintKeySetParameters> = parameters ?? {};
  assertBytes(masterPublicKey, 'masterPublicKey', 32);
  const bytes = mintKeySets.signingBytes(keySet);
  // A set naming another master key is not the trusted mint's, whoever signed it.
  const trusted = equalBytes(keySet.masterPublicKey, masterPublicKey);
  mintKeySets.type.checkSignature({
    verify: trusted ? ed25519Verify : () => false,
    signature: keySet?.signature,
    bytes,
    publicKey: masterPublicKey,
    by: 'the trusted mint',
  });
}

/**
 * The denomination with this id, or `unknown_denomination`. A linear scan; ids are memoised
 * per descriptor (denomination.ts), so each step is a comparison once the set has been seen.
 */
export function findDenomination(keySet: MintKeySet, id: Uint8Array): Denomination {
  assertBytes(id, 'denominationId', denominationIdLength);
  if (typeof keySet !== 'object' || keySet === null || !Array.isArray(keySet.denominations)) {
    throw invalidArgument('keySet', 'must be a key set');
  }
  for (const denomination of keySet.denominations) {
    if (equalBytes(denominationId(denomination), id)) return denomination;
  }
  throw new FarthingError('unknown_denomination', 'the mint does not know this coin key', {
    details: { field: 'denominationId', denominationId: toBase64url(id) },
  });
}

/** `findDenomination`, then `checkDenominationUsable`. */
export function findUsableDenomination(
  keySet: MintKeySet,
  id: Uint8Array,
  use: DenominationUse,
  now: number,
): Denomination {
  const denomination = findDenomination(keySet, id);
  checkDenominationUsable(denomination, use, now);
  return denomination;
}

// --- wire

export type MintKeySetWire = SignedWire<typeof mintKeySets>;
