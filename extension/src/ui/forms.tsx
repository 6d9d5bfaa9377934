/** A wallet form's pieces: text fields from a table, its actions, and a step that is one form. */
import type { ComponentChildren, JSX } from 'preact';
import type { WalletErrorJson } from '../messages/contract.ts';
import { Button, ErrorNotice, Shell } from './components.tsx';

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
