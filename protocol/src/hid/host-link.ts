/**
 * The host's end of the report stream: allocates a channel with INIT, sends one message at a
 * time and reassembles the answer, following KEEPALIVEs (the device is working or waiting for
 * its button) and turning ERROR into the matching `FarthingError`. Transport-agnostic: it
 * needs a way to send a report and to be handed each report that arrives (reader/'s socket-client.ts
 * over the emulator's WebSocket; the extension's bridge over WebHID uses the same framing).
 */
import { FarthingError } from '../errors.ts';
import {
  type HidInitResponse,
  hidErrorFromPayload,
  hidInitNonceLength,
  parseHidInitResponse,
} from './control.ts';
import {
  encodeHidMessage,
  type HidCommand,
  HidMessageAssembler,
  hidBroadcastChannel,
  hidCommands,
} from './framing.ts';

export interface HidHostLinkOptions {
  readonly send: (report: Uint8Array) => void;
  /** Longest silence from the device, KEEPALIVEs included, before `hid_timeout`. */
  readonly timeoutMs?: number;
  readonly onKeepalive?: (status: number) => void;
}

interface Exchange {
  readonly expect: HidCommand;
  readonly resolve: (payload: Uint8Array) => void;
  readonly reject: (error: unknown) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class HidHostLink {
  readonly #send: (report: Uint8Array) => void;
  readonly #timeoutMs: number;
  readonly #onKeepalive: ((status: number) => void) | undefined;
  readonly #assembler: HidMessageAssembler;
  #channel: number = hidBroadcastChannel;
  #exchange: Exchange | undefined;

  constructor(options: HidHostLinkOptions) {
    this.#send = options.send;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#onKeepalive = options.onKeepalive;
    this.#assembler = new HidMessageAssembler({
      acceptsChannel: (channel) => channel === this.#channel || channel === hidBroadcastChannel,
    });
  }

  get channel(): number {
    return this.#channel;
  }

  /** Hand every report from the device to this. */
  receive(report: Uint8Array): void {
    const result = this.#assembler.receive(report, Date.now());
    if (result.status === 'refused') {
      const { error } = result;
      // CTAP 2.1 §11.2.4: a host ignores packets on channels that are not its own.
      if (error.code !== 'hid_invalid_channel') this.#finish((exchange) => exchange.reject(error));
      return;
    }
    const exchange = this.#exchange;
    if (result.status === 'pending' || exchange === undefined) return;
    const { command, payload } = result.message;
    if (command === hidCommands.keepalive) {
      this.#arm(exchange);
      this.#onKeepalive?.(payload[0] ?? 0);
    } else if (command === hidCommands.error) {
      this.#finish((e) => e.reject(hidErrorFromPayload(payload)));
    } else if (command === exchange.expect) {
      this.#finish((e) => e.resolve(payload));
    } else {
      this.#finish((e) =>
        e.reject(new FarthingError('hid_invalid_command', 'the device answered another command')),
      );
    }
  }

  /** Drops the exchange in progress (the transport closed). */
  abort(error: unknown): void {
    this.#finish((exchange) => exchange.reject(error));
  }

  #finish(settle: (exchange: Exchange) => void): void {
    const exchange = this.#exchange;
    if (exchange === undefined) return;
    clearTimeout(exchange.timer);
    this.#exchange = undefined;
    settle(exchange);
  }

  #arm(exchange: Exchange): void {
    clearTimeout(exchange.timer);
    exchange.timer = setTimeout(
      () =>
        this.#finish((e) =>
          e.reject(new FarthingError('hid_timeout', 'the reader stopped answering')),
        ),
      this.#timeoutMs,
    );
  }

  #exchangeMessage(command: HidCommand, payload: Uint8Array, channel = this.#channel) {
    if (this.#exchange !== undefined) {
      return Promise.reject(
        new FarthingError('hid_channel_busy', 'one exchange with the reader at a time'),
      );
    }
    return new Promise<Uint8Array>((resolve, reject) => {
      const exchange: Exchange = {
        expect: command,
        resolve,
        reject,
        timer: undefined as unknown as ReturnType<typeof setTimeout>,
      };
      this.#exchange = exchange;
      this.#arm(exchange);
      for (const report of encodeHidMessage({ channel, command, payload })) this.#send(report);
    });
  }

  /** CTAP 2.1 §11.2.9.1.3: a channel of our own. */
  async init(): Promise<HidInitResponse> {
    const nonce = crypto.getRandomValues(new Uint8Array(hidInitNonceLength));
    this.#channel = hidBroadcastChannel;
    const payload = await this.#exchangeMessage(hidCommands.init, nonce, hidBroadcastChannel);
    const response = parseHidInitResponse(payload, nonce);
    this.#channel = response.channel;
    return response;
  }

  ping(payload: Uint8Array): Promise<Uint8Array> {
    return this.#exchangeMessage(hidCommands.ping, payload);
  }

  /** One command APDU to the card, its response APDU back. */
  transmit(apdu: Uint8Array): Promise<Uint8Array> {
    if (this.#channel === hidBroadcastChannel) {
      return Promise.reject(new FarthingError('hid_invalid_channel', 'call init() first'));
    }
    return this.#exchangeMessage(hidCommands.msg, apdu);
  }

  /** Asks the device to give up the request in progress (it answers that request). */
  cancel(): void {
    for (const report of encodeHidMessage({
      channel: this.#channel,
      command: hidCommands.cancel,
      payload: new Uint8Array(0),
    })) {
      this.#send(report);
    }
  }
}
