/** The settings page's views: one per state, the ready state in sections. */
import type { JSX } from 'preact';
import {
  Button,
  Card,
  ColumnHeads,
  ErrorNotice,
  Fingerprints,
  Loaded,
  Page,
} from '../../ui/components.tsx';
import { type FieldRow, Form, SubmitActions, TextField, TextFields } from '../../ui/forms.tsx';
import { majorUnitsText } from '../../ui/money.ts';
import { fingerprintsPageUrl, formatTime, shortOrigin } from '../../ui/wording.ts';
import type { BackupSection } from './backup-state.ts';
import { Cards } from './cards-view.tsx';
import type { LimitField, LimitsForm } from './limits-state.ts';
import type { SiteRow } from './sites-state.ts';
import type { BankRow, SettingsState } from './state.ts';

export function SettingsView(props: { state: SettingsState }): JSX.Element {
  return (
    <Page title="Farthing settings">
      <Loaded
        state={props.state}
        loaded={(state) => (
          <>
            <Banks rows={state.banks} onAdd={state.openPopup} />
            <Limits form={state.limits} />
            <Sites rows={state.sites} />
            <Cards section={state.cards} />
            <Backup section={state.backup} />
            <Refusals refusals={state.refusals} />
          </>
        )}
      />
    </Page>
  );
}

function Banks(props: { rows: readonly BankRow[]; onAdd: () => void }): JSX.Element {
  return (
    <Card title="Banks" id="banks" link={{ label: 'Add a bank or log in', onClick: props.onAdd }}>
      {props.rows.length === 0 ? (
        <p class="muted">No bank yet. Open the wallet from the toolbar to add one.</p>
      ) : (
        props.rows.map((row) => (
          <article key={row.bank.url} class="stack" data-testid="bank-row" data-url={row.bank.url}>
            <header class="inline-form" style={{ justifyContent: 'space-between' }}>
              <div>
                <h3>{row.bank.name}</h3>
                <p class="mono">{row.bank.url}</p>
              </div>
              <div style={{ textAlign: 'right' }}>
                {row.bank.account === null ? (
                  <p class="muted">Not logged in</p>
                ) : (
                  <>
                    <p>
                      Logged in as <strong>{row.bank.account}</strong>
                    </p>
                    {row.bank.accountBalance === null ? null : (
                      <p class="small muted">Account: {row.bank.accountBalance.text}</p>
                    )}
                  </>
                )}
              </div>
            </header>
            <Fingerprints
              caFingerprint={row.bank.caFingerprint}
              mintKeyFingerprint={row.bank.mintKeyFingerprint}
              brokerKeyFingerprint={row.bank.brokerKeyFingerprint}
            />
            <p class="small muted">
              Trusted since {formatTime(row.bank.trustedAt)}. The bank shows the same fingerprints
              at{' '}
              <a
                class="mono"
                href={fingerprintsPageUrl(row.bank.url)}
                target="_blank"
                rel="noreferrer"
              >
                {fingerprintsPageUrl(row.bank.url)}
              </a>
              .
            </p>
            <ErrorNotice error={row.error} />
            {row.bank.account === null ? null : (
              <div class="actions">
                <Button variant="danger" onClick={row.logOut} busy={row.busy}>
                  Log out
                </Button>
              </div>
            )}
          </article>
        ))
      )}
    </Card>
  );
}

const limitLabels: Readonly<Record<LimitField, string>> = {
  autoPayThreshold: 'Pay without asking up to',
  defaultSiteBudget: 'Budget per site per day',
  dailyBudget: 'Budget for all sites per day',
  paywordCredit: 'PayWord credit to set aside at your bank',
};

function Limits({ form }: { form: LimitsForm }): JSX.Element {
  return (
    <Card title="Limits" id="limits">
      <Form class="stack" onSubmit={form.save}>
        <p class="small muted">
          Above the first limit, or past a budget, the wallet asks in its own window or refuses.
          Amounts in {form.currency}.
        </p>
        {(Object.keys(limitLabels) as LimitField[]).map((field) => (
          <TextField
            key={field}
            id={`limit-${field}`}
            label={`${limitLabels[field]} (${form.currency})`}
            inputMode="decimal"
            value={form.values[field]}
            onInput={(text) => form.set(field, text)}
            error={form.fieldErrors[field] ?? null}
            testId={`limit-${field}`}
          />
        ))}
        <p class="small muted" data-testid="payword-credit-help">
          PayWord pays a few cents at a time from credit your bank sets aside from your account:
          this much, when the wallet first needs it and again when it is used up or expires. What
          you do not spend comes back to your account after the credit expires. A new amount applies
          to the next credit, not to credit already set aside.
        </p>
        <label class="checkbox">
          <input
            type="checkbox"
            checked={form.confirmFirstPayment}
            onChange={(event) => form.setConfirmFirstPayment(event.currentTarget.checked)}
          />
          Ask before the first payment to a new site
        </label>
        <SubmitActions
          error={form.error}
          busy={form.busy}
          label="Save limits"
          done={form.saved ? 'Saved.' : null}
        />
      </Form>
    </Card>
  );
}

function Sites(props: { rows: readonly SiteRow[] }): JSX.Element {
  return (
    <Card title="Sites" id="sites">
      {props.rows.length === 0 ? (
        <p class="muted">Sites you pay appear here, with what you spent today.</p>
      ) : (
        <table>
          <ColumnHeads columns={['Site', { num: 'Today' }, 'Daily budget', 'Blocked']} />
          <tbody>
            {props.rows.map((row) => (
              <SiteRowView key={row.site.origin} row={row} />
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function SiteRowView({ row }: { row: SiteRow }): JSX.Element {
  const { site } = row;
  const id = `site-${site.origin.replace(/[^a-z0-9]/gi, '-')}`;
  return (
    <tr data-testid="site-row" data-origin={site.origin}>
      <td>
        {site.name ?? shortOrigin(site.origin)}
        <br />
        <span class="mono muted">{site.origin}</span>
      </td>
      <td class="num">{site.spentToday.text}</td>
      <td>
        <Form class="inline-form" onSubmit={row.saveBudget}>
          <div class="field">
            <label class="sr-only" for={`${id}-budget`}>
              Daily budget for {site.origin}
            </label>
            <input
              id={`${id}-budget`}
              inputMode="decimal"
              placeholder={majorUnitsText(row.defaultBudget)}
              value={row.budgetText}
              onInput={(event) => row.setBudgetText(event.currentTarget.value)}
              aria-invalid={row.error === null ? undefined : true}
              aria-describedby={`${id}-budget-note`}
            />
          </div>
          <Button type="submit" variant="secondary" busy={row.busy}>
            Set
          </Button>
        </Form>
        <p class="small muted" id={`${id}-budget-note`} data-testid="site-budget-note">
          {site.budget === null
            ? `Default: ${row.defaultBudget.text}`
            : `Own budget; empty the field for the default, ${row.defaultBudget.text}`}
        </p>
        {row.error === null ? null : (
          <p class="field-error small" role="alert">
            {row.error}
          </p>
        )}
      </td>
      <td>
        <label class="checkbox">
          <input
            type="checkbox"
            checked={site.blocked}
            disabled={row.busy}
            onChange={(event) => row.setBlocked(event.currentTarget.checked)}
          />
          <span class="sr-only">Block {site.origin}</span>
        </label>
      </td>
    </tr>
  );
}

const newPassphrase = { type: 'password', autoComplete: 'new-password' } as const;
const exportFields: readonly FieldRow<BackupSection>[] = [
  { key: 'exportPassphrase', id: 'export-passphrase', label: 'Passphrase', ...newPassphrase },
  { key: 'exportRepeat', id: 'export-repeat', label: 'Passphrase again', ...newPassphrase },
];
const importFields: readonly FieldRow<BackupSection>[] = [
  {
    key: 'importPassphrase',
    id: 'import-passphrase',
    label: 'Its passphrase',
    type: 'password',
    autoComplete: 'current-password',
  },
];

function Backup({ section }: { section: BackupSection }): JSX.Element {
  return (
    <Card title="Backup" id="backup">
      <Form class="stack" onSubmit={section.exportBackup}>
        <h3>Export</h3>
        <p class="small muted">
          The file holds your coins and PayWord chains, encrypted with this passphrase. Without the
          passphrase nobody, including you, can open it.
        </p>
        <TextFields state={section} fields={exportFields} />
        <SubmitActions
          error={section.exportError}
          busy={section.exporting}
          label="Download backup"
          done={section.exported === null ? null : `Saved as ${section.exported}.`}
        />
      </Form>
      <Form class="stack" onSubmit={section.importBackup}>
        <h3>Import</h3>
        <div class="field">
          <label for="import-file">Backup file</label>
          <input
            id="import-file"
            type="file"
            accept="application/json,.json"
            onChange={async (event) => {
              const file = event.currentTarget.files?.[0];
              if (file !== undefined) section.chooseFile(file.name, await file.text());
            }}
          />
        </div>
        <TextFields state={section} fields={importFields} />
        <SubmitActions
          error={section.importError}
          busy={section.importing}
          label="Import backup"
          variant="secondary"
          done={
            section.imported === null
              ? null
              : `Imported ${section.imported.coins} coins and ${section.imported.chains} PayWord chains.`
          }
        />
      </Form>
    </Card>
  );
}

function Refusals(props: { refusals: readonly SettingsRefusal[] }): JSX.Element {
  return (
    <Card title="Refused payments" id="refusals">
      {props.refusals.length === 0 ? (
        <p class="muted">
          Nothing refused. When a page asks for a payment the wallet will not make, it shows here.
        </p>
      ) : (
        <ul class="list" data-testid="refusal-list">
          {props.refusals.map((refusal) => (
            <li key={refusal.id} data-code={refusal.error.code}>
              <div style={{ minWidth: 0 }}>
                <p class="title">{refusal.error.message}</p>
                <p class="small muted">
                  <span class="mono">{refusal.origin}</span>
                  {refusal.resource === null ? '' : ` · ${refusal.resource}`}
                </p>
              </div>
              <p class="small muted">{formatTime(refusal.at)}</p>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

type SettingsRefusal = Extract<SettingsState, { status: 'ready' }>['refusals'][number];
