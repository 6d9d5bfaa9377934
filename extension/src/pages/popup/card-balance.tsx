/**
 * The card beside e-cash and PayWord in the popup: the registered card's last four digits
 * (all the wallet ever shows of it), or a pointer to the settings to register one.
 */
import type { ComponentChildren, JSX } from 'preact';
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
    <Balance
      label="Card"
      figure={card === undefined ? '—' : `•••• ${card.lastFour}`}
      testId="balance-card"
    >
      {card?.status === 'pending' ? <p class="small muted">waiting for the bank</p> : null}
    </Balance>
  );
}

/** One of the popup's balances: what it is, the figure, and what else it needs to say. */
export function Balance(props: {
  label: string;
  figure: string;
  testId: string;
  children?: ComponentChildren;
}): JSX.Element {
  return (
    <div class="balance">
      <p class="small muted">{props.label}</p>
      <p class="figure" data-testid={props.testId}>
        {props.figure}
      </p>
      {props.children}
    </div>
  );
}
