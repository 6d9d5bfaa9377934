/** The settings page's card section (cards-state.ts). */
import type { JSX } from 'preact';
import { Button, Card } from '../../ui/components.tsx';
import { type FieldRow, Form, SubmitActions, TextFields } from '../../ui/forms.tsx';
import type { CardsSection } from './cards-state.ts';

const cardFields: readonly FieldRow<CardsSection>[] = [
  { key: 'cardNumber', id: 'card-number', label: 'Card number', inputMode: 'text' },
  { key: 'expiry', id: 'card-expiry', label: 'Expiry (MM/YY)' },
  { key: 'name', id: 'card-name', label: 'Name as printed' },
];

export function Cards({ section }: { section: CardsSection }): JSX.Element {
  return (
    <Card title="Cards" id="cards">
      {section.cards.length === 0 ? (
        <p class="small muted">No card yet. Register the card your bank issued to pay by card.</p>
      ) : (
        <ul class="list" data-testid="card-list">
          {section.cards.map((card) => (
            <li key={card.id} data-testid="card-row" data-status={card.status}>
              <span data-testid="card-last-four">•••• {card.lastFour}</span> · {card.name} ·{' '}
              {card.status === 'registered' ? 'registered' : 'waiting for the bank'}{' '}
              <Button variant="secondary" onClick={() => section.remove(card.id)}>
                Remove
              </Button>
            </li>
          ))}
        </ul>
      )}
      <Form class="stack" onSubmit={section.register}>
        <h3>Register a card</h3>
        <p class="small muted">
          The card number goes to your bank sealed for it alone; the wallet keeps it encrypted and
          shows only its last four digits. Shops never see it.
        </p>
        {section.banks.length > 1 ? (
          <div class="field">
            <label for="card-bank">Bank</label>
            <select
              id="card-bank"
              value={section.bankUrl}
              onChange={(event) => section.setBankUrl(event.currentTarget.value)}
            >
              {section.banks.map((bank) => (
                <option key={bank.url} value={bank.url}>
                  {bank.name}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <TextFields state={section} fields={cardFields} />
        <SubmitActions
          error={section.error}
          busy={section.busy}
          label="Register card"
          disabled={section.bankUrl === ''}
          testId="card-register"
        />
      </Form>
    </Card>
  );
}
