/**
 * What the wallet's pages need from the browser, behind one small interface so every screen runs
 * in tests with a fake (Taler's web extension does the same).
 */
import type { Transport } from '../messages/client.ts';

export type WalletPage = 'popup' | 'settings' | 'history' | 'purse' | 'recovery';

export interface Platform {
  /** Messages to the background (`runtime.sendMessage`). */
  readonly transport: Transport;
  /** Opens one of the wallet's pages in a tab, optionally at a section (`sites`). */
  openPage(page: WalletPage, section?: string): void;
  /** Saves `text` as a file the user downloads. */
  download(fileName: string, text: string, mimeType: string): void;
  /** Closes the current window (the confirmation window, the popup). */
  closeWindow(): void;
}
