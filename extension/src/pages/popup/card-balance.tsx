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
    <Balance
      label="Card"
      figure={card === undefined ? '—' : `•••• ${card.lastFour}`}
      testId="balance-card"
      note={card?.status === 'pending' ? 'waiting for the bank' : undefined}
    />
  );
}

/** One of the popup's balances: what it is, the figure, and a word on it where one is due. */
export function Balance({ label, figure, testId, note }: BalanceProps): JSX.Element {
  return (
    <div class="balance">
      <p class="small muted">{label}</p>
      <p class="figure" data-testid={testId}>
        {figure}
      </p>
      {note === undefined ? null : <p class="small muted">{note}</p>}
    </div>
  );
}

interface BalanceProps {
  readonly label: string;
  readonly figure: string;
  readonly testId: string;
  readonly note?: string | undefined;
}
