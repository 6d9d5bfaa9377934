/**
 * `npm run bank` — start the bank (default), or:
 *   npm run bank -- check   prove the books balance (exit status 1 if not)
 *   npm run bank -- migrate bring the database's schema up to date, then exit
 */
import { loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { startBank } from './server.ts';
import { describeLocation, openBankStore } from './store/open.ts';

const command = process.argv[2] ?? 'start';
const config = loadConfig();

switch (command) {
  case 'start': {
    const log = createLogger(config);
    const bank = await startBank(config, log);
    process.stdout.write(`Farthing bank at ${bank.url}\n`);
    const shutdown = (signal: string) => {
      log.info({ signal }, 'shutting down');
      bank.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
    break;
  }
  case 'check': {
    const store = await openBankStore(config);
    const report = await store.checkInvariants();
    await store.close();
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(
      report.ok ? 'the books balance\n' : `${report.problems.length} problems found\n`,
    );
    process.exit(report.ok ? 0 : 1);
    break;
  }
  case 'migrate': {
    // Opening the store applies the missing migrations (once, whichever process gets there
    // first), so `start` does it too; this lets an operator do it before a rollout.
    const store = await openBankStore(config);
    await store.close();
    process.stdout.write(`the schema of ${describeLocation(config.databasePath)} is up to date\n`);
    break;
  }
  default:
    process.stderr.write(`unknown command "${command}"; use: start | check | migrate\n`);
    process.exit(2);
}
