import { amount } from '@farthing/protocol/amount';
import { ed25519Signer } from '@farthing/protocol/ed25519';
import { paywordCertificates } from '@farthing/protocol/payword/certificate';
import { createPaywordChain } from '@farthing/protocol/payword/chain';
import {
  paywordCommitments,
  type VerifiedPaywordCommitment,
  verifyPaywordCommitment,
} from '@farthing/protocol/payword/commitment';
import { describe, expect, it } from 'vitest';
import { VerifiedCommitmentCache } from './commitment-cache.ts';

async function verifiedCommitment(vendorId: string): Promise<VerifiedPaywordCommitment> {
  const broker = ed25519Signer(new Uint8Array(32).fill(1));
  const user = ed25519Signer(new Uint8Array(32).fill(2));
  const certificate = await paywordCertificates.sign(
    {
      brokerId: 'farthing-bank',
      userId: 'alice',
      userPublicKey: user.publicKey,
      serial: 1,
      issuedAt: 0,
      expiresAt: 1_000,
      creditLimit: amount('EUR', 100),
    },
    broker,
  );
  const chain = createPaywordChain(new Uint8Array(32).fill(3), 10);
  const commitment = await paywordCommitments.sign(
    {
      vendorId,
      certificate,
      root: chain.root,
      length: 10,
      valuePerWord: amount('EUR', 1),
      createdAt: 0,
      expiresAt: 1_000,
    },
    user,
  );
  return verifyPaywordCommitment(commitment, {
    vendorId,
    brokerPublicKey: broker.publicKey,
    now: 0,
  });
}

describe('VerifiedCommitmentCache', () => {
  it('drops the least recently used commitment when full', async () => {
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map(verifiedCommitment));
    const cache = new VerifiedCommitmentCache(2);
    cache.set('a', a!);
    cache.set('b', b!);
    expect(cache.get('a')).toBe(a); // a is now the most recent
    cache.set('c', c!);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(a);
    expect(cache.get('c')).toBe(c);
    expect(cache.size).toBe(2);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new VerifiedCommitmentCache(0)).toThrow(RangeError);
  });
});
