/**
 * Writes set-vectors.json: the project's own SET vectors, recomputed by
 * protocol/src/set/vectors.test.ts. Run from the repository root:
 *
 *   npx tsx protocol/test/vectors/set/generate.ts
 *
 * Everything is deterministic: fixed Ed25519 keys (RFC 8032 signatures are deterministic),
 * fixed OI and PI, and for each of the SET message types a body whose every field takes a
 * fixed value of its kind. Re-running it must give the same file; a change to the canonical
 * encoding shows up as a diff here and a failing test.
 */
import { writeFileSync } from 'node:fs';
import { amount } from '../../../src/amount.ts';
import { ed25519Signer } from '../../../src/ed25519.ts';
import { toBase64url } from '../../../src/encoding.ts';
import { cardAccountDigest } from '../../../src/set/card-account.ts';
import {
  type SetMessageBody,
  type SetMessageType,
  setMessageFields,
  setMessageSigningBytes,
  setMessageToWire,
  setMessageTypes,
  signSetMessage,
} from '../../../src/set/messages.ts';
import {
  dualSignatureBytes,
  orderInformationDigest,
  orderInformationToWire,
  paymentInformationDigest,
  paymentInformationToWire,
  signDualSignature,
} from '../../../src/set/purchase.ts';
import { testCard } from '../../../src/set/set.fixture.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const signer = ed25519Signer(new Uint8Array(32).fill(0x11));
const fill = (length: number, byte: number) => new Uint8Array(length).fill(byte);

const sampleOf = {
  id: (field: string) => `${field}-1`,
  status: () => 'authorized',
  amount: () => amount('EUR', 1250),
  time: () => Date.UTC(2026, 0, 1),
  flag: () => true,
  digest: () => fill(32, 0xd1),
  nonce: () => fill(32, 0x0e),
  key: () => signer.publicKey,
  dualSignature: () => fill(64, 0xd5),
  certificates: () => [Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01)],
  envelope: () => ({ enc: fill(32, 0xe0), ciphertext: fill(24, 0xc7) }),
} as const;

function sampleBody<T extends SetMessageType>(type: T): SetMessageBody<T> {
  const body: Record<string, unknown> = {};
  for (const [field, kind] of Object.entries(setMessageFields[type])) {
    body[field] = sampleOf[kind as keyof typeof sampleOf](field);
  }
  return body as SetMessageBody<T>;
}

const gatewayFingerprint = fill(32, 0x6f);
const oi = {
  transactionId: 'tx-0001',
  merchantId: 'demo-shop',
  gatewayFingerprint,
  amount: amount('EUR', 1250),
  orderDigest: fill(32, 0x0d),
  nonce: fill(32, 0x01),
};
const pi = {
  transactionId: oi.transactionId,
  merchantId: oi.merchantId,
  gatewayFingerprint,
  amount: oi.amount,
  ...testCard,
  nonce: fill(32, 0x02),
};
const oiDigest = orderInformationDigest(oi);
const piDigest = paymentInformationDigest(pi);

const messages = [];
for (const type of setMessageTypes) {
  const message = await signSetMessage(type, sampleBody(type), signer);
  messages.push({
    type,
    signingBytes: hex(setMessageSigningBytes(type, message.body)),
    wire: setMessageToWire(message),
  });
}

const document = {
  source:
    'Farthing SET vectors, produced by protocol/test/vectors/set/generate.ts (npx tsx protocol/test/vectors/set/generate.ts) from fixed keys and values; recomputed by protocol/src/set/vectors.test.ts.',
  signerPublicKey: toBase64url(signer.publicKey),
  cardAccount: {
    pan: testCard.pan,
    expiry: testCard.expiry,
    cardSecret: toBase64url(testCard.cardSecret),
    digest: hex(cardAccountDigest(testCard)),
  },
  dualSignature: {
    oi: orderInformationToWire(oi),
    pi: paymentInformationToWire(pi),
    oiDigest: hex(oiDigest),
    piDigest: hex(piDigest),
    signedBytes: hex(dualSignatureBytes(piDigest, oiDigest)),
    signature: hex(await signDualSignature(signer, piDigest, oiDigest)),
  },
  messages,
};
writeFileSync(
  new URL('./set-vectors.json', import.meta.url),
  `${JSON.stringify(document, null, 1)}\n`,
);
