/**
 * The gateway never sees the order: after a run of card purchases, no byte of the bank's
 * database (main file and write-ahead log) or of its logs holds the order's description or
 * any of its lines, in UTF-8, hex, base64 or base64url. A planted leak shows the scan finds
 * what is there.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminToken, expectStatus } from '@farthing/bank/bank.fixture';
import { amount as money } from '@farthing/protocol/amount';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizationRequest,
  type CardWorld,
  gatewayAnswer,
  issueCard,
  makePurchase,
  openCardWorld,
  openHttpCustomer,
  openMerchant,
  post,
  registerCardholder,
  signedRequest,
} from './world.ts';

const lines = ['Farthing enamel mug, blue', 'Gazette tote bag (large)', 'Subscription: 12 issues'];
const description = `Order 77 for Alice Example: ${lines.join('; ')}`;

/** Every encoding of `text` the scan looks for. */
function encodings(text: string): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  return [
    bytes,
    Buffer.from(bytes.toString('hex')),
    Buffer.from(bytes.toString('base64')),
    Buffer.from(bytes.toString('base64url')),
    Buffer.from(text, 'utf16le'),
  ];
}

/** The needles found in the files, as `file: needle`. */
function scan(files: readonly string[], needles: readonly string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const content = readFileSync(file);
    for (const needle of needles) {
      if (encodings(needle).some((encoded) => content.includes(encoded))) {
        found.push(`${file}: ${needle}`);
      }
    }
  }
  return found;
}

let world: CardWorld;

function bankFiles(): string[] {
  const database = readdirSync(world.dir)
    .filter((name) => name.startsWith('bank.sqlite'))
    .map((name) => join(world.dir, name));
  return [...database, world.logFile].filter((file) => existsSync(file));
}

beforeAll(async () => {
  world = await openCardWorld();
}, 60_000);

afterAll(async () => {
  await world?.close();
});

describe('privacy of the order at the bank', () => {
  it('keeps the order description and lines out of the bank database and logs', async () => {
    const shop = await openMerchant(world, 'privacy-shop');
    const customer = await openHttpCustomer(world.bank, 'alice', 0, ['account']);
    const alice = await registerCardholder(
      world,
      customer,
      await issueCard(world, customer, 100_00),
    );
    for (const [index, capture] of [false, true, false].entries()) {
      const purchase = await makePurchase(world, alice, {
        merchantId: shop.name,
        amount: 3_00 + index,
        description,
      });
      const answer = gatewayAnswer(
        world,
        'authorization-response',
        await expectStatus(
          await post(
            world,
            shop,
            '/v1/set/authorizations',
            await authorizationRequest(shop, purchase, { capture }),
          ),
          201,
        ),
      );
      if (!capture) {
        await expectStatus(
          await post(
            world,
            shop,
            '/v1/set/captures',
            await signedRequest(shop, 'capture-request', {
              transactionId: answer.transactionId,
              merchantId: shop.name,
              amount: money('EUR', 3_00 + index),
              requestedAt: Date.now(),
            }),
          ),
          200,
        );
      }
    }
    const files = bankFiles();
    expect(files.length).toBeGreaterThanOrEqual(2);
    // The log is real: it recorded the card requests.
    expect(readFileSync(world.logFile, 'utf8')).toContain('/v1/set/authorizations');
    expect(scan(files, [description, ...lines])).toEqual([]);
  });

  it('finds a planted leak, so a clean scan means something', async () => {
    // The operator writes a line item into a ledger reference: now it is in the database.
    await expectStatus(
      await world.bank.request('POST', '/v1/admin/accounts/alice/credit', {
        token: adminToken,
        body: { amount: 'EUR 1.00', reference: lines[1] },
      }),
      200,
    );
    expect(scan(bankFiles(), [lines[1]!]).length).toBeGreaterThan(0);
  });
});
