/**
 * The paired reader as the background keeps it (DESIGN.md "Hardware purse over WebHID"):
 * pairing, what the card last said (balance, log), the user's preference, and the bank's two
 * services a page needs while it holds the reader: certifying a blank card, and the load
 * authorization for a loaded amount (the account pays, with the user's session).
 *
 * The background never touches the device: pages hold it and report what the card said
 * (hid-transport.ts says why). A page's report is validated at the edge (messages/purse.ts);
 * the card's certificate is checked here against the bank's CA the user trusts.
 */
import { parseAmount } from '@farthing/protocol/amount';
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import { verifyPurseCardCertificate } from '@farthing/protocol/purse/card-certificate';
import { purseLoadRequests } from '@farthing/protocol/purse/load';
import * as v from 'valibot';
import type {
  CardReading,
  PursePersonalisationView,
  PurseReaderView,
} from '../../../messages/purse.ts';
import { sessionToken, trustedBank } from '../../bank/banks.ts';
import type { WalletContext } from '../../context.ts';
import type { BankRecord } from '../../db/schema.ts';
import { WalletFailure } from '../../errors.ts';
import { bankParty, requestJson } from '../../http.ts';
import { moneyView } from '../../money.ts';
import type { PurseReaderRecord } from './records.ts';

export function readerView(record: PurseReaderRecord): PurseReaderView {
  return {
    productName: record.productName,
    vendorId: record.vendorId,
    productId: record.productId,
    cardId: record.cardId,
    bankUrl: record.bankUrl,
    balance: moneyView(record.balance),
    maximum: moneyView(record.maximum),
    state: record.state,
    log: record.log.map((line) => ({
      type: line.type,
      amount: moneyView(line.amount),
      at: line.at,
      sno: line.sno ?? null,
      merchantId: line.merchantId ?? null,
    })),
    preferred: record.preferred,
    readAt: record.readAt,
  };
}

export function pairedReader(ctx: WalletContext): Promise<PurseReaderRecord | undefined> {
  return ctx.db.get('purseReaders', 'reader');
}

export async function requirePairedReader(ctx: WalletContext): Promise<PurseReaderRecord> {
  const reader = await pairedReader(ctx);
  if (reader === undefined) {
    throw new WalletFailure('reader_unavailable', 'Pair your purse reader first.', {
      hint: 'purse',
    });
  }
  return reader;
}

/** The bank whose CA certified the card, among the banks the user trusts. */
async function issuingBank(ctx: WalletContext, certificate: Uint8Array): Promise<BankRecord> {
  const now = ctx.platform.now();
  for (const bank of await ctx.db.getAll('banks')) {
    try {
      verifyPurseCardCertificate({
        chain: [certificate],
        trustedRoots: [bank.caCertificate],
        now,
      });
      return bank;
    } catch {}
  }
  throw new WalletFailure(
    'bank_not_trusted',
    'The card in the reader was not issued by a bank this wallet trusts. Add your bank first.',
    { hint: 'settings#banks' },
  );
}

function recordOf(
  card: CardReading,
  rest: Omit<
    PurseReaderRecord,
    'cardId' | 'certificate' | 'balance' | 'maximum' | 'state' | 'log' | 'id'
  >,
): PurseReaderRecord {
  return {
    id: 'reader',
    ...rest,
    cardId: card.cardId,
    certificate: fromBase64url(card.certificate),
    balance: card.balance,
    maximum: card.maximum,
    state: card.state,
    log: card.log.map((line) => ({
      type: line.type,
      amount: line.amount,
      at: line.at,
      ...(line.sno === undefined ? {} : { sno: line.sno }),
      ...(line.merchantId === undefined ? {} : { merchantId: line.merchantId }),
      ...(line.tno === undefined ? {} : { tno: line.tno }),
    })),
  };
}

export async function pairReader(
  ctx: WalletContext,
  device: { vendorId: number; productId: number; productName: string },
  card: CardReading,
): Promise<PurseReaderView> {
  const bank = await issuingBank(ctx, fromBase64url(card.certificate));
  const now = ctx.platform.now();
  const record = recordOf(card, {
    ...device,
    bankUrl: bank.url,
    preferred: true,
    pairedAt: now,
    readAt: now,
  });
  await ctx.db.put('purseReaders', record);
  return readerView(record);
}

/** What a page read from the card now; refused for another card than the paired one. */
export async function updateReader(
  ctx: WalletContext,
  card: CardReading,
): Promise<PurseReaderView> {
  return changePairedReader(ctx, (paired) => {
    if (card.cardId !== paired.cardId) {
      throw new WalletFailure(
        'reader_unavailable',
        'Another card is in the reader: pair it first, or put the paired card back.',
        { hint: 'purse' },
      );
    }
    return recordOf(card, { ...paired, readAt: ctx.platform.now() });
  });
}

export async function preferPurse(
  ctx: WalletContext,
  preferred: boolean,
): Promise<PurseReaderView> {
  return changePairedReader(ctx, (paired) => ({ ...paired, preferred }));
}

/** Stores what `change` makes of the paired reader's record, and answers its view. */
async function changePairedReader(
  ctx: WalletContext,
  change: (paired: PurseReaderRecord) => PurseReaderRecord,
): Promise<PurseReaderView> {
  const record = change(await requirePairedReader(ctx));
  await ctx.db.put('purseReaders', record);
  return readerView(record);
}

export async function unpairReader(ctx: WalletContext): Promise<null> {
  await ctx.db.delete('purseReaders', 'reader');
  return null;
}

const personalisationAnswer = v.object({
  certificate: v.string(),
  issuerRoot: v.string(),
  issuerLoadKey: v.string(),
  maximum: v.pipe(
    v.string(),
    v.check((text) => {
      try {
        parseAmount(text);
        return true;
      } catch {
        return false;
      }
    }),
  ),
});

/**
 * A POST to the bank's purse service as the account logged in at `bankUrl`. Each request is
 * keyed (`purse-<key>`): a page that lost the answer asks again and gets the same one.
 */
async function postToPurseService<S extends v.GenericSchema>(
  ctx: WalletContext,
  bankUrl: string,
  path: `/v1/purse/${string}`,
  key: string,
  body: Readonly<Record<string, string>>,
  answer: S,
): Promise<v.InferOutput<S>> {
  const token = await sessionToken(ctx, bankUrl);
  const url = new URL(path, bankUrl).href;
  return requestJson(
    ctx.platform,
    bankParty,
    { method: 'POST', url, token, idempotencyKey: `purse-${key}`, body },
    answer,
  );
}

/** POST /v1/purse/cards: the bank certifies a blank card's key for the logged-in account. */
export async function issueCard(
  ctx: WalletContext,
  input: { bankUrl: string; cardId: string; publicKey: string },
): Promise<PursePersonalisationView> {
  const bank = await trustedBank(ctx, input.bankUrl);
  const { cardId, publicKey } = input;
  // One card is certified once: a retry is the same request.
  const answer = await postToPurseService(
    ctx,
    bank.url,
    '/v1/purse/cards',
    `card-${cardId}`,
    { cardId, publicKey },
    personalisationAnswer,
  );
  return {
    certificate: answer.certificate,
    issuerRoot: answer.issuerRoot,
    issuerLoadKey: answer.issuerLoadKey,
    maximum: moneyView(parseAmount(answer.maximum)),
  };
}

const loadAnswer = v.object({ authorization: v.string() });

/**
 * POST /v1/purse/loads: the account is debited and the card's shadow account credited; the
 * answer is the authorization for the card's LOAD. Keyed by the card and its load counter, so
 * a page that lost the answer asks again and gets the same authorization, never a second debit.
 */
export async function authorizeLoad(
  ctx: WalletContext,
  loadRequest: string,
): Promise<{ authorization: string }> {
  const paired = await requirePairedReader(ctx);
  const bytes = fromBase64url(loadRequest);
  const request = purseLoadRequests.decode(bytes);
  if (request.cardId !== paired.cardId) {
    throw new WalletFailure('reader_unavailable', 'The load request is from another card.');
  }
  const key = `load-${request.cardId}-${request.loadCounter}`;
  const body = { loadRequest: toBase64url(bytes) };
  const answer = await postToPurseService(
    ctx,
    paired.bankUrl,
    '/v1/purse/loads',
    key,
    body,
    loadAnswer,
  );
  return { authorization: answer.authorization };
}
