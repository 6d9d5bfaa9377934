import { fromBase64url } from '@farthing/protocol/encoding';
import { describe, expect, it } from 'vitest';
import type { PaymentRecord } from '../../db/schema.ts';
import type { CheckedOffer } from '../../pay/offer.ts';
import { failPayment, runPayment, sendPayment } from '../../pay/send.ts';
import {
  Crash,
  type FixtureWallet,
  freshWalletName,
  hooks,
  openFixtureWallet,
  type Steps,
  settled,
} from '../instrument.fixture.ts';
import type { CoreSteps } from '../instrument.ts';
import {
  FixtureCard,
  type PurseMerchant,
  pairReader,
  purseOffer,
  purseWorld,
} from './purse.fixture.ts';
import { purseInstrument } from './purse-instrument.ts';
import { challengePayment, challengeView, refusePayment, storeProof } from './purse-payment.ts';

const startingBalance = 1_000;

/**
 * The core's steps as the pay flow hands them over, and the trusted window: the holder
 * confirms on the reader, the card answers the stored challenge, the page hands the proof over.
 */
function coreSteps(
  wallet: FixtureWallet,
  card: FixtureCard,
  checked: CheckedOffer,
  holder: (paymentId: string) => Promise<boolean> = async (paymentId) => {
    const view = await challengeView(wallet, paymentId);
    await storeProof(wallet, paymentId, await card.answer(fromBase64url(view.challenge)), () => {});
    return true;
  },
): CoreSteps {
  return {
    confirm: holder,
    send: (payment) => sendPayment(wallet, hooks, payment, checked.offer),
    fail: (payment, error) => failPayment(wallet, hooks, payment, error),
  };
}

async function setUp(steps?: Steps) {
  const world = await purseWorld();
  const name = freshWalletName();
  await pairReader(await openFixtureWallet(name, world.merchant), world.fixtures, world.bank);
  const wallet = await openFixtureWallet(name, world.merchant, steps);
  return {
    ...world,
    name,
    wallet,
    card: new FixtureCard(startingBalance),
    checked: await purseOffer(world.bank),
  };
}

/** Paid once: one payment confirmed, the card debited once, the merchant holding its proof. */
async function expectPaidOnce(wallet: FixtureWallet, card: FixtureCard, merchant: PurseMerchant) {
  const payments = await wallet.db.getAll('payments');
  const confirmed = payments.filter((p) => p.status === 'confirmed');
  expect(confirmed).toHaveLength(1);
  expect(payments.filter((p) => p.status === 'reserved' || p.status === 'sent')).toEqual([]);
  expect(card.balance).toBe(startingBalance - 250);
  expect([...card.proofs.values()]).toEqual([...merchant.taken.values()]);
  expect(merchant.doubleCharges).toEqual([]);
  const proof = await wallet.db.get('purseProofs', confirmed[0]!.id);
  expect(proof?.proof).toEqual(fromBase64url([...merchant.taken.values()][0]!));
  const journal = await wallet.db.getAll('journal');
  expect(journal.filter((e) => e.status === 'confirmed').map((e) => e.paymentId)).toEqual([
    confirmed[0]!.id,
  ]);
  expect(journal.filter((e) => e.status === 'reserved')).toEqual([]);
}

/** What a restarted worker and the holder do: the task runner resends, then a click again. */
async function resume(wallet: FixtureWallet, card: FixtureCard, checked: CheckedOffer) {
  for (const task of await wallet.db.getAll('tasks')) {
    if (task.kind !== 'pay' || (task.status !== 'reserved' && task.status !== 'sent')) continue;
    // A payment still waiting for the card waits for the reader (transient) until a click.
    await runPayment(wallet, hooks, task).catch((error: unknown) =>
      expect(error).toMatchObject({ code: 'reader_unavailable' }),
    );
  }
  await purseInstrument.resume!(wallet);
  await settled();
  const paid = (await wallet.db.getAll('payments')).some((p) => p.status === 'confirmed');
  if (!paid) await purseInstrument.payOwnWay!(wallet, checked, coreSteps(wallet, card, checked));
  await settled();
}

describe('paying with the hardware purse', () => {
  it('reserves, has the card answer the stored challenge, and sends its proof once', async () => {
    const { wallet, card, merchant, checked } = await setUp();
    const outcome = await purseInstrument.payOwnWay!(
      wallet,
      checked,
      coreSteps(wallet, card, checked),
    );
    expect(outcome).toMatchObject({ status: 'paid', instrument: 'purse' });
    await settled();
    await expectPaidOnce(wallet, card, merchant);
  });

  it('answers a click on an offer paid already from the payment, asking the card nothing', async () => {
    const { wallet, card, merchant, checked } = await setUp();
    await purseInstrument.payOwnWay!(wallet, checked, coreSteps(wallet, card, checked));
    await settled();
    const holder = async () => {
      throw new Error('the card was asked again');
    };
    await expect(
      purseInstrument.payOwnWay!(wallet, checked, coreSteps(wallet, card, checked, holder)),
    ).resolves.toMatchObject({ status: 'paid' });
    await expectPaidOnce(wallet, card, merchant);
  });

  it('ends the payment with the card’s refusal or the holder’s, nothing debited nor held', async () => {
    const cases: [string, (wallet: FixtureWallet) => (id: string) => Promise<boolean>][] = [
      [
        'purse_card_refused',
        (wallet) => async (id) => {
          await refusePayment(wallet, id, 'purse_card_refused');
          return true;
        },
      ],
      [
        'purse_cancelled',
        (wallet) => async (id) => {
          await refusePayment(wallet, id, 'purse_cancelled');
          return true;
        },
      ],
      ['confirmation_declined', () => async () => false],
    ];
    for (const [code, holder] of cases) {
      const { wallet, card, merchant, checked } = await setUp();
      await expect(
        purseInstrument.payOwnWay!(
          wallet,
          checked,
          coreSteps(wallet, card, checked, holder(wallet)),
        ),
      ).rejects.toMatchObject({ code });
      const [payment] = await wallet.db.getAll('payments');
      expect(payment).toMatchObject({ status: 'failed', error: { code } });
      expect((await wallet.db.getAll('journal')).map((e) => e.status)).toEqual(['failed']);
      expect(card.balance).toBe(startingBalance);
      expect(merchant.taken.size).toBe(0);
    }
  });

  it('fails a payment a stop left without its challenge, freeing its budget; a click pays afresh', async () => {
    const { wallet, card, merchant, checked } = await setUp();
    const stranded = await purseInstrument.reserve(wallet, checked);
    await purseInstrument.resume!(wallet);
    expect(await wallet.db.get('payments', stranded.id)).toMatchObject({
      status: 'failed',
      error: { code: 'merchant_unreachable' },
    });
    expect(await wallet.db.get('tasks', stranded.taskId)).toMatchObject({ status: 'failed' });
    expect((await wallet.db.getAll('journal')).map((e) => e.status)).toEqual(['failed']);
    await purseInstrument.payOwnWay!(wallet, checked, coreSteps(wallet, card, checked));
    await settled();
    await expectPaidOnce(wallet, card, merchant);
  });

  it('leaves a payment with its challenge stored to wait for the reader, and one being challenged', async () => {
    const { wallet, card, merchant, checked } = await setUp();
    const waiting = await purseInstrument.reserve(wallet, checked);
    await challengePayment(wallet, waiting);
    await purseInstrument.resume!(wallet);
    expect((await wallet.db.get('payments', waiting.id))?.status).toBe('reserved');
    await wallet.db.delete('purseProofs', waiting.id);

    // The worker's resume runs while this click's challenge is on its way.
    const answer = merchant.answer.bind(merchant);
    const seenByResume: string[] = [];
    merchant.answer = async (url, init) => {
      if (url.endsWith('/purse-challenge')) {
        await purseInstrument.resume!(wallet);
        seenByResume.push((await wallet.db.get('payments', waiting.id))!.status);
      }
      return answer(url, init);
    };
    await purseInstrument.payOwnWay!(wallet, checked, coreSteps(wallet, card, checked));
    await settled();
    expect(seenByResume).toEqual(['reserved']);
    expect((await wallet.db.getAll('payments')).map((p) => p.status)).toEqual(['confirmed']);
    await expectPaidOnce(wallet, card, merchant);
  });

  it('is paid once, and the card debited once, wherever the worker stops', async () => {
    const counting: Steps = { crashAt: 0, steps: 0 };
    const counted = await setUp(counting);
    await purseInstrument.payOwnWay!(
      counted.wallet,
      counted.checked,
      coreSteps(counted.wallet, counted.card, counted.checked),
    );
    await settled();
    const steps = counting.steps;
    expect(steps).toBeGreaterThanOrEqual(8);

    for (let crashAt = 1; crashAt <= steps; crashAt++) {
      const { name, wallet, card, merchant, checked } = await setUp({ crashAt, steps: 0 });
      try {
        await purseInstrument.payOwnWay!(wallet, checked, coreSteps(wallet, card, checked));
      } catch (error) {
        // The stop, or what the flow made of it: the merchant or the bank unreachable, or the
        // challenge not stored (the payment then ends before the card is asked anything).
        if (!(error instanceof Crash)) {
          expect(error, `stopped at step ${crashAt}`).toMatchObject({
            code: expect.stringMatching(
              /^(merchant_unreachable|bank_unreachable|merchant_refused)$/,
            ),
          });
        }
      }
      await settled();
      const again = await openFixtureWallet(name, merchant);
      await resume(again, card, checked);
      await expectPaidOnce(again, card, merchant);
      // A payment given up before the card was asked holds nothing: no proof, no budget.
      const failed: PaymentRecord[] = (await again.db.getAll('payments')).filter(
        (p) => p.status === 'failed',
      );
      for (const payment of failed) {
        expect(
          await again.db.get('purseProofs', payment.id),
          `stopped at step ${crashAt}`,
        ).not.toMatchObject({ status: 'proved' });
      }
    }
  });
});
