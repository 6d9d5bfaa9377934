/**
 * The card beside e-cash and PayWord in the popup: the registered card's last four digits
 * (all the wallet ever shows of it), or a pointer to the settings to register one.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { callBackground, type Transport } from '../../messages/client.ts';
import type { CardView } from '../../messages/contract.ts';

export function useCards(transport: Transport): readonly CardView[] {
  const [cards, setCards] = useState<readonly CardView[]>([]);
  useEffect(() => {
    callBackground(transport, 'card.list', {}).then(setCards, () => setCards([]));
  }, [transport]);
  return cards;
}

export function CardBalance(props: { cards: readonly CardView[] }): JSX.Element {
  const card = props.cards.find((known) => known.status === 'registered') ?? props.cards[0];
  return (
    <div class="balance">
      <p class="small muted">Card</p>
      <p class="figure" data-testid="balance-card">
        {card === undefined ? '—' : `•••• ${card.lastFour}`}
      </p>
      {card?.status === 'pending' ? <p class="small muted">waiting for the bank</p> : null}
    </div>
  );
}
