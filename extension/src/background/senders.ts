/**
 * Who sent a message, from the browser's `MessageSender` only (never the payload): a content
 * script of this extension in the top frame of an http(s) tab, or one of this extension's
 * own pages. Anything else is `forbidden_sender`.
 */
import type { Sender } from '../messages/contract.ts';
import { WalletFailure } from '../wallet/errors.ts';

/** The fields of `runtime.MessageSender` the checks read. */
export interface MessageSenderLike {
  readonly id?: string;
  readonly url?: string;
  readonly origin?: string;
  readonly frameId?: number;
  readonly tab?: { readonly id?: number };
}

export interface ExtensionIdentity {
  readonly id: string;
  /** `runtime.getURL('')`, e.g. `chrome-extension://<id>/`. */
  readonly baseUrl: string;
}

export type VerifiedSender =
  | {
      readonly kind: 'content';
      readonly pageUrl: string;
      readonly origin: string;
      readonly tabId: number;
    }
  | { readonly kind: 'extension'; readonly pageUrl: string };

function forbidden(message: string): WalletFailure {
  return new WalletFailure('forbidden_sender', message);
}

export function verifySender(
  sender: MessageSenderLike,
  identity: ExtensionIdentity,
  expected: Sender,
): VerifiedSender {
  if (sender.id !== identity.id) throw forbidden('Only this wallet may send it messages.');
  const url = sender.url;
  if (url === undefined) throw forbidden('The message has no sender address.');
  if (expected === 'extension') {
    if (!url.startsWith(identity.baseUrl)) {
      throw forbidden('Only the wallet’s own pages may do this.');
    }
    return { kind: 'extension', pageUrl: url };
  }
  if (sender.tab?.id === undefined) throw forbidden('Payments are asked for from a tab.');
  if (sender.frameId !== 0) throw forbidden('Only the top frame of a page may ask for payments.');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw forbidden('The sender address is not a URL.');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw forbidden('Only web pages may ask for payments.');
  }
  // Chromium sets `origin` for content scripts; when present it must agree with the URL.
  if (sender.origin !== undefined && sender.origin !== parsed.origin) {
    throw forbidden('The sender’s origin does not match its address.');
  }
  return { kind: 'content', pageUrl: url, origin: parsed.origin, tabId: sender.tab.id };
}
