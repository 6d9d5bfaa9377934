/**
 * The background's end of the content scripts' ports (messages/port.ts): each call is checked
 * and answered exactly as a runtime message is (router.ts), with the sender the browser gave
 * when the port was opened, and its answer goes back with the call's id.
 */
import * as v from 'valibot';
import type { Answer } from '../messages/contract.ts';
import {
  contentPortName,
  type PortAnswer,
  type PortLike,
  portCallSchema,
} from '../messages/port.ts';
import type { MessageSenderLike } from './senders.ts';

export interface ServedPort extends PortLike {
  /** The browser's `MessageSender` of the side that opened the port. */
  readonly sender?: MessageSenderLike;
  disconnect(): void;
}

export type Route = (message: unknown, sender: MessageSenderLike) => Promise<Answer<unknown>>;

export function serveContentPort(port: ServedPort, route: Route): void {
  if (port.name !== contentPortName) {
    port.disconnect();
    return;
  }
  // Without a sender, the router refuses every call (forbidden_sender).
  const sender = port.sender ?? {};
  port.onMessage.addListener((message) => {
    const call = v.safeParse(portCallSchema, message);
    // No id to answer to: nothing to say.
    if (!call.success) return;
    const { id, request } = call.output;
    void route(request, sender).then((answer) => {
      try {
        port.postMessage({ id, answer } satisfies PortAnswer);
      } catch {
        // The page went away meanwhile; what the call did is in the wallet's records.
      }
    });
  });
}
