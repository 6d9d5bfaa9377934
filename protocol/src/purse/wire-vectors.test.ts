/**
 * The purse's wire form pinned by protocol/test/vectors/purse/wire.json: other implementations
 * (the extension's) must produce and read exactly these bytes. Each structure is re-made with
 * Node's OpenSSL Ed25519 signer (RFC 8032 signatures are deterministic, so both libraries must
 * give the same bytes) and read back with the strict decoders.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAmount } from '../amount.ts';
import { encodeHidMessage, HidMessageAssembler, hidCommands } from '../hid/framing.ts';
import { nodeEd25519Signer, nodeEd25519Verify } from '../node/ed25519.ts';
import { purseChallenges } from './challenge.ts';
import { purseLoadAuthorizations, purseLoadRequests } from './load.ts';
import { purseProofs } from './proof.ts';

const file = new URL('../../test/vectors/purse/wire.json', import.meta.url);
const vectors = JSON.parse(readFileSync(file, 'utf8'));
const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
const hex = (value: Uint8Array) => Buffer.from(value).toString('hex');
const card = nodeEd25519Signer(bytes(vectors.seeds.card));
const issuer = nodeEd25519Signer(bytes(vectors.seeds.issuer));
const merchant = nodeEd25519Signer(bytes(vectors.seeds.merchant));
const { structures } = vectors;

describe('purse wire vectors', () => {
  it('makes the load request and authorization byte for byte', async () => {
    const r = structures.loadRequest.fields;
    const request = await purseLoadRequests.sign({ ...r, amount: parseAmount(r.amount) }, card);
    expect(hex(purseLoadRequests.encode(request))).toBe(structures.loadRequest.encoded);
    expect(purseLoadRequests.decode(bytes(structures.loadRequest.encoded))).toMatchObject({
      cardId: r.cardId,
      loadCounter: r.loadCounter,
    });
    const a = structures.loadAuthorization.fields;
    const authorization = await purseLoadAuthorizations.sign(
      { ...a, amount: parseAmount(a.amount), loadId: bytes(a.loadId) },
      issuer,
    );
    expect(hex(purseLoadAuthorizations.encode(authorization))).toBe(
      structures.loadAuthorization.encoded,
    );
    const read = purseLoadAuthorizations.decode(bytes(structures.loadAuthorization.encoded));
    expect(nodeEd25519Verify(read.signature, read.signingBytes, issuer.publicKey)).toBe(true);
  });

  it('makes the challenge and the proof byte for byte, and their signatures verify natively', async () => {
    const c = structures.challenge.fields;
    const challenge = await purseChallenges.sign(
      { ...c, amount: parseAmount(c.amount), nonce: bytes(c.nonce) },
      merchant,
    );
    expect(hex(purseChallenges.encode(challenge))).toBe(structures.challenge.encoded);
    const readChallenge = purseChallenges.decode(bytes(structures.challenge.encoded));
    expect(readChallenge).toMatchObject({ merchantId: c.merchantId, tno: c.tno });
    const p = structures.proof.fields;
    const proof = await purseProofs.sign(
      { ...p, amount: parseAmount(p.amount), nonce: bytes(p.nonce) },
      card,
    );
    expect(hex(purseProofs.encode(proof))).toBe(structures.proof.encoded);
    const readProof = purseProofs.decode(bytes(structures.proof.encoded));
    expect(readProof).toMatchObject({ cardId: p.cardId, sno: p.sno, tno: p.tno });
    expect(nodeEd25519Verify(readProof.signature, readProof.signingBytes, card.publicKey)).toBe(
      true,
    );
  });

  it.each(
    vectors.hid as {
      channel: number;
      command: 'msg' | 'ping';
      payload: string;
      reports: string[];
    }[],
  )(
    'frames a $command of $payload.length hex digits into the pinned reports',
    ({ channel, command, payload, reports }) => {
      const encoded = encodeHidMessage({
        channel,
        command: hidCommands[command],
        payload: bytes(payload),
      });
      expect(encoded.map(hex)).toEqual(reports);
      const assembler = new HidMessageAssembler({ acceptsChannel: () => true });
      const results = reports.map((report) => assembler.push(bytes(report), 0));
      expect(results.at(-1)).toEqual({
        status: 'complete',
        message: { channel, command: hidCommands[command], payload: bytes(payload) },
      });
    },
  );
});
