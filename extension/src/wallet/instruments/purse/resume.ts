/**
 * What a stop can leave of a purse payment that no task finishes (../instrument.ts, step 7): a
 * payment reserved (its budget entry counted, its task open) whose merchant challenge was
 * never stored. The task runner cannot send it (no proof: `reader_unavailable`, again and
 * again) and the trusted window cannot show it (no challenge for the card to answer), so only
 * a click on the same offer would ever end it. Nothing was asked of the card for it, so it is
 * failed here, in one strict transaction, and its budget is free again; a click asks afresh.
 *
 * A payment this worker is challenging now (between its reservation and its stored challenge)
 * is left alone. Should a proof still come for one failed here, `storeProof` reopens it.
 */
import type { WalletContext } from '../../context.ts';
import { moneyTx } from '../../db/schema.ts';
import { errorJson, WalletFailure } from '../../errors.ts';
import { setTask } from '../../tasks.ts';

/** Purse payments between their reservation and their stored challenge, in this worker. */
const challenging = new Set<string>();

/** Runs the challenge step of `paymentId`, which `resumePurse` then leaves alone. */
export async function whileChallenging<T>(paymentId: string, run: () => Promise<T>): Promise<T> {
  challenging.add(paymentId);
  try {
    return await run();
  } finally {
    challenging.delete(paymentId);
  }
}

export async function resumePurse(ctx: WalletContext): Promise<void> {
  const open = await ctx.db.getAllFromIndex('tasks', 'status', 'reserved');
  for (const task of open) {
    if (task.kind !== 'pay' || challenging.has(task.ref)) continue;
    const tx = moneyTx(ctx.db, ['payments', 'purseProofs', 'journal', 'tasks']);
    const payment = await tx.objectStore('payments').get(task.ref);
    const challenged = await tx.objectStore('purseProofs').getKey(task.ref);
    if (
      payment?.instrument !== 'purse' ||
      payment.status !== 'reserved' ||
      challenged !== undefined ||
      challenging.has(payment.id)
    ) {
      await tx.done;
      continue;
    }
    const error = errorJson(
      new WalletFailure(
        'merchant_unreachable',
        'The payment stopped before the shop’s challenge arrived; nothing was paid. Click again to pay.',
      ),
    );
    await tx.objectStore('payments').put({ ...payment, status: 'failed', error });
    for (const entry of await tx.objectStore('journal').index('paymentId').getAll(payment.id)) {
      await tx.objectStore('journal').put({ ...entry, status: 'failed' });
    }
    await setTask(
      tx.objectStore('tasks'),
      task.id,
      { status: 'failed', error },
      ctx.platform.now(),
    );
    await tx.done;
  }
}
