import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { WalletContext } from '../context.ts';
import { openWalletDb } from '../db/schema.ts';
import { openSealer } from '../keys.ts';
import {
  claimSeed,
  confirmRecoveryPhrase,
  createRecoveryPhrase,
  markRecovered,
  openMasterSecret,
  recoveryStatus,
  restoreFromPhrase,
} from './master.ts';
import { deriveSeed } from './seeds.ts';

async function context(): Promise<WalletContext> {
  const db = await openWalletDb(`recovery-${Math.random()}`);
  return { db, sealer: await openSealer(db), platform: { now: () => 1_000, fetch } };
}

describe('the master secret in IndexedDB', () => {
  it('shows one phrase until words of it are typed back, then never again', async () => {
    const ctx = await context();
    expect(await recoveryStatus(ctx)).toEqual({ status: 'none' });
    const shown = await createRecoveryPhrase(ctx);
    expect(shown.words).toHaveLength(24);
    expect((await createRecoveryPhrase(ctx)).words).toEqual(shown.words);
    expect((await recoveryStatus(ctx)).status).toBe('unconfirmed');
    const wrong = shown.check.map((position) => ({
      position,
      word:
        shown.words[(position + 1) % 24] === shown.words[position]
          ? 'zoo'
          : shown.words[(position + 1) % 24]!,
    }));
    await expect(confirmRecoveryPhrase(ctx, wrong)).rejects.toMatchObject({
      code: 'phrase_mismatch',
    });
    expect((await recoveryStatus(ctx)).status).toBe('unconfirmed');
    const right = shown.check.map((position) => ({ position, word: shown.words[position]! }));
    expect(await confirmRecoveryPhrase(ctx, right)).toMatchObject({
      status: 'confirmed',
      origin: 'created',
    });
    await expect(createRecoveryPhrase(ctx)).rejects.toMatchObject({ code: 'phrase_exists' });
    // The secret is sealed: nothing in the record is the phrase's entropy in the clear.
    const record = await ctx.db.get('recovery', 'master');
    const secret = (await openMasterSecret(ctx))!;
    expect(Buffer.from(record!.secret.data).includes(Buffer.from(secret))).toBe(false);
    ctx.db.close();
  });

  it('hands out each counter once and derives the seed of that counter', async () => {
    const ctx = await context();
    expect(await claimSeed(ctx, 'withdrawal')).toBeUndefined();
    const { words } = await createRecoveryPhrase(ctx);
    const master = (await openMasterSecret(ctx))!;
    const claims = await Promise.all([0, 1, 2].map(() => claimSeed(ctx, 'withdrawal')));
    expect(claims.map((claim) => claim!.counter).sort()).toEqual([0, 1, 2]);
    for (const claim of claims)
      expect(claim!.seed).toEqual(deriveSeed(master, 'withdrawal', claim!.counter));
    expect((await claimSeed(ctx, 'payword-chain'))!.counter).toBe(0);

    // A fresh profile restored from the same words derives the same seeds, once it recovered
    // (before, a withdrawal seed could be one the bank already used).
    const fresh = await context();
    expect(await restoreFromPhrase(fresh, words.join(' '))).toMatchObject({
      status: 'confirmed',
      origin: 'restored',
    });
    await expect(claimSeed(fresh, 'withdrawal')).rejects.toMatchObject({
      code: 'recovery_pending',
    });
    expect((await claimSeed(fresh, 'change'))!.counter).toBe(0);
    await markRecovered(fresh);
    expect((await claimSeed(fresh, 'withdrawal'))!.seed).toEqual(
      deriveSeed(master, 'withdrawal', 0),
    );
    expect(await restoreFromPhrase(fresh, words.join(' '))).toMatchObject({ status: 'confirmed' });
    const other = await createRecoveryPhrase(await context());
    await expect(restoreFromPhrase(fresh, other.words.join(' '))).rejects.toMatchObject({
      code: 'phrase_exists',
    });
    await expect(restoreFromPhrase(fresh, 'abandon abandon')).rejects.toMatchObject({
      code: 'phrase_invalid',
    });
    ctx.db.close();
    fresh.db.close();
  });
});
