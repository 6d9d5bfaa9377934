/**
 * The settings page's cards: the registered ones (last four digits only) and the form that
 * registers a card with a trusted bank's cardholder CA (wallet/instruments/card/cards.ts). The form's
 * fields are cleared once the background has the card: the number lives on only sealed in the
 * wallet's database.
 */
import { useState } from 'preact/hooks';
import { callBackground } from '../../messages/client.ts';
import type { BankView, CardView, WalletErrorJson } from '../../messages/contract.ts';
import type { Platform } from '../../ui/platform.ts';
import { useRows } from '../../ui/task.ts';

export interface CardsSection {
  readonly cards: readonly CardView[];
  readonly banks: readonly BankView[];
  readonly bankUrl: string;
  readonly cardNumber: string;
  readonly expiry: string;
  readonly name: string;
  setBankUrl(value: string): void;
  setCardNumber(value: string): void;
  setExpiry(value: string): void;
  setName(value: string): void;
  register(): void;
  remove(id: string): void;
  readonly busy: boolean;
  readonly error: WalletErrorJson | null;
}

export function useCardsSection(platform: Platform, banks: readonly BankView[]): CardsSection {
  const [bankUrl, setBankUrl] = useState('');
  const [cardNumber, setCardNumber] = useState('');
  const [expiry, setExpiry] = useState('');
  const [name, setName] = useState('');
  const {
    rows: cards,
    setRows: setCards,
    task,
  } = useRows<CardView>(() => callBackground(platform.transport, 'card.list', {}), [platform]);

  const chosenBank = bankUrl || banks[0]?.url || '';
  return {
    cards,
    banks,
    bankUrl: chosenBank,
    cardNumber,
    expiry,
    name,
    setBankUrl,
    setCardNumber,
    setExpiry,
    setName,
    busy: task.busy !== null,
    error: task.error,
    register() {
      task.run(true, async () => {
        const card = await callBackground(platform.transport, 'card.register', {
          bankUrl: chosenBank,
          cardNumber,
          expiry,
          name,
        });
        setCards([...cards.filter((known) => known.id !== card.id), card]);
        setCardNumber('');
        setExpiry('');
        setName('');
      });
    },
    remove(id) {
      callBackground(platform.transport, 'card.remove', { id }).then(setCards, task.fail);
    },
  };
}
