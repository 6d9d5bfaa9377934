/**
 * The purse page (an extension tab: `requestDevice()` needs a user gesture in a window, and a
 * popup closes when the browser's chooser opens) and the settings page's load form: pairing a
 * reader, personalising a blank card through the bank, reading balance and log, loading with
 * the PIN, unpairing. The page holds the reader (wallet/instruments/purse/hid-transport.ts says why).
 */
import { amount } from '@farthing/protocol/amount';
import { fromBase64url, toBase64url } from '@farthing/protocol/encoding';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { callBackground } from '../../messages/client.ts';
import type { WalletErrorJson } from '../../messages/contract.ts';
import { WalletFailure } from '../../messages/failure.ts';
import type { PurseReaderView } from '../../messages/purse.ts';
import { parseMajorUnits } from '../../ui/money.ts';
import type { Platform } from '../../ui/platform.ts';
import { whileBusy } from '../../ui/task.ts';
import { loadCard, readCard } from '../../wallet/instruments/purse/card-session.ts';
import {
  type HidDeviceLike,
  type HidLike,
  type ReaderLinkState,
  ReaderTransport,
  readerFilters,
} from '../../wallet/instruments/purse/hid-transport.ts';
import { cardErrorOf } from './card-errors.ts';

export type LoadStep = 'pin' | 'bank' | 'card';

export interface BlankCard {
  readonly cardId: string;
  readonly publicKey: Uint8Array;
  readonly device: HidDeviceLike;
}

export type PurseState =
  | { readonly status: 'loading' }
  | {
      readonly status: 'ready';
      readonly reader: PurseReaderView | null;
      /** A blank card in the reader just picked: it needs the bank and a PIN first. */
      readonly blank: BlankCard | null;
      readonly link: ReaderLinkState | null;
      readonly busy: boolean;
      readonly loadStep: LoadStep | null;
      readonly error: WalletErrorJson | null;
      readonly notice: string | null;
      readonly banks: readonly { readonly url: string; readonly name: string }[];
      pair(): void;
      personalise(bankUrl: string, pin: string, repeat: string): void;
      refresh(): void;
      load(amountText: string, pin: string): void;
      prefer(preferred: boolean): void;
      unpair(): void;
    };

export interface PurseDeps {
  readonly platform: Platform;
  /** `navigator.hid`, read when the reader is needed (wallet/instruments/purse/hid-transport.ts `webHid`). */
  readonly hid: () => HidLike;
}

export function usePurseState(deps: PurseDeps): PurseState {
  const { platform } = deps;
  const [reader, setReader] = useState<PurseReaderView | null | undefined>(undefined);
  const [banks, setBanks] = useState<readonly { url: string; name: string }[]>([]);
  const [blank, setBlank] = useState<BlankCard | null>(null);
  const [link, setLink] = useState<ReaderLinkState | null>(null);
  const [busy, setBusy] = useState(false);
  const [loadStep, setLoadStep] = useState<LoadStep | null>(null);
  const [error, setError] = useState<WalletErrorJson | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const transport = useRef<ReaderTransport | undefined>(undefined);

  useEffect(() => {
    void Promise.all([
      callBackground(platform.transport, 'purse.status', {}),
      callBackground(platform.transport, 'wallet.overview', {}),
    ]).then(
      ([status, overview]) => {
        setReader(status);
        setBanks(overview.banks.map((bank) => ({ url: bank.url, name: bank.name })));
      },
      (failure: unknown) => {
        setReader(null);
        setError(cardErrorOf(failure));
      },
    );
    return () => void transport.current?.close();
  }, [platform]);

  const transportFor = useCallback(
    (match?: (device: HidDeviceLike) => boolean) => {
      void transport.current?.close();
      transport.current = new ReaderTransport(deps.hid(), {
        ...(match === undefined ? {} : { match }),
        onState: setLink,
      });
      return transport.current;
    },
    [deps],
  );

  /** The paired reader, opened (waiting a few seconds for it to be plugged in). */
  const pairedTransport = useCallback(async () => {
    const paired = reader;
    if (paired === null || paired === undefined) {
      throw new WalletFailure('reader_unavailable', 'Pair a reader first.', { hint: 'purse' });
    }
    const current = transport.current;
    if (current?.device !== undefined) return current;
    const opened = transportFor(
      (d) => d.vendorId === paired.vendorId && d.productId === paired.productId,
    );
    await opened.connect(5_000);
    return opened;
  }, [reader, transportFor]);

  const run = useCallback(async (work: () => Promise<void>) => {
    setError(null);
    setNotice(null);
    await whileBusy(setBusy, work, (failure) => setError(cardErrorOf(failure)));
    setLoadStep(null);
  }, []);

  const report = useCallback(
    async (opened: ReaderTransport) => {
      const read = await readCard(opened.card());
      if (read.status !== 'personalised') {
        throw new WalletFailure('reader_unavailable', 'The card in the reader is blank.');
      }
      const view = await callBackground(platform.transport, 'purse.update', { card: read.reading });
      setReader(view);
      return view;
    },
    [platform],
  );

  if (reader === undefined) return { status: 'loading' };
  return {
    status: 'ready',
    reader,
    blank,
    link,
    busy,
    loadStep,
    error,
    notice,
    banks,
    pair: () =>
      void run(async () => {
        const hid = deps.hid();
        const [device] = await hid.requestDevice({ filters: readerFilters });
        if (device === undefined) {
          setNotice('No reader was chosen.');
          return;
        }
        const opened = transportFor((d) => d === device);
        await opened.connect();
        const read = await readCard(opened.card());
        if (read.status === 'blank') {
          setBlank({ cardId: read.cardId, publicKey: read.publicKey, device });
          return;
        }
        const deviceInfo = {
          vendorId: device.vendorId,
          productId: device.productId,
          productName: device.productName.slice(0, 200),
        };
        setReader(
          await callBackground(platform.transport, 'purse.pair', {
            device: deviceInfo,
            card: read.reading,
          }),
        );
        setNotice(`Paired: card ${read.reading.cardId}.`);
      }),
    personalise: (bankUrl, pin, repeat) =>
      void run(async () => {
        if (blank === null) return;
        if (!/^[0-9]{4,8}$/.test(pin)) {
          setNotice('A PIN is 4 to 8 digits.');
          return;
        }
        if (pin !== repeat) {
          setNotice('The two PINs differ.');
          return;
        }
        const issued = await callBackground(platform.transport, 'purse.issue', {
          bankUrl,
          cardId: blank.cardId,
          publicKey: toBase64url(blank.publicKey),
        });
        const card = transport.current!.card();
        await card.personalise({
          certificate: fromBase64url(issued.certificate),
          issuerRoot: fromBase64url(issued.issuerRoot),
          issuerLoadKey: fromBase64url(issued.issuerLoadKey),
          pin,
          maximum: amount(issued.maximum.currency, issued.maximum.minor),
        });
        const read = await readCard(card);
        if (read.status !== 'personalised') {
          throw new WalletFailure('reader_unavailable', 'The card stayed blank; try again.');
        }
        const { device } = blank;
        setReader(
          await callBackground(platform.transport, 'purse.pair', {
            device: {
              vendorId: device.vendorId,
              productId: device.productId,
              productName: device.productName.slice(0, 200),
            },
            card: read.reading,
          }),
        );
        setBlank(null);
        setNotice(`Your bank issued card ${read.reading.cardId}; it is paired.`);
      }),
    refresh: () =>
      void run(async () => {
        await report(await pairedTransport());
      }),
    load: (amountText, pin) =>
      void run(async () => {
        if (reader === null) return;
        const parsed = parseMajorUnits(amountText, reader.balance.currency);
        if (!parsed.ok) {
          setNotice(parsed.message);
          return;
        }
        const opened = await pairedTransport();
        await loadCard(
          opened.card(),
          amount(parsed.amount.currency, parsed.amount.minor),
          pin,
          async (request) => {
            const { authorization } = await callBackground(
              platform.transport,
              'purse.authorizeLoad',
              { loadRequest: toBase64url(request) },
            );
            return fromBase64url(authorization);
          },
          setLoadStep,
        ).catch(async (failure: unknown) => {
          // A blocked card says so on the page; its state is read back for the popup too.
          await report(opened).catch(() => undefined);
          throw failure;
        });
        const view = await report(opened);
        setNotice(`Loaded. The card holds ${view.balance.text}.`);
      }),
    prefer: (preferred) =>
      void run(async () => {
        setReader(await callBackground(platform.transport, 'purse.prefer', { preferred }));
      }),
    unpair: () =>
      void run(async () => {
        await callBackground(platform.transport, 'purse.unpair', {});
        await transport.current?.close();
        transport.current = undefined;
        setReader(null);
        setNotice('The reader is forgotten. Pair it again to pay with the purse.');
      }),
  };
}
