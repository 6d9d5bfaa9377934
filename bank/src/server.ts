/**
 * Starting and stopping the bank: open storage, load keys, serve HTTP on loopback by default,
 * run periodic housekeeping, and on SIGTERM/SIGINT stop accepting, finish what is in flight,
 * commit and close the database.
 */
import type { Server } from 'node:http';
import { FarthingError, toProblemDetails } from '@farthing/protocol/errors';
import { createHttpServer } from '@farthing/server-runtime/http-server';
import { getRequestListener } from '@hono/node-server';
import { createBankApp } from './app.ts';
import { openBankCertificateAuthority } from './ca/bank-authority.ts';
import type { BankConfig } from './config.ts';
import type { BankContext } from './http/context.ts';
import { loadBankKeys } from './keys.ts';
import { createLogger, type Logger } from './log.ts';
import { depositListener } from './mint/deposit-http.ts';
import { DepositVerifier, depositThreadsFromEnv } from './mint/deposit-verifier.ts';
import { Keyring } from './mint/keyring.ts';
import { loadMintKeyPolicy } from './mint/policy.ts';
import { seedDemo } from './seed.ts';
import { describeLocation, openBankStore } from './store/open.ts';

export interface RunningBank {
  readonly ctx: BankContext;
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Stops accepting connections, lets requests in flight finish (up to 10 s) and closes idle
 * keep-alive connections at once, so a stop does not wait for clients to hang up.
 */
async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const force = setTimeout(() => server.closeAllConnections(), 10_000);
  force.unref();
  await closed;
  clearTimeout(force);
}

export async function startBank(
  config: BankConfig,
  log: Logger = createLogger(config),
): Promise<RunningBank> {
  const store = await openBankStore(config);
  const now = () => Date.now();
  const keys = await loadBankKeys(store, now());
  const ca = await openBankCertificateAuthority(store, { bankId: config.bankId, now: now() });
  const mint = await Keyring.open({
    store,
    log,
    masterKey: keys.mintMaster,
    currency: config.currency,
    now,
    policy: loadMintKeyPolicy(process.env, config.currency),
  });
  mint.start();
  const threads = depositThreadsFromEnv(process.env);
  const depositVerifier = new DepositVerifier({
    keyring: mint,
    log,
    ...(threads === undefined ? {} : { threads }),
  });
  // Waits for the workers to load (~0.4 s of CPU each, mostly tsx): a bank that cannot run
  // them fails here rather than on its first deposit.
  await depositVerifier.start().catch(async (error: unknown) => {
    await depositVerifier.stop();
    throw error;
  });
  const ctx: BankContext = { config, store, log, keys, mint, ca, depositVerifier, now };
  const app = createBankApp(ctx);
  if (config.seedDemo) await seedDemo(ctx);

  // Deposits are served straight from node:http (mint/deposit-http.ts); the rest by Hono.
  const honoListener = getRequestListener(app.fetch, { hostname: config.host });
  const deposits = depositListener(ctx);
  // Node's own refusals are coded problems, and a slow client is cut off (http-server.ts). Idle
  // keep-alive connections live longer (65 s by default) than on any sensible client: Node's
  // 5 s is shorter than clients and proxies keep one, and a client reusing a connection the
  // bank just closed sees its request fail.
  const server = createHttpServer(
    (request, response) => {
      if (!deposits(request, response)) void honoListener(request, response);
    },
    {
      timeouts: config.httpTimeouts,
      refusal: (code, detail) => {
        const problem = toProblemDetails(new FarthingError(code, detail));
        return { status: problem.status, body: JSON.stringify(problem) };
      },
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  const housekeeping = setInterval(() => {
    const at = ctx.now();
    store
      .releasePaywordHolds({ expiredBefore: at - config.paywordRedeemGraceMs, now: at })
      .then((released) => {
        if (released > 0) log.info({ released }, 'released expired PayWord holds');
      })
      .catch((error: unknown) => log.error({ err: error }, 'PayWord hold release failed'));
  }, 60_000);
  housekeeping.unref();

  log.info({ url, database: describeLocation(config.databasePath) }, 'bank listening');
  let stopping: Promise<void> | undefined;
  return {
    ctx,
    url,
    port,
    stop() {
      stopping ??= (async () => {
        clearInterval(housekeeping);
        mint.stop();
        await closeServer(server);
        await depositVerifier.stop();
        await store.close();
        log.info('bank stopped');
      })();
      return stopping;
    },
  };
}
