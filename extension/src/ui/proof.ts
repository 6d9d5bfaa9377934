/** "Prove this payment": the mint's signed statement saved as a JSON file and a readable page. */
import { callBackground } from '../messages/client.ts';
import type { Platform } from './platform.ts';

export async function downloadProof(platform: Platform, receiptId: string): Promise<void> {
  const files = await callBackground(platform.transport, 'payment.prove', { receiptId });
  platform.download(files.fileName, files.text, 'application/json');
  platform.download(files.pageName, files.page, 'text/html');
}
