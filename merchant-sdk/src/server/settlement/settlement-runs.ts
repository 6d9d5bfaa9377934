/**
 * Every instrument's settlement in one run and one schedule: PayWord redemptions and e-cash in
 * flight (settlement.ts), purse proofs cleared at the issuer (purse/purse-desk.ts) and open card
 * authorizations captured (card/card-pay.ts). `Merchant.settle`, `startSettlement` and the
 * schedules `close` stops.
 */
import type { MerchantCard } from '../card/card-pay.ts';
import type { PurseDesk } from '../purse/purse-desk.ts';
import type { Settlement, SettlementSchedule, SettleReturnType } from './settlement.ts';

/** What one settlement run did, card captures included. */
export type MerchantSettleReturnType = SettleReturnType & { readonly capturedCards: number };

export class SettlementRuns {
  readonly #settlement: Settlement;
  readonly #purse: PurseDesk | undefined;
  readonly #card: MerchantCard;
  readonly #schedules = new Set<SettlementSchedule>();

  constructor(settlement: Settlement, purse: PurseDesk | undefined, card: MerchantCard) {
    this.#settlement = settlement;
    this.#purse = purse;
    this.#card = card;
  }

  /** Redeems what is owed now, clears purse proofs and captures open card authorizations. */
  async settle(): Promise<MerchantSettleReturnType> {
    const settled = await this.#settlement.settle();
    await this.#purse?.clear();
    return { ...settled, capturedCards: await this.#card.settle() };
  }

  /** Runs the three on one interval until stopped (or `stopAll`). */
  start(options: {
    readonly intervalMs: number;
    readonly onError?: (error: unknown) => void;
  }): SettlementSchedule {
    const redemptions = this.#settlement.start(options);
    const clearing = this.#purse?.startClearing(options);
    const capturing = this.#card.card === undefined ? undefined : this.#card.startCapture(options);
    const schedule: SettlementSchedule = {
      stop: async () => {
        await Promise.all([redemptions.stop(), clearing?.stop(), capturing?.stop()]);
      },
    };
    this.#schedules.add(schedule);
    return {
      stop: async () => {
        this.#schedules.delete(schedule);
        await schedule.stop();
      },
    };
  }

  /** Stops every schedule started. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#schedules].map((schedule) => schedule.stop()));
    this.#schedules.clear();
  }
}
