/** The few building blocks every wallet page uses; they hold no state of their own. */
import type { ComponentChildren, JSX } from 'preact';
import type { WalletErrorJson } from '../messages/contract.ts';
import type { Pending } from './load.ts';
import { hintText } from './wording.ts';

export function Shell(props: {
  title: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}): JSX.Element {
  return (
    <>
      <header class="shell-header">
        <span class="brand-mark" aria-hidden="true">
          ₣
        </span>
        <h1>{props.title}</h1>
        {props.actions}
      </header>
      {props.children}
    </>
  );
}

/** A screen of the popup or a small window: the heading, then its content. */
export function Screen(props: {
  title: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}): JSX.Element {
  return (
    <Shell title={props.title} actions={props.actions}>
      <div class="content">{props.children}</div>
    </Shell>
  );
}

/** A wallet page in its own tab: the heading, then its cards one under another. */
export function Page(props: { title: string; children: ComponentChildren }): JSX.Element {
  return (
    <Shell title={props.title}>
      <main class="page stack">{props.children}</main>
    </Shell>
  );
}

type ButtonProps = Omit<JSX.ButtonHTMLAttributes<HTMLButtonElement>, 'class'> & {
  variant?: 'primary' | 'secondary' | 'danger' | 'link';
  busy?: boolean;
  testId?: string | undefined;
};

export function Button({
  variant = 'primary',
  busy = false,
  testId,
  children,
  disabled,
  type = 'button',
  ...rest
}: ButtonProps): JSX.Element {
  return (
    <button
      {...rest}
      type={type}
      class={`button ${variant}`}
      disabled={disabled === true || busy}
      aria-busy={busy}
      data-testid={testId}
    >
      {children}
    </button>
  );
}

export type TextFieldProps = {
  id: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  type?: 'text' | 'password' | 'url';
  inputMode?: 'decimal' | 'url' | 'text';
  autoComplete?: string;
  placeholder?: string;
  error?: string | null;
  testId?: string;
  disabled?: boolean;
};

export function TextField(props: TextFieldProps): JSX.Element {
  const errorId = `${props.id}-error`;
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type={props.type ?? 'text'}
        inputMode={props.inputMode}
        autoComplete={props.autoComplete ?? 'off'}
        spellcheck={false}
        placeholder={props.placeholder}
        value={props.value}
        disabled={props.disabled}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error ? errorId : undefined}
        data-testid={props.testId}
        onInput={(event) => props.onInput(event.currentTarget.value)}
      />
      {props.error ? (
        <span class="field-error" id={errorId}>
          {props.error}
        </span>
      ) : null}
    </div>
  );
}

/** The text keys of a form's state that come with a setter: `name` with `setName`. */
export type TextKey<S> = {
  [K in keyof S & string]: S[K] extends string
    ? `set${Capitalize<K>}` extends keyof S
      ? K
      : never
    : never;
}[keyof S & string];

/** One row of a form's field table: the state key it edits, and how the field looks. */
export type FieldRow<S> = Omit<TextFieldProps, 'value' | 'onInput' | 'testId'> & {
  key: TextKey<S>;
};

/**
 * A form's text fields from a table, one under another: each shows `state[key]` and edits it
 * through `state.setKey`; the field's id is also its test id.
 */
export function TextFields<S>(props: { state: S; fields: readonly FieldRow<S>[] }): JSX.Element {
  const { state } = props;
  return (
    <>
      {props.fields.map(({ key, ...field }) => {
        const setter = `set${key.charAt(0).toUpperCase()}${key.slice(1)}` as keyof S;
        return (
          <TextField
            key={field.id}
            {...field}
            testId={field.id}
            value={state[key] as string}
            onInput={state[setter] as (value: string) => void}
          />
        );
      })}
    </>
  );
}

/**
 * The end of a form or step: its failure, what its last submit did (`done`, when it says), a way
 * back when there is one, and the way on: the form's submit, or `onClick` outside a form. Both
 * buttons wait while it is busy.
 */
export function SubmitActions(props: {
  error: WalletErrorJson | null;
  busy: boolean;
  label: string;
  done?: string | null;
  variant?: 'primary' | 'secondary';
  disabled?: boolean;
  testId?: string;
  onClick?: (() => void) | undefined;
  back?: { label: string; onClick: () => void; testId?: string } | undefined;
}): JSX.Element {
  const { back } = props;
  return (
    <>
      <ErrorNotice error={props.error} />
      <div class="actions">
        {props.done == null ? null : (
          <span class="small muted" role="status">
            {props.done}
          </span>
        )}
        {back === undefined ? null : (
          <Button
            variant="secondary"
            onClick={back.onClick}
            disabled={props.busy}
            testId={back.testId}
          >
            {back.label}
          </Button>
        )}
        <Button
          type={props.onClick === undefined ? 'submit' : 'button'}
          onClick={props.onClick}
          variant={props.variant ?? 'primary'}
          busy={props.busy}
          disabled={props.disabled}
          testId={props.testId}
        >
          {props.label}
        </Button>
      </div>
    </>
  );
}

/** A failure the background reported, with where to fix it when it says. */
export function ErrorNotice(props: { error: WalletErrorJson | null }): JSX.Element | null {
  if (props.error === null) return null;
  const hint = hintText(props.error);
  return (
    <div class="notice error" role="alert" data-code={props.error.code}>
      <p>{props.error.message}</p>
      {hint === null ? null : <p class="small">{hint}</p>}
    </div>
  );
}

export function Card(props: {
  title: string;
  id?: string;
  children: ComponentChildren;
  aside?: ComponentChildren;
}): JSX.Element {
  const headingId = props.id === undefined ? undefined : `${props.id}-title`;
  return (
    <section class="card" id={props.id} aria-labelledby={headingId}>
      <header>
        <h2 id={headingId}>{props.title}</h2>
        {props.aside}
      </header>
      {props.children}
    </section>
  );
}

/**
 * A card of rows the background keeps, under the failure of the last call on them; nothing at
 * all while there is neither a row nor a failure (a list that only matters when it has rows).
 */
export function RowsCard<T>(props: {
  title: string;
  testId: string;
  rows: readonly T[];
  error: WalletErrorJson | null;
  row: (row: T) => JSX.Element;
}): JSX.Element | null {
  if (props.rows.length === 0 && props.error === null) return null;
  return (
    <Card title={props.title}>
      <ErrorNotice error={props.error} />
      <ul class="list" data-testid={props.testId}>
        {props.rows.map(props.row)}
      </ul>
    </Card>
  );
}

export function Loading(props: { label?: string }): JSX.Element {
  return (
    <p class="muted" role="status">
      {props.label ?? 'Loading…'}
    </p>
  );
}

/**
 * Fingerprints to compare with what the bank publishes, one per line, under the same plain
 * labels as the bank's own fingerprints page (bank/src/identity/identity.ts).
 */
export function Fingerprints(props: {
  caFingerprint: string;
  mintKeyFingerprint: string;
  brokerKeyFingerprint?: string | undefined;
  testId?: string;
}): JSX.Element {
  return (
    <dl class="fingerprints" data-testid={props.testId}>
      <dt>The bank’s certificate</dt>
      <dd class="mono">{props.caFingerprint}</dd>
      <dt>The key that signs its coins</dt>
      <dd class="mono">{props.mintKeyFingerprint}</dd>
      {props.brokerKeyFingerprint === undefined ? null : (
        <>
          <dt>The key that signs PayWord credit</dt>
          <dd class="mono">{props.brokerKeyFingerprint}</dd>
        </>
      )}
    </dl>
  );
}

/** A form whose submit (its button or Enter) calls `onSubmit` instead of loading a page. */
export function Form(props: {
  class: 'content' | 'stack' | 'inline-form';
  onSubmit: () => void;
  children: ComponentChildren;
}): JSX.Element {
  return (
    <form
      class={props.class}
      onSubmit={(event) => {
        event.preventDefault();
        props.onSubmit();
      }}
    >
      {props.children}
    </form>
  );
}

/**
 * What a form step says: its title, its submit button (and, while busy, `busy` instead), the
 * button's test id, and the way back when there is one. Each page keeps its steps' wording in
 * one table.
 */
export interface StepWording {
  readonly title: string;
  readonly next: string;
  readonly busy?: string;
  readonly testId: string;
  readonly back?: string;
}

/**
 * A step that is one form, in a page or the popup: its title, what it asks, then its failure, a
 * way back when it has one (`onBack`), and its submit; both buttons wait while the step is busy.
 */
export function FormStep(props: {
  wording: StepWording;
  step: { readonly error: WalletErrorJson | null; readonly busy: boolean };
  onSubmit: () => void;
  onBack?: () => void;
  children: ComponentChildren;
}): JSX.Element {
  const { wording, step, onBack } = props;
  return (
    <Shell title={wording.title}>
      <Form class="content" onSubmit={props.onSubmit}>
        {props.children}
        <SubmitActions
          error={step.error}
          busy={step.busy}
          back={
            wording.back === undefined || onBack === undefined
              ? undefined
              : { label: wording.back, onClick: onBack }
          }
          label={step.busy ? (wording.busy ?? wording.next) : wording.next}
          testId={wording.testId}
        />
      </Form>
    </Shell>
  );
}

/** A page still loading, or one that could not load (load.ts). */
export function PendingView({ state }: { state: Pending }): JSX.Element {
  return state.status === 'loading' ? (
    <Loading />
  ) : (
    <LoadFailed error={state.error} retry={state.retry} />
  );
}

/** A page's content: its pending view until it has loaded (load.ts), then what `loaded` shows. */
export function Loaded<S extends { readonly status: string }>(props: {
  state: Pending | S;
  loaded: (state: S) => JSX.Element;
}): JSX.Element {
  const { state } = props;
  return isPending(state) ? <PendingView state={state} /> : props.loaded(state);
}

function isPending(state: { readonly status: string }): state is Pending {
  return state.status === 'loading' || state.status === 'failed';
}

/** A page that could not load: what went wrong and a way to ask again. */
export function LoadFailed(props: { error: WalletErrorJson; retry: () => void }): JSX.Element {
  return (
    <>
      <ErrorNotice error={props.error} />
      <div class="actions">
        <Button onClick={props.retry}>Try again</Button>
      </div>
    </>
  );
}

/** A table's column headings; `num` ones are right-aligned like the figures below them. */
export function ColumnHeads(props: {
  columns: readonly (string | { readonly num: string })[];
}): JSX.Element {
  return (
    <thead>
      <tr>
        {props.columns.map((column) =>
          typeof column === 'string' ? (
            <th key={column} scope="col">
              {column}
            </th>
          ) : (
            <th key={column.num} scope="col" class="num">
              {column.num}
            </th>
          ),
        )}
      </tr>
    </thead>
  );
}
