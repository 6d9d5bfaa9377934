import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveContentPort } from '../background/content-port.ts';
import { routeMessage } from '../background/router.ts';
import { contentSender, openRouterDeps } from '../background/router-testing.ts';
import type { MessageSenderLike } from '../background/senders.ts';
import type { Wallet } from '../wallet/wallet.ts';
import { callBackground } from './client.ts';
import type { Answer } from './contract.ts';
import { WalletFailure } from './failure.ts';
import { contentPortName, PortClosedError, type PortLike, portTransport } from './port.ts';

interface TestPort extends PortLike {
  readonly sender?: MessageSenderLike;
  disconnect(): void;
}

interface TestEnd extends TestPort {
  closed: boolean;
  peer: TestEnd | undefined;
  deliver(message: unknown): void;
  fireDisconnect(): void;
}

/**
 * Two ends of a runtime port as the browser gives them: messages arrive later and as copies,
 * and closing one end tells the other (not itself); a closed end throws on postMessage.
 */
function portPair(name: string, sender?: MessageSenderLike): { client: TestEnd; server: TestEnd } {
  const make = (): TestEnd => {
    const messageListeners: ((message: unknown) => void)[] = [];
    const disconnectListeners: (() => void)[] = [];
    const end: TestEnd = {
      name,
      ...(sender === undefined ? {} : { sender }),
      closed: false,
      peer: undefined,
      postMessage(message: unknown) {
        if (end.closed) throw new Error('Attempting to use a disconnected port object');
        const copy = structuredClone(message);
        setTimeout(() => end.peer?.deliver(copy), 0);
      },
      onMessage: { addListener: (listener) => messageListeners.push(listener) },
      onDisconnect: { addListener: (listener) => disconnectListeners.push(listener) },
      disconnect() {
        if (end.closed) return;
        end.closed = true;
        const peer = end.peer;
        if (peer !== undefined && !peer.closed) {
          peer.closed = true;
          setTimeout(() => peer.fireDisconnect(), 0);
        }
      },
      deliver(message: unknown) {
        if (end.closed) return;
        for (const listener of messageListeners) listener(message);
      },
      fireDisconnect() {
        for (const listener of disconnectListeners) listener();
      },
    };
    return end;
  };
  const client = make();
  const server = make();
  client.peer = server;
  server.peer = client;
  return { client, server };
}

const content = contentSender;
let wallet: Wallet;
let route: (message: unknown, sender: MessageSenderLike) => Promise<Answer<unknown>>;

beforeAll(async () => {
  const deps = await openRouterDeps('port');
  wallet = deps.wallet;
  route = (message, sender) => routeMessage(deps, message, sender);
});

afterAll(() => wallet.close());

/** A transport whose ports the background serves with the router, as the service worker does. */
function servedTransport(sender: MessageSenderLike | null) {
  const opened: ReturnType<typeof portPair>[] = [];
  const transport = portTransport(() => {
    const pair = portPair(contentPortName, sender ?? undefined);
    opened.push(pair);
    serveContentPort(pair.server, route);
    return pair.client;
  });
  return { transport, opened };
}

describe('content port', () => {
  it('answers calls through the router, with the sender the browser gave the port', async () => {
    const { transport, opened } = servedTransport(content);
    const [refused, unknown] = await Promise.all([
      callBackground(transport, 'backup.export', { passphrase: 'x'.repeat(10) }).catch(
        (error: unknown) => error,
      ),
      callBackground(transport, 'offer.describe', { offer: 'x', href: 'https://shop.example/b' }),
    ]);
    expect(refused).toBeInstanceOf(WalletFailure);
    expect((refused as WalletFailure).code).toBe('forbidden_sender');
    expect(unknown).toMatchObject({ status: 'refused', error: { code: 'offer_invalid' } });
    expect(opened).toHaveLength(1);
  });

  it('refuses every call on a port the browser gave no sender', async () => {
    const { transport } = servedTransport(null);
    const error = await callBackground(transport, 'offer.describe', {
      offer: 'x',
      href: 'https://shop.example/b',
    }).catch((e: unknown) => e);
    expect((error as WalletFailure).code).toBe('forbidden_sender');
  });

  it('matches answers to calls by id, whatever order they come in', async () => {
    const pair = portPair(contentPortName);
    const transport = portTransport(() => pair.client);
    const calls: { id: number; request: unknown }[] = [];
    pair.server.onMessage.addListener((message) => calls.push(message as (typeof calls)[number]));
    const first = transport({ action: 'settings.get', input: {} });
    const second = transport({ action: 'wallet.overview', input: {} });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(calls.map((call) => call.id)).toEqual([0, 1]);
    pair.server.postMessage({ id: 1, answer: 'second' });
    pair.server.postMessage({ id: 7, answer: 'nobody asked' });
    pair.server.postMessage({ answer: 'no id' });
    pair.server.postMessage({ id: 0, answer: 'first' });
    expect(await Promise.all([first, second])).toEqual(['first', 'second']);
  });

  it('fails the calls waiting when the port closes, and opens a new port for the next call', async () => {
    const pairs: ReturnType<typeof portPair>[] = [];
    const transport = portTransport(() => {
      const pair = portPair(contentPortName);
      pairs.push(pair);
      return pair.client;
    });
    const waiting = transport({ action: 'settings.get', input: {} });
    await new Promise((resolve) => setTimeout(resolve, 5));
    // The worker stops.
    pairs[0]!.server.disconnect();
    await expect(waiting).rejects.toBeInstanceOf(PortClosedError);
    const next = transport({ action: 'settings.get', input: {} });
    expect(pairs).toHaveLength(2);
    pairs[1]!.server.onMessage.addListener((message) =>
      pairs[1]!.server.postMessage({ id: (message as { id: number }).id, answer: 'again' }),
    );
    expect(await next).toBe('again');
  });

  it('sends once more on a new port when the old one is found closed before its event', async () => {
    const pairs: ReturnType<typeof portPair>[] = [];
    const transport = portTransport(() => {
      const pair = portPair(contentPortName, content);
      pairs.push(pair);
      serveContentPort(pair.server, route);
      return pair.client;
    });
    await callBackground(transport, 'offer.describe', {
      offer: 'x',
      href: 'https://shop.example/b',
    });
    // Closed, and its disconnect event not delivered yet.
    pairs[0]!.client.closed = true;
    const answer = await callBackground(transport, 'offer.describe', {
      offer: 'x',
      href: 'https://shop.example/b',
    });
    expect(answer.status).toBe('refused');
    expect(pairs).toHaveLength(2);
  });

  it('disconnects ports that are not the content port', () => {
    const pair = portPair('something-else', content);
    serveContentPort(pair.server, route);
    expect(pair.server.closed).toBe(true);
  });
});
