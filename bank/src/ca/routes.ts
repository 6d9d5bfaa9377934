/**
 * Merchant identity over HTTP: the CA certificate wallets install as this bank's trust anchor,
 * and merchant registration (a merchant with an API key sends a request signed by its offer
 * key and gets a certificate for it, DESIGN.md "Priced link" step 1).
 *
 * What the bank vouches for, and how it knows: the merchant id and the display name come from
 * the authenticated merchant account, so a merchant can certify only itself under the name the
 * operator gave it (that name is what the wallet shows as the payee). The key comes from the
 * request's proof of possession. Each origin must be proven by a challenge the merchant
 * answered at that origin and be held by no other merchant (origin-proof.ts).
 */
import { createHash } from 'node:crypto';
import { toBase64url } from '@farthing/protocol/encoding';
import { FarthingError } from '@farthing/protocol/errors';
import { parseCertificate } from '@farthing/protocol/x509/certificate';
import { merchantIdUriPrefix } from '@farthing/protocol/x509/merchant-certificate';
import {
  merchantRegistrations,
  type SignedMerchantRegistration,
} from '@farthing/protocol/x509/merchant-registration';
import { idAtCommonName } from '@farthing/protocol/x509/oids';
import { encodePem } from '@farthing/protocol/x509/pem';
import { Hono } from 'hono';
import { requireMerchant } from '../http/auth.ts';
import { answeredOnce } from '../http/command.ts';
import type { BankContext, BankEnv } from '../http/context.ts';
import type { RouteDoc } from '../http/openapi.ts';
import type { AccountRecord, MerchantCertificateRecord } from '../store/store.ts';
import type { CertificateAuthority } from './certificate-authority.ts';
import { certifyMerchantRegistration } from './merchant-certificates.ts';
import { proveOrigins } from './origin-proof.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** How long clients may keep the CA certificate without asking again. It changes only when the
 * operator replaces the CA, and wallets pin it anyway. */
const caCacheControl = 'public, max-age=86400';

export const caRouteDocs: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/ca/certificate',
    summary:
      "The bank's CA certificate, the trust anchor wallets install for this bank's merchants. Cacheable (max-age one day, strong ETag on the SHA-256 of the DER)",
    auth: 'none',
    success: {
      status: 200,
      description:
        '{ name, notBefore, notAfter, sha256: hex of SHA-256(DER), der: b64u DER, pem: RFC 7468 PEM }',
    },
  },
  {
    method: 'post',
    path: '/v1/merchants/me/certificates',
    summary:
      "Register: certify the offer-signing key that signed this request (merchantId must be the merchant's account name, name its display name) for the request's origins, each proven first (POST /v1/merchants/me/origin-challenges; the bank fetches the answer now) and held by no other merchant",
    auth: 'merchant',
    idempotent: true,
    body: merchantRegistrations.schema,
    success: {
      status: 201,
      description:
        '{ serialNumber: hex, merchantId, name, origins, offerPublicKey: b64u, notBefore, notAfter, issuedAt, chain: [b64u DER of the certificate, b64u DER of the CA], pem: both as PEM, certificate first (application/pem-certificate-chain form, RFC 8555 §9.1) }',
    },
    errors: [
      'invalid_encoding',
      'unsupported_version',
      'merchant_mismatch',
      'bad_signature',
      'registration_wrong_bank',
      'registration_stale',
      'origin_loopback_refused',
      'origin_taken',
      'origin_not_proven',
      'origin_challenge_failed',
    ],
  },
  {
    method: 'get',
    path: '/v1/merchants/me/certificates',
    summary:
      "The merchant's certificates, newest first, expired ones included (revoked ones with revokedAt)",
    auth: 'merchant',
    success: {
      status: 200,
      description: '{ certificates: [as POST /v1/merchants/me/certificates answers] }',
    },
  },
];

/** A certificate as the API shows it, read back from its DER so the answer cannot disagree
 * with what was signed. */
export function merchantCertificateView(
  record: MerchantCertificateRecord,
  ca: CertificateAuthority,
) {
  const parsed = parseCertificate(record.der);
  const uris = (parsed.subjectAltNames ?? []).flatMap((n) => (n.type === 'uri' ? [n.value] : []));
  return {
    serialNumber: record.serial,
    merchantId: uris
      .find((uri) => uri.startsWith(merchantIdUriPrefix))
      ?.slice(merchantIdUriPrefix.length),
    name: parsed.subjectAttributes.find((a) => a.type === idAtCommonName)?.value,
    origins: [...record.origins],
    offerPublicKey: toBase64url(record.offerKey),
    notBefore: parsed.notBefore,
    notAfter: parsed.notAfter,
    issuedAt: record.createdAt,
    chain: [toBase64url(record.der), toBase64url(ca.certificate)],
    pem: encodePem('CERTIFICATE', record.der) + ca.certificatePem,
    ...(record.revokedAt === undefined ? {} : { revokedAt: record.revokedAt }),
  };
}

/** Throws `merchant_mismatch` unless the request names the calling merchant as the bank knows it. */
function assertSameMerchant(registration: SignedMerchantRegistration, account: AccountRecord) {
  if (registration.merchantId !== account.name) {
    throw new FarthingError(
      'merchant_mismatch',
      `this API key belongs to merchant "${account.name}"; register under that id`,
      { details: { field: 'merchantId', expected: account.name, got: registration.merchantId } },
    );
  }
  if (registration.name !== account.displayName) {
    throw new FarthingError(
      'merchant_mismatch',
      `the certificate must carry the name the bank knows the merchant by: "${account.displayName}"`,
      { details: { field: 'name', expected: account.displayName, got: registration.name } },
    );
  }
}

export function caRoutes(ctx: BankContext): Hono<BankEnv> {
  const app = new Hono<BankEnv>();
  const { store, ca, config } = ctx;
  const digest = createHash('sha256').update(ca.certificate).digest();
  const etag = `"${digest.toString('base64url')}"`;
  const published = {
    name: ca.name,
    notBefore: ca.notBefore,
    notAfter: ca.notAfter,
    sha256: digest.toString('hex'),
    der: toBase64url(ca.certificate),
    pem: ca.certificatePem,
  };

  app.get('/v1/ca/certificate', (c) => {
    const headers = { 'cache-control': caCacheControl, etag };
    // RFC 9110 §13.1.2: a cache revalidating with the ETag it holds gets 304 and no body.
    const ifNoneMatch = c.req.header('if-none-match');
    if (ifNoneMatch !== undefined) {
      const tags = ifNoneMatch.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
      if (tags.includes(etag) || tags.includes('*')) return c.body(null, 304, headers);
    }
    return c.json(published, 200, headers);
  });

  app.post(
    '/v1/merchants/me/certificates',
    requireMerchant(ctx),
    answeredOnce(
      store,
      { schema: merchantRegistrations.schema, what: 'merchant registration', status: 201 },
      async (registration, claim, c) => {
        const account = c.get('account');
        assertSameMerchant(registration, account);
        const now = ctx.now();
        // The request's own checks first: no origin is fetched for a stale or forged request.
        const issued = await certifyMerchantRegistration(ca, registration, {
          bankId: config.bankId,
          now,
        });
        const exclusive = await proveOrigins(ctx, { account, origins: registration.origins });
        return store.insertExclusiveMerchantCertificate(
          {
            serial: hex(issued.serialNumber),
            accountId: account.id,
            origins: registration.origins,
            offerKey: registration.offerPublicKey,
            der: issued.der,
            notAfter: issued.notAfter,
            createdAt: now,
          },
          exclusive,
          (record) => merchantCertificateView(record, ca),
          claim,
        );
      },
    ),
  );

  app.get('/v1/merchants/me/certificates', requireMerchant(ctx), async (c) => {
    const records = await store.listMerchantCertificates(c.get('account').id);
    return c.json({
      certificates: records.reverse().map((record) => merchantCertificateView(record, ca)),
    });
  });

  return app;
}
