import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintKeySets, verifyMintKeySet } from '@farthing/protocol/coin/mint-key-set';
import { ed25519Signer, randomSecretKey } from '@farthing/protocol/ed25519';
import { isFarthingError } from '@farthing/protocol/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { day, startTime } from '../bank.fixture.ts';
import { ConfigError } from '../config.ts';
import { createLogger } from '../log.ts';
import { SqliteBankStore } from '../store/sqlite/sqlite-store.ts';
import { Keyring } from './keyring.ts';
import {
  checkMintKeyPolicy,
  coinValues,
  defaultMintTiming,
  loadMintKeyPolicy,
  type MintKeyPolicy,
} from './policy.ts';

const policy: MintKeyPolicy = { ...defaultMintTiming, values: [5, 100] };
const masterKey = ed25519Signer(randomSecretKey());
const log = createLogger({ logLevel: 'silent' });

const opened: { dir: string; store: SqliteBankStore }[] = [];

function openStore(dir = mkdtempSync(join(tmpdir(), 'farthing-keyring-'))) {
  const store = new SqliteBankStore({ path: join(dir, 'bank.sqlite'), currency: 'EUR' });
  opened.push({ dir, store });
  return { dir, store };
}

afterEach(async () => {
  for (const { dir, store } of opened.splice(0)) {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

function openKeyring(store: SqliteBankStore, clock: { now: number }, keyPolicy = policy) {
  return Keyring.open({
    store,
    log,
    masterKey,
    currency: 'EUR',
    now: () => clock.now,
    policy: keyPolicy,
  });
}

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isFarthingError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('the mint keyring', () => {
  it('creates one key per value that signs from now on, and stores it', async () => {
    const { store } = openStore();
    const clock = { now: startTime };
    const keyring = await openKeyring(store, clock);
    const keys = keyring.list();
    expect(keys.map((key) => key.denomination.value.minor)).toEqual([5, 100]);
    for (const { denomination } of keys) {
      expect(denomination.validFrom).toBe(startTime);
      expect(denomination.withdrawUntil).toBe(startTime + 30 * day);
      expect(denomination.depositUntil).toBe(startTime + 365 * day);
    }
    expect(await store.listDenominations()).toHaveLength(2);
  });

  it('loads the stored keys again instead of making new ones', async () => {
    const { dir, store } = openStore();
    const clock = { now: startTime };
    const first = (await openKeyring(store, clock)).list().map((key) => key.idText);
    await store.close();
    opened.pop();
    const again = await openKeyring(openStore(dir).store, clock);
    expect(again.list().map((key) => key.idText)).toEqual(first);
    expect(await again.rotate()).toBe(0);
  });

  it('takes the keys another process on the same database rotated in, instead of making its own', async () => {
    const { store } = openStore();
    const clock = { now: startTime };
    const one = await openKeyring(store, clock);
    const other = await openKeyring(store, clock);
    clock.now = startTime + 23 * day + 1;
    expect(await one.rotate()).toBe(2);
    expect(await other.rotate()).toBe(0);
    expect(other.list().map((key) => key.idText)).toEqual(one.list().map((key) => key.idText));
    expect(await store.listDenominations()).toHaveLength(4);
  });

  it('creates the next key before the current one stops signing, overlapping it', async () => {
    const { store } = openStore();
    const clock = { now: startTime };
    const keyring = await openKeyring(store, clock);
    clock.now = startTime + 22 * day; // more than the 7-day lookahead before the end
    expect(await keyring.rotate()).toBe(0);
    clock.now = startTime + 23 * day + 1; // inside the lookahead
    expect(await keyring.rotate()).toBe(2);
    const fives = keyring.list().filter((key) => key.denomination.value.minor === 5);
    expect(fives).toHaveLength(2);
    const [current, next] = fives.map((key) => key.denomination);
    expect(next!.validFrom).toBe(current!.withdrawUntil - day);
    expect(next!.withdrawUntil).toBe(next!.validFrom + 30 * day);
    expect(await keyring.rotate()).toBe(0);
    // Both sign during the overlap, and at every moment one of them does.
    for (const at of [next!.validFrom - 1, next!.validFrom, current!.withdrawUntil]) {
      const signing = fives.filter(
        (key) => key.denomination.validFrom <= at && at < key.denomination.withdrawUntil,
      );
      expect(signing.length).toBeGreaterThan(0);
    }
  });

  it('stops signing with an expired key but still accepts its coins until the deposit window ends', async () => {
    const { store } = openStore();
    const clock = { now: startTime };
    const keyring = await openKeyring(store, clock);
    const old = keyring.list()[0]!;
    clock.now = old.denomination.withdrawUntil;
    await keyring.rotate();
    expect(errorCode(() => keyring.usable(old.id, 'withdraw', clock.now))).toBe(
      'denomination_expired',
    );
    expect(errorCode(() => keyring.usable(old.id, 'deposit', clock.now))).toBeUndefined();
    expect(errorCode(() => keyring.usable(old.id, 'deposit', old.denomination.depositUntil))).toBe(
      'denomination_expired',
    );
    expect(errorCode(() => keyring.usable(new Uint8Array(32), 'deposit', clock.now))).toBe(
      'unknown_denomination',
    );
  });

  it('replaces keys when the bank was down past the end of every window', async () => {
    const { store } = openStore();
    const clock = { now: startTime };
    const keyring = await openKeyring(store, clock);
    clock.now = startTime + 100 * day;
    expect(await keyring.rotate()).toBe(2);
    const newest = keyring.list().filter((key) => key.denomination.validFrom === clock.now);
    expect(newest).toHaveLength(2);
  });

  it('signs the key set once per change of the key list', async () => {
    const { store } = openStore();
    const clock = { now: startTime };
    const keyring = await openKeyring(store, clock);
    const first = await keyring.keySetJson();
    clock.now += 1000;
    expect(await keyring.keySetJson()).toBe(first);
    const keySet = mintKeySets.parse(JSON.parse(first));
    verifyMintKeySet(keySet, { masterPublicKey: masterKey.publicKey });
    expect(keySet.issuedAt).toBe(startTime);
    expect(keySet.denominations).toHaveLength(2);

    clock.now = startTime + 29 * day;
    await keyring.rotate();
    const second = mintKeySets.parse(JSON.parse(await keyring.keySetJson()));
    expect(second.issuedAt).toBe(clock.now);
    expect(second.denominations).toHaveLength(4);

    // Keys whose coins can no longer be deposited leave the set.
    clock.now = startTime + 365 * day;
    await keyring.rotate();
    const later = mintKeySets.parse(JSON.parse(await keyring.keySetJson()));
    expect(later.denominations.every((d) => d.depositUntil > clock.now)).toBe(true);
  });
});

describe('the mint key policy', () => {
  it('issues 0.01 to 10 of the currency by default', () => {
    expect(loadMintKeyPolicy({}, 'EUR').values).toEqual([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]);
    expect(loadMintKeyPolicy({}, 'JPY').values).toEqual([1, 2, 5, 10]);
  });

  it('takes its values and windows from the environment', () => {
    const loaded = loadMintKeyPolicy(
      {
        FARTHING_MINT_VALUES: '0.50, 2',
        FARTHING_MINT_WITHDRAW_DAYS: '10',
        FARTHING_MINT_DEPOSIT_DAYS: '20',
        FARTHING_MINT_OVERLAP_HOURS: '2',
        FARTHING_MINT_LOOKAHEAD_HOURS: '48',
      },
      'EUR',
    );
    expect(loaded).toMatchObject({
      values: [50, 200],
      withdrawPeriodMs: 10 * day,
      depositPeriodMs: 20 * day,
      overlapMs: 2 * 3_600_000,
      lookaheadMs: 2 * day,
    });
  });

  it('refuses windows that do not fit together', () => {
    expect(() => loadMintKeyPolicy({ FARTHING_MINT_DEPOSIT_DAYS: '5' }, 'EUR')).toThrow(
      ConfigError,
    );
    expect(() => loadMintKeyPolicy({ FARTHING_MINT_LOOKAHEAD_HOURS: '720' }, 'EUR')).toThrow(
      ConfigError,
    );
    expect(() => loadMintKeyPolicy({ FARTHING_MINT_WITHDRAW_DAYS: 'soon' }, 'EUR')).toThrow(
      ConfigError,
    );
    expect(() => checkMintKeyPolicy({ ...policy, values: [] })).toThrow(ConfigError);
    expect(coinValues('EUR', ['0.001', '1'])).toEqual([100]);
  });
});
