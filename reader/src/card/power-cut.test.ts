/**
 * The card's EEPROM promise: cut the power at every step of LOAD and PAY — before or after any
 * file operation, and in the middle of any page written — and the card powers on again with
 * either the whole old state or the whole new one, then carries on correctly.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Amount, amount } from '@farthing/protocol/amount';
import { PurseCardClient } from '@farthing/protocol/purse/card-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestIssuer, type TestIssuer } from '../test-issuer.ts';
import { type CardHolderInterface, manufactureCard, PowerCut, PurseApplet } from './applet.ts';
import { type CardFileSystem, CardStorage, nodeCardFileSystem } from './storage.ts';

const eur = (minor: number) => amount('EUR', minor);
const cardId = '1122334455667788';
const holder: CardHolderInterface = { confirmPayment: async () => true };

/** A file system that dies at step `cutAt` (counting every operation and page), optionally
 * tearing that page in half; `steps` counts what a run did. */
class FailingFileSystem implements CardFileSystem {
  steps = 0;
  dead = false;
  constructor(
    readonly cutAt: number,
    readonly torn: boolean,
  ) {}
  #step(): void {
    if (this.dead) throw new PowerCut('no power');
    if (this.steps++ === this.cutAt) {
      this.dead = true;
      throw new PowerCut(`power cut at step ${this.cutAt}`);
    }
  }
  async readFile(path: string) {
    this.#step();
    return nodeCardFileSystem.readFile(path);
  }
  async create(path: string) {
    this.#step();
    const file = await nodeCardFileSystem.create(path);
    return {
      write: async (bytes: Uint8Array, position: number) => {
        if (!this.dead && this.torn && this.steps === this.cutAt) {
          await file.write(bytes.subarray(0, bytes.length >> 1), position);
        }
        this.#step();
        await file.write(bytes, position);
      },
      sync: async () => {
        this.#step();
        await file.sync();
      },
      close: async () => {
        await file.close(); // the handle is the OS's; closing it is not a card step
        this.#step();
      },
    };
  }
  async rename(from: string, to: string) {
    this.#step();
    await nodeCardFileSystem.rename(from, to);
  }
  async remove(path: string) {
    this.#step();
    await nodeCardFileSystem.remove(path);
  }
  async syncDirectory(path: string) {
    this.#step();
    await nodeCardFileSystem.syncDirectory(path);
  }
}

interface Snapshot {
  balance: Amount;
  sno: number;
  loadCounter: number;
  log: unknown;
}

async function snapshot(path: string): Promise<Snapshot> {
  const applet = await PurseApplet.powerOn(new CardStorage(path));
  const purse = applet.record.purse!;
  return { balance: purse.balance, sno: purse.sno, loadCounter: purse.loadCounter, log: purse.log };
}

let dir: string;
let issuer: TestIssuer;
let template: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'purse-power-'));
  issuer = await makeTestIssuer();
  template = join(dir, 'template.bin');
  const storage = new CardStorage(template);
  await manufactureCard(storage, { cardId, secretKey: new Uint8Array(32).fill(0xc2) });
  const applet = await PurseApplet.powerOn(storage);
  const client = new PurseCardClient((apdu) => applet.process(apdu, holder));
  const info = await client.select();
  await client.personalise({
    certificate: await issuer.certifyCard(cardId, info.publicKey),
    issuerRoot: issuer.root,
    issuerLoadKey: issuer.loadSigner.publicKey,
    pin: '2468',
    maximum: eur(20000),
  });
  await client.load(await issuer.authorizeLoad(cardId, 0, eur(1000)));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/**
 * Runs `command` once without a cut to count its steps, then once per step with the power cut
 * there (and once more per page with the page torn). After each cut: power on, the state is
 * exactly `before` or exactly `after`, and `recover` on the powered-on card must succeed.
 */
async function cutEverywhere(
  name: string,
  command: (client: PurseCardClient) => Promise<unknown>,
  recover: (client: PurseCardClient, state: 'before' | 'after') => Promise<void>,
) {
  const path = join(dir, `${name}.bin`);
  await copyFile(template, path);
  const before = await snapshot(path);
  const counting = new FailingFileSystem(-1, false);
  const applet = await PurseApplet.powerOn(new CardStorage(path, counting));
  counting.steps = 0;
  await command(new PurseCardClient((apdu) => applet.process(apdu, holder)));
  const total = counting.steps;
  const after = await snapshot(path);
  expect(after).not.toEqual(before);

  const seen = { before: 0, after: 0 };
  for (let cutAt = 0; cutAt < total; cutAt++) {
    for (const torn of [false, true]) {
      await copyFile(template, path);
      const failing = new FailingFileSystem(-1, torn);
      const card = await PurseApplet.powerOn(new CardStorage(path, failing));
      Object.assign(failing, { cutAt: failing.steps + cutAt });
      const client = new PurseCardClient((apdu) => card.process(apdu, holder));
      await expect(command(client)).rejects.toBeInstanceOf(PowerCut);
      const state = await snapshot(path);
      const which = JSON.stringify(state) === JSON.stringify(before) ? 'before' : 'after';
      expect(state).toEqual(which === 'before' ? before : after);
      seen[which] += 1;
      const again = await PurseApplet.powerOn(new CardStorage(path));
      await recover(new PurseCardClient((apdu) => again.process(apdu, holder)), which);
      expect(await snapshot(path)).toEqual(after);
    }
  }
  // Cuts before the rename keep the old state, the ones after it (the directory sync) the new.
  expect(seen.before).toBeGreaterThan(10);
  expect(seen.after).toBeGreaterThan(0);
  return total;
}

describe('power cut', () => {
  it('at every step of LOAD leaves the card before or after the load', async () => {
    const authorization = await issuer.authorizeLoad(cardId, 1, eur(500));
    const steps = await cutEverywhere(
      'load',
      (client) => client.load(authorization),
      async (client, state) => {
        if (state === 'before') await client.load(authorization);
        else
          await expect(client.load(authorization)).rejects.toMatchObject({
            code: 'purse_load_replayed',
          });
      },
    );
    expect(steps).toBeGreaterThan(5);
  });

  it('at every step of PAY leaves the card before or after the payment', async () => {
    const challenge = await issuer.challenge(250, 31);
    const chain = [issuer.merchantCertificate];
    await cutEverywhere(
      'pay',
      (client) => client.pay(challenge, chain),
      async (client, state) => {
        if (state === 'before') await client.pay(challenge, chain);
        else
          await expect(client.pay(challenge, chain)).rejects.toMatchObject({
            code: 'purse_challenge_replayed',
          });
      },
    );
  });
});
