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
import { assertBytes, assertInteger, FarthingError, invalidArgument } from '../errors.ts';
import { bytesSchema, parseMessage, timestampSchema } from '../schema.ts';
import { type SignedMessageType, signedMessageType } from '../signed-message.ts';
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

/** The signed message type (tag, version, name), declared once. */
export const mintKeySetType: SignedMessageType<1> = signedMessageType('mintKeySet', 1);
export const mintKeySetVersion = mintKeySetType.version;
export const maxDenominationsPerKeySet = 1024;

export interface MintKeySet {
  readonly version: typeof mintKeySetVersion;
  /** The mint's Ed25519 master key. */
  readonly masterPublicKey: Uint8Array;
  readonly issuedAt: number;
  /** At least one; no denomination twice. */
  readonly denominations: readonly Denomination[];
}

export interface SignedMintKeySet extends MintKeySet {
  readonly signature: Uint8Array;
}

/** Checks the key set and returns its denominations' ids, in order. */
function keySetIds(keySet: MintKeySet): Uint8Array[] {
  if (typeof keySet !== 'object' || keySet === null)
    throw invalidArgument('keySet', 'must be an object');
  mintKeySetType.assertVersion(keySet.version);
  assertBytes(keySet.masterPublicKey, 'masterPublicKey', 32);
  assertInteger(keySet.issuedAt, 'issuedAt');
  const list = keySet.denominations;
  if (!Array.isArray(list) || list.length === 0 || list.length > maxDenominationsPerKeySet) {
    throw invalidArgument(
      'denominations',
      `must list 1 to ${maxDenominationsPerKeySet} denominations`,
    );
  }
  const ids = list.map((denomination, index) => {
    assertDenomination(denomination, `denominations.${index}`);
    return denominationId(denomination);
  });
  if (new Set(ids.map(toBase64url)).size !== ids.length) {
    throw invalidArgument('denominations', 'must not list a denomination twice');
  }
  return ids;
}

export function mintKeySetSigningBytes(keySet: MintKeySet): Uint8Array {
  const ids = keySetIds(keySet);
  return mintKeySetType.signingBytes((w) =>
    w
      .fixed(keySet.masterPublicKey, 32, 'masterPublicKey')
      .u64(keySet.issuedAt, 'issuedAt')
      .list(ids, 'denominations', (writer, id, index) =>
        writer.fixed(id, denominationIdLength, `denominations.${index}`),
      ),
  );
}

export type SignMintKeySetParameters = Omit<MintKeySet, 'version' | 'masterPublicKey'>;

/** Signs a key set with the master key; `masterPublicKey` is the signer's. */
export async function signMintKeySet(
  parameters: SignMintKeySetParameters,
  signer: Ed25519Signer,
): Promise<SignedMintKeySet> {
  const keySet: MintKeySet = {
    version: mintKeySetVersion,
    masterPublicKey: signer.publicKey,
    issuedAt: parameters.issuedAt,
    denominations: parameters.denominations,
  };
  const signature = await mintKeySetType.sign(mintKeySetSigningBytes(keySet), signer);
  return Object.freeze({ ...keySet, signature });
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
  const bytes = mintKeySetSigningBytes(keySet);
  // A set naming another master key is not the trusted mint's, whoever signed it.
  const trusted = equalBytes(keySet.masterPublicKey, masterPublicKey);
  mintKeySetType.checkSignature({
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

export interface MintKeySetWire {
  readonly version: number;
  readonly masterPublicKey: string;
  readonly issuedAt: number;
  readonly denominations: readonly DenominationWire[];
  readonly signature: string;
}

export const mintKeySetSchema = v.strictObject({
  version: mintKeySetType.versionSchema,
  masterPublicKey: bytesSchema(32),
  issuedAt: timestampSchema,
  denominations: v.pipe(
    v.array(denominationSchema),
    v.minLength(1, 'expected at least one denomination'),
    v.maxLength(maxDenominationsPerKeySet),
    v.check(
      (list) => new Set(list.map((d) => toBase64url(denominationId(d)))).size === list.length,
      'expected no denomination twice',
    ),
  ),
  signature: bytesSchema(64),
});

export function mintKeySetToWire(keySet: SignedMintKeySet): MintKeySetWire {
  keySetIds(keySet);
  assertBytes(keySet.signature, 'signature', 64);
  return {
    version: keySet.version,
    masterPublicKey: toBase64url(keySet.masterPublicKey),
    issuedAt: keySet.issuedAt,
    denominations: keySet.denominations.map(denominationToWire),
    signature: toBase64url(keySet.signature),
  };
}

/** Validates a received key set; the signature is checked by `verifyMintKeySet`. */
export function parseMintKeySet(input: unknown): SignedMintKeySet {
  return Object.freeze(parseMessage(mintKeySetSchema, input, 'mint key set'));
}
