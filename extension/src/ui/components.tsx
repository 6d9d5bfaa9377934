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

/** A link beside a heading, to the page or list that goes on from there. */
export interface HeadingLink {
  readonly label: string;
  readonly onClick: () => void;
}

function headingLink(link: HeadingLink | undefined): JSX.Element | null {
  return link === undefined ? null : (
    <Button variant="link" onClick={link.onClick}>
      {link.label}
    </Button>
  );
}

/** A screen of the popup or a small window: the heading, then its content. */
export function Screen(props: {
  title: string;
  children: ComponentChildren;
  link?: HeadingLink;
}): JSX.Element {
  return (
    <Shell title={props.title} actions={headingLink(props.link)}>
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
  link?: HeadingLink;
}): JSX.Element {
  const headingId = props.id === undefined ? undefined : `${props.id}-title`;
  return (
    <section class="card" id={props.id} aria-labelledby={headingId}>
      <header>
        <h2 id={headingId}>{props.title}</h2>
        {props.aside}
        {headingLink(props.link)}
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
