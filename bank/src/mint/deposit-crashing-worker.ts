/**
 * Test fixture (deposit-verifier.test.ts): the deposit worker, except that a batch holding a
 * request from merchant `crash` ends the thread before it is checked, as a fatal bug would.
 */
import { parentPort } from 'node:worker_threads';
import type { ToDepositWorker } from './deposit-worker.ts';

const port = parentPort;
if (port === null) throw new Error('deposit-crashing-worker.ts runs as a worker thread');
// The worker's listener, registered when it is imported below, sees each message after this
// check. (A listener of its own would start the port early and take messages from it.)
const on = port.on.bind(port);
port.on = ((event: 'message', listener: (message: ToDepositWorker) => void) =>
  on(event, (message: ToDepositWorker) => {
    if (message.type === 'check' && message.jobs.some((job) => job.merchantId === 'crash')) {
      process.exit(70);
    }
    listener(message);
  })) as typeof port.on;
await import('./deposit-worker.ts');
