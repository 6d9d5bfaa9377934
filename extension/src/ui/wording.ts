/**
 * What the wallet says to people about the values the background returns. Pure text, no DOM and
 * no Preact, so the content script and the pages say the same things.
 */
import type {
  AmountView,
  ConfirmationReason,
  Instrument,
  TaskKind,
  WalletErrorJson,
} from '../messages/contract.ts';
import { unreachable } from '../messages/failure.ts';

/**
 * The text for each value of a contract type, as a lookup. Tables rather than switches: a value
 * the contract adds and a table misses is a type error.
 */
function textsFor<K extends string>(texts: Readonly<Record<K, string>>): (value: K) => string {
  return (value) => texts[value];
}

export const instrumentName = textsFor<Instrument>({
  ecash: 'e-cash',
  payword: 'PayWord',
  purse: 'hardware purse',
  card: 'card',
});

export const confirmationReasonText = textsFor<ConfirmationReason>({
  above_threshold: 'The price is above your auto-pay limit.',
  first_payment_to_site: 'This is your first payment to this site.',
  user_setting: 'You asked to confirm payments like this one.',
  unseen_click: 'The wallet could not be sure you saw this link and its price before you clicked.',
  purse_reader: 'You pay with your hardware purse: check the amount and payee on the reader.',
  card_payment:
    'Card payments are always confirmed here. Check the order: it is what the shop signed.',
});

export const taskKindText = textsFor<TaskKind>({
  withdraw: 'Withdrawal',
  pay: 'Payment',
  change: 'Change',
  payword_certificate: 'PayWord certificate',
  refund: 'Refund to fresh coins',
});

/**
 * Where to fix a refusal, for people: the background's hint names a place in the wallet
 * (`settings#sites`); pages can link there, the content script can only say it.
 */
export function hintText(error: WalletErrorJson): string | null {
  const hint = error.hint;
  if (hint === undefined || hint === '') return null;
  const [page, section] = hint.split('#', 2);
  if (page === 'settings') {
    const where = section === undefined ? '' : ` (${sectionTitle(section)})`;
    return `You can change this in the Farthing wallet's settings${where}.`;
  }
  if (page === 'popup') return 'Open the Farthing wallet from the toolbar to fix this.';
  return null;
}

const sectionTitles: Readonly<Record<string, string>> = {
  sites: 'Sites',
  limits: 'Limits',
  banks: 'Banks',
  backup: 'Backup',
  refusals: 'Refusals',
};

function sectionTitle(section: string): string {
  return sectionTitles[section] ?? 'Limits';
}

/** A moment as text in British order (`3 Mar 2027`), in the user's zone unless `options` say. */
function dateTexts(options: Intl.DateTimeFormatOptions): (ms: number) => string {
  const format = new Intl.DateTimeFormat('en-GB', options);
  return (ms) => format.format(ms);
}

/** `3 Mar, 14:05` in the user's zone. */
export const formatTime = dateTexts({
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
});

/** `3 Mar`, for a UTC day start (the spending series are in UTC days). */
export const formatUtcDay = dateTexts({ day: 'numeric', month: 'short', timeZone: 'UTC' });

/** `3 Mar 2027` in the user's zone. */
export const formatDay = dateTexts({ day: 'numeric', month: 'short', year: 'numeric' });

/** `https://shop.example` → `shop.example` for compact lists; the full origin stays in titles. */
export function shortOrigin(origin: string): string {
  return origin.replace(/^https?:\/\//, '');
}

/** Where the bank publishes its fingerprints for people (bank/src/identity/routes.ts). */
export function fingerprintsPageUrl(bankUrl: string): string {
  return `${bankUrl}/fingerprints`;
}

/**
 * Said before the first PayWord payment takes the hold: the broker holds the credit from the
 * account when it issues the certificate (bank/src/broker/certificates.ts).
 */
export function paywordHoldNotice(credit: AmountView, bankName: string): string {
  return `The first time you pay a few cents, Farthing asks ${bankName} to set aside ${credit.text} of your account as PayWord credit for small payments. What you do not spend comes back to your account after the credit expires. You can change the amount in Settings.`;
}

export { unreachable };
