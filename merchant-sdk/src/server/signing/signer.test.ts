import { nodeEd25519Verify } from '@farthing/protocol/node/ed25519';
import { describe, expect, it } from 'vitest';
import { threadPoolEd25519Signer, workerEd25519Signer } from './signer.ts';

const seed = new Uint8Array(32).fill(0x21);
const messages = Array.from({ length: 50 }, (_, i) => new TextEncoder().encode(`message ${i}`));

describe('the signing thread', () => {
  it('answers each of many signatures asked for at once with its own', async () => {
    const signer = workerEd25519Signer(seed);
    try {
      const signatures = await Promise.all(messages.map((message) => signer.sign(message)));
      signatures.forEach((signature, i) => {
        expect(signature).toHaveLength(64);
        expect(nodeEd25519Verify(signature, messages[i]!, signer.publicKey)).toBe(true);
        expect(nodeEd25519Verify(signature, messages[(i + 1) % 50]!, signer.publicKey)).toBe(false);
      });
    } finally {
      await signer.close();
    }
  });

  it('signs exactly as the thread-pool signer does (Ed25519 is deterministic)', async () => {
    const signer = workerEd25519Signer(seed);
    try {
      expect(await signer.sign(messages[0]!)).toEqual(
        await threadPoolEd25519Signer(seed).sign(messages[0]!),
      );
    } finally {
      await signer.close();
    }
  });

  it('signs the same with OpenSSL when libsodium is not used', async () => {
    process.env.FARTHING_MERCHANT_ED25519 = 'openssl';
    const signer = workerEd25519Signer(seed);
    try {
      const signatures = await Promise.all(messages.slice(0, 5).map((m) => signer.sign(m)));
      const expected = threadPoolEd25519Signer(seed);
      for (const [i, signature] of signatures.entries()) {
        expect(signature).toEqual(await expected.sign(messages[i]!));
      }
    } finally {
      delete process.env.FARTHING_MERCHANT_ED25519;
      await signer.close();
    }
  });

  it('finishes what was asked before closing, and starts again when asked later', async () => {
    const signer = workerEd25519Signer(seed);
    const pending = signer.sign(messages[1]!);
    await signer.close();
    expect(nodeEd25519Verify(await pending, messages[1]!, signer.publicKey)).toBe(true);
    const again = await signer.sign(messages[2]!);
    expect(nodeEd25519Verify(again, messages[2]!, signer.publicKey)).toBe(true);
    await signer.close();
  });

  it('signs at once on the calling thread exactly as on its own thread', async () => {
    const signer = workerEd25519Signer(seed);
    try {
      for (const message of messages.slice(0, 5)) {
        const now = signer.signNow(message);
        expect(now).toHaveLength(64);
        expect(now).toEqual(await signer.sign(message));
      }
    } finally {
      await signer.close();
    }
  });

  it('signs at once the same with OpenSSL when libsodium is not used', async () => {
    process.env.FARTHING_MERCHANT_ED25519 = 'openssl';
    try {
      const signer = workerEd25519Signer(seed);
      expect(signer.signNow(messages[3]!)).toEqual(
        await threadPoolEd25519Signer(seed).sign(messages[3]!),
      );
    } finally {
      delete process.env.FARTHING_MERCHANT_ED25519;
    }
  });

  it('refuses a seed that is not 32 bytes', () => {
    expect(() => workerEd25519Signer(new Uint8Array(31))).toThrow(/offerKey/);
  });
});
