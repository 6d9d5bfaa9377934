/**
 * The emulated reader's control API from a local program (server.ts): read the display and
 * the card, press a button — what a person does with the reader in hand. For tests, the bench
 * and tools; it sends no `Origin` and a JSON content type, as the server requires.
 */

export interface ReaderDisplay {
  readonly lines: string[];
  readonly waitingForButton: boolean;
}

export interface ReaderCardState {
  readonly cardId: string;
  readonly state: string;
  readonly balance?: string;
  readonly sno?: number;
  readonly loadCounter?: number;
}

async function call<T>(controlUrl: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${controlUrl}/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  if (!response.ok) {
    throw new Error(`reader control ${path}: ${response.status} ${await response.text()}`);
  }
  return (await response.json()) as T;
}

export const readerDisplay = (controlUrl: string): Promise<ReaderDisplay> =>
  call(controlUrl, 'display');

export const readerCard = (controlUrl: string): Promise<ReaderCardState> =>
  call(controlUrl, 'card');

/** Presses a button; answers the display after the press. */
export const pressReaderButton = (
  controlUrl: string,
  button: 'confirm' | 'cancel',
): Promise<ReaderDisplay> => call(controlUrl, 'press', { button });
