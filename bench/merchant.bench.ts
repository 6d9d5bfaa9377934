/**
 * The merchant SDK under load, in the demo shop as `npm start` runs it: the bank and the shop
 * each in their own process on loopback, sharing one data folder (the bank seeds the demo
 * merchant and writes its API key, the shop registers and opens its SQLite store: WAL, each
 * payment on disk before its answer). The load generator (autocannon) runs in this process on
 * the same 2 cores.
 *
 * Wallet-side work (chains, commitments, coins, deposit permissions, credential JSON) is done
 * before each timed phase, so the figures are the shop's (and, for e-cash, the mint's).
 *
 *  - merchant.free_page_per_s      GET of a free article page (full HTML, same server)
 *  - merchant.payword_pay_per_s    POST /.well-known/farthing/pay with PayWord credentials:
 *                                  one chain per connection, one word (one cent) per payment,
 *                                  each stored durably before the answer
 *  - merchant.ecash_pay_per_s      the same endpoint with one-cent coins, each deposited at the
 *                                  mint (a real bank process) before the answer
 *  - merchant.payword_vs_free_ratio  the first two, measured in the same run (target ≥ 0.8 in
 *                                  every round): five alternating rounds of 2 s of free pages
 *                                  and 19,200 payments, the ratio taken round by round
 *
 * Every figure is the median of its rounds with their range (stats.ts); each round's line
 * also says where the CPU went per request (the shop's event loop, its whole process and each
 * other thread, from /proc: thread-cpu.ts; the load generator, this process), how long the
 * shop's event loop was ready to run but waiting for a core, and how busy the whole machine was.
 * A free page keeps two threads busy on the two cores (the event loop and the load generator);
 * a payment four (with the writer and signing threads), and then the event loop waits.
 *
 * Free pages and PayWord payments both come from 64 concurrent connections. A payment is
 * answered only once its commit is on disk, so each connection waits ~4–6 ms per payment for
 * the batch it joined (timed at the writer thread under this load, 5 December); with 16
 * connections that wait, not the server, bounded the rate (PayWord/free ~0.45 with the
 * server's event loop ~70% busy, against ~0.6 at 64 on the same build). A site taking
 * thousands of payments a second has many more visitors than that at once; the free pages are
 * CPU-bound either way.
 *
 * Long because it is one run: the free-page and payment phases share one bank and shop pair, so
 * their ratio compares like with like.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type WalletCoin, withdrawCoins } from '@farthing/bank/mint/mint.fixture';
import { freePort, trustOnFirstUse } from '@farthing/bank/test/http-bank.fixture';
import { amount } from '@farthing/protocol/amount';
import { createDepositPermission } from '@farthing/protocol/coin/deposit-permission';
import { payerCodeHash, randomPayerCode } from '@farthing/protocol/coin/derivation';
import { type Credential, encodeCredential } from '@farthing/protocol/credential';
import { ed25519Signer, randomSecretKey } from '@farthing/protocol/ed25519';
import { toBase64url } from '@farthing/protocol/encoding';
import { findFarthingChallenge } from '@farthing/protocol/http/farthing-auth';
import { offerHash, type SignedOffer } from '@farthing/protocol/offer';
import { offerFromBytes } from '@farthing/protocol/offer-token';
import { paywordCertificates } from '@farthing/protocol/payword/certificate';
import { createPaywordChain, randomChainSeed } from '@farthing/protocol/payword/chain';
import { paywordCommitments } from '@farthing/protocol/payword/commitment';
import { createPaywordPayment } from '@farthing/protocol/payword/payment';
import autocannon from 'autocannon';
import { ratios, roundsMetric } from './stats.ts';
import { cpuBetween, machineTicks, threadTimes, waitedForCpuMs } from './thread-cpu.ts';

type Metrics = Record<string, { value: number; unit: string }>;

const adminToken = 'bench-admin-token-0123456789';
/** Concurrent connections for the free pages and PayWord payments (module comment). */
const connections = 64;
/** Concurrent connections for e-cash payments (each also waits for the mint). */
const ecashConnections = 16;
/** Paywords per connection: one chain each, spent one word per payment. */
const wordsPerChain = 1_500;
/** Alternating rounds of free pages and PayWord payments (`run`); medians of these. */
const rounds = 5;
/** One-cent coins per connection (each coin is one payment). */
const coinsPerConnection = 160;
/** One cent, so a payment is one payword or one coin. */
const pricedPath = '/articles/library-fines';
const freePath = '/free/letters';

interface Child {
  readonly process: ChildProcess;
  readonly url: string;
}

/**
 * `FARTHING_BENCH_PROFILE=<dir>`: the shop writes a V8 CPU profile there (`--cpu-prof`), to
 * see where a payment's time goes.
 */
function nodeArgs(script: string): string[] {
  const dir = process.env.FARTHING_BENCH_PROFILE;
  if (dir === undefined || !script.startsWith('demo-shop/')) return [];
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/** Starts `node --import tsx <args>` and resolves with the URL it prints after `banner`. */
async function startChild(
  args: readonly string[],
  env: Record<string, string>,
  banner: RegExp,
): Promise<Child> {
  const child = spawn(process.execPath, [...nodeArgs(args[0]!), '--import', 'tsx', ...args], {
    env: { ...process.env, FARTHING_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${args[0]} exited (${code}) before listening`)));
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = banner.exec(seen);
      if (match) resolve(match[1]!);
    });
  });
  return { process: child, url };
}

async function stopChild(child: Child): Promise<void> {
  if (child.process.exitCode !== null) return;
  const exited = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.kill('SIGTERM');
  await exited;
}

async function call<T>(url: string, init: RequestInit & { token?: string } = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (init.token !== undefined) headers.set('authorization', `Bearer ${init.token}`);
  if (init.body !== undefined) headers.set('content-type', 'application/json');
  if (init.method === 'POST') headers.set('idempotency-key', crypto.randomUUID());
  const response = await fetch(url, { ...init, headers });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** The offer a 402 at `path` carries. */
async function offerAt(shopUrl: string, path: string): Promise<SignedOffer> {
  const response = await fetch(`${shopUrl}${path}`, { headers: { accept: 'application/json' } });
  await response.body?.cancel();
  const challenge = findFarthingChallenge(response.headers.get('www-authenticate') ?? '');
  if (response.status !== 402 || challenge === undefined) throw new Error(`no 402 at ${path}`);
  return offerFromBytes(challenge.offer);
}

const body = (credential: Credential) => Buffer.from(encodeCredential(credential));

/** One chain per connection, committed to the shop; the JSON of every payment, in order. */
async function paywordBodies(bankUrl: string, token: string, offer: SignedOffer) {
  const signer = ed25519Signer(randomSecretKey());
  const certificate = paywordCertificates.parse(
    await call(`${bankUrl}/v1/broker/certificates`, {
      method: 'POST',
      token,
      body: JSON.stringify({
        userPublicKey: toBase64url(signer.publicKey),
        creditLimit: `EUR ${((connections * wordsPerChain) / 100).toFixed(2)}`,
      }),
    }),
  );
  const chains: Buffer[][] = [];
  for (let c = 0; c < connections; c++) {
    const chain = createPaywordChain(randomChainSeed(), wordsPerChain);
    const commitment = await paywordCommitments.sign(
      {
        vendorId: offer.merchantId,
        certificate,
        root: chain.root,
        length: wordsPerChain,
        valuePerWord: amount('EUR', 1),
        createdAt: Date.now(),
        expiresAt: certificate.expiresAt,
      },
      signer,
    );
    const bodies: Buffer[] = [];
    for (let index = 1; index <= wordsPerChain; index++) {
      const payment = createPaywordPayment({ chain, commitment, index, firstUse: index === 1 });
      bodies.push(body({ type: 'payword', offer, payment }));
    }
    chains.push(bodies);
  }
  return chains;
}

function ecashBodies(offer: SignedOffer, coins: readonly WalletCoin[]): Buffer[] {
  const code = payerCodeHash(randomPayerCode());
  return coins.map((coin) =>
    body({
      type: 'ecash',
      offer,
      coins: [
        createDepositPermission({
          coin: coin.coin,
          coinSecretKey: coin.secretKey,
          offerHash: offerHash(offer),
          merchantId: offer.merchantId,
          amount: coin.denomination.value,
          payerCodeHash: code,
        }),
      ],
    }),
  );
}

interface LoadResult {
  readonly perSecond: number;
  readonly failures: number;
  readonly p99: number;
  readonly count: number;
  readonly seconds: number;
}

/**
 * autocannon notices the end of a run only at its next sample tick and counts the time up to
 * it: a fixed-amount run that ends just after a tick is charged time it did not use (16,000
 * payments in 6.01 s and in 5.02 s both gave 2,662/s), and at ~1 s a round that is up to a
 * tenth too long. So every phase, fixed-amount or fixed-duration alike, is timed here from
 * its start to its last answer, and its rate is the answers over that time.
 */
const sampleInt = 100;

async function timedLoad(options: autocannon.Options): Promise<LoadResult> {
  const started = performance.now();
  let lastAnswer = started;
  // Without a callback autocannon returns its instance, an emitter that is also a promise.
  const instance = autocannon({ sampleInt, ...options }) as unknown as autocannon.Instance &
    Promise<autocannon.Result>;
  instance.on('response', () => {
    lastAnswer = performance.now();
  });
  const result = await instance;
  const seconds = Math.max(lastAnswer - started, 1) / 1000;
  return {
    perSecond: result['2xx'] / seconds,
    failures: result.non2xx + result.errors + result.timeouts,
    p99: result.latency.p99,
    count: result['2xx'],
    seconds,
  };
}

/** POSTs each connection's bodies to the pay endpoint, in order, one at a time. */
async function payLoad(shopUrl: string, streams: readonly (readonly Buffer[])[]) {
  let nextStream = 0;
  const perConnection = streams[0]!.length;
  return timedLoad({
    url: shopUrl,
    connections: streams.length,
    amount: streams.length * perConnection,
    requests: [{ method: 'POST', path: '/.well-known/farthing/pay' }],
    // A chain's words must arrive in order: each connection gets its own stream of bodies.
    setupClient(client) {
      const bodies = streams[nextStream++]!;
      let next = 0;
      client.setRequests([
        {
          method: 'POST',
          path: '/.well-known/farthing/pay',
          setupRequest: (request) => ({
            ...request,
            headers: { 'content-type': 'application/json' },
            body: bodies[next++ % bodies.length]!,
          }),
        },
      ]);
    },
  });
}

async function pageLoad(shopUrl: string, path: string, seconds: number) {
  return timedLoad({ url: `${shopUrl}${path}`, connections, duration: seconds });
}

/** Let connections closed during the preparation be noticed before the next phase. */
const pause = () => new Promise((resolve) => setTimeout(resolve, 300));
const progress = (text: string) => process.stdout.write(`  merchant: ${text}\n`);

export async function run(): Promise<Metrics> {
  const dir = mkdtempSync(join(tmpdir(), 'farthing-bench-shop-'));
  const bankPort = await freePort();
  const bank = await startChild(
    ['bank/src/cli.ts', 'start'],
    {
      FARTHING_DATA_DIR: dir,
      FARTHING_BANK_PORT: String(bankPort),
      FARTHING_BANK_ADMIN_TOKEN: adminToken,
      FARTHING_SEED_DEMO: '1',
      // The shop's origin is on loopback, as under `npm start`.
      FARTHING_BANK_DEV_MODE: '1',
      FARTHING_SCRYPT_COST: '16',
      FARTHING_MINT_VALUES: '0.01',
    },
    /Farthing bank at (\S+)/,
  );
  let shop: Child | undefined;
  try {
    shop = await startChild(
      ['demo-shop/src/cli.ts'],
      {
        FARTHING_DATA_DIR: dir,
        FARTHING_BANK_URL: bank.url,
        FARTHING_SHOP_PORT: String(await freePort()),
        FARTHING_SHOP_SETTLE_INTERVAL_S: '0',
        FARTHING_SHOP_OPERATOR_PASSWORD: 'bench-operator',
      },
      /The Farthing Gazette at (\S+)/,
    );
    progress(`bank at ${bank.url}, shop at ${shop.url}`);
    const session = await call<{ token: string }>(`${bank.url}/v1/sessions`, {
      method: 'POST',
      body: JSON.stringify({
        name: 'demo',
        password: 'demo-password',
        scopes: ['account', 'withdraw', 'payword'],
      }),
    });
    await call(`${bank.url}/v1/admin/accounts/demo/credit`, {
      method: 'POST',
      token: adminToken,
      body: JSON.stringify({ amount: 'EUR 2000.00', reference: 'bench funds' }),
    });

    const offer = await offerAt(shop.url, pricedPath);
    const warmChains = await paywordBodies(bank.url, session.token, offer);
    const chains = await paywordBodies(bank.url, session.token, offer);
    const mint = await trustOnFirstUse(bank.url);
    const coins: WalletCoin[] = [];
    while (coins.length < coinsPerConnection * ecashConnections + 200) {
      coins.push(...(await withdrawCoins(mint, session, Array(100).fill(1))));
    }
    const warmCoins = ecashBodies(offer, coins.slice(0, 200));
    const paidCoins = ecashBodies(offer, coins.slice(200));
    progress(`prepared ${connections} chains of ${wordsPerChain} words and ${coins.length} coins`);

    // Warm-up: JIT, the shop's offer and signature caches, the connection to the bank.
    await pause();
    await pageLoad(shop.url, freePath, 2);
    await payLoad(
      shop.url,
      warmChains.map((words) => words.slice(0, 300)),
    );
    await payLoad(shop.url, [warmCoins]);

    // Free pages and PayWord payments alternate in short rounds, so a change in the machine's
    // other load during the run weighs on both sides of the ratio alike.
    const free: LoadResult[] = [];
    const payword: LoadResult[] = [];
    const perRound = wordsPerChain / rounds;
    const shopPid = shop.process.pid!;
    /** Where the shop's CPU went in each phase, per request (µs), for the progress lines. */
    const cpu = async <T extends LoadResult>(phase: () => Promise<T>) => {
      const before = threadTimes(shopPid);
      const machineBefore = machineTicks();
      const generatorBefore = process.cpuUsage();
      const loopWaitedBefore = waitedForCpuMs(shopPid);
      const result = await phase();
      const loopWaited = waitedForCpuMs(shopPid) - loopWaitedBefore;
      const spent = cpuBetween(shopPid, before, threadTimes(shopPid));
      const generator = process.cpuUsage(generatorBefore);
      const machineAfter = machineTicks();
      const busy = machineAfter.busy - machineBefore.busy;
      const idle = machineAfter.idle - machineBefore.idle;
      const perRequest = (ms: number) => Math.round((ms * 1000) / Math.max(result.count, 1));
      const threads = Object.entries(spent.byName)
        .filter(([, ms]) => ms > 0)
        .map(([name, ms]) => `${name} ${perRequest(ms)}`)
        .join(', ');
      return {
        result,
        line:
          `loop ${perRequest(spent.main)} µs (waited for a core ${Math.round(loopWaited / (10 * result.seconds))}% of the time), ` +
          `process ${perRequest(spent.total)} µs (${threads}), ` +
          `load generator ${perRequest((generator.user + generator.system) / 1000)} µs, ` +
          `machine ${Math.round((100 * busy) / Math.max(busy + idle, 1))}% busy`,
      };
    };
    for (let round = 0; round < rounds; round++) {
      await pause();
      const page = await cpu(() => pageLoad(shop!.url, freePath, 2));
      free.push(page.result);
      await pause();
      const paid = await cpu(() =>
        payLoad(
          shop!.url,
          chains.map((words) => words.slice(round * perRound, (round + 1) * perRound)),
        ),
      );
      payword.push(paid.result);
      progress(
        `round ${round + 1}: free ${Math.round(page.result.perSecond)}/s [${page.line}]; ` +
          `PayWord ${Math.round(paid.result.perSecond)}/s [${paid.line}] = ` +
          `${(paid.result.perSecond / page.result.perSecond).toFixed(2)}`,
      );
    }
    const freeRates = free.map((r) => r.perSecond);
    const paywordRates = payword.map((r) => r.perSecond);
    await pause();
    const ecashStreams = Array.from({ length: ecashConnections }, (_, c) =>
      paidCoins.filter((_, i) => i % ecashConnections === c),
    );
    // Three rounds of e-cash too, one stream of coins split in three.
    const ecash: LoadResult[] = [];
    for (let round = 0; round < 3; round++) {
      await pause();
      const share = Math.floor(coinsPerConnection / 3);
      ecash.push(
        await payLoad(
          shop.url,
          ecashStreams.map((coinsOf) => coinsOf.slice(round * share, (round + 1) * share)),
        ),
      );
    }
    progress(`e-cash pay: ${ecash.map((r) => Math.round(r.perSecond)).join(', ')}/s`);

    const failures = [...free, ...payword, ...ecash].reduce((sum, r) => sum + r.failures, 0);
    if (failures > 0) throw new Error(`${failures} requests failed during the merchant benchmark`);
    return {
      'merchant.free_page_per_s': roundsMetric(freeRates, 'pages/s', 3),
      'merchant.payword_pay_per_s': roundsMetric(paywordRates, 'payments/s', 3),
      'merchant.payword_pay_p99_ms': roundsMetric(
        payword.map((r) => r.p99),
        'ms',
      ),
      'merchant.ecash_pay_per_s': roundsMetric(
        ecash.map((r) => r.perSecond),
        'payments/s',
        3,
      ),
      'merchant.ecash_pay_p99_ms': roundsMetric(
        ecash.map((r) => r.p99),
        'ms',
      ),
      'merchant.payword_vs_free_ratio': roundsMetric(ratios(paywordRates, freeRates), '×', 3),
    };
  } finally {
    if (shop !== undefined) await stopChild(shop);
    await stopChild(bank);
    rmSync(dir, { recursive: true, force: true });
  }
}
