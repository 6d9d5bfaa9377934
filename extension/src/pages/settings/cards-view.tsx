/** The settings page's card section (cards-state.ts). */
import type { JSX } from 'preact';
import { Button, Card, ErrorNotice, Form, TextField } from '../../ui/components.tsx';
import type { CardsSection } from './cards-state.ts';

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
        <TextField
          id="card-number"
          label="Card number"
          inputMode="text"
          autoComplete="off"
          value={section.cardNumber}
          onInput={section.setCardNumber}
          testId="card-number"
        />
        <TextField
          id="card-expiry"
          label="Expiry (MM/YY)"
          value={section.expiry}
          onInput={section.setExpiry}
          testId="card-expiry"
        />
        <TextField
          id="card-name"
          label="Name as printed"
          value={section.name}
          onInput={section.setName}
          testId="card-name"
        />
        <ErrorNotice error={section.error} />
        <div class="actions">
          <Button
            type="submit"
            busy={section.busy}
            disabled={section.bankUrl === ''}
            testId="card-register"
          >
            Register card
          </Button>
        </div>
      </Form>
    </Card>
  );
}
