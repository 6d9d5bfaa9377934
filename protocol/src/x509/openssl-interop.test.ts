/**
 * Cross-checks with an independent implementation: certificates OpenSSL issues (a P-256 CA, as
 * an operator would make with the command line) verify here, and ones it cannot make in our
 * profile or with other algorithms are refused. The other direction (OpenSSL and Node verify
 * what the bank's CA issues) is in bank/src/ca.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { farthingErrorCode } from '../errors.fixture.ts';
import { verifyMerchantCertificate } from './merchant-certificate.ts';
import { farthingKeyPurposes } from './oids.ts';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

const config = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = OpenSSL Bank
[ca]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[merchant]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,${farthingKeyPurposes.merchantOfferSigning}
subjectAltName = URI:urn:farthing:merchant:demo-shop,URI:https://shop.example,URI:http://127.0.0.1:8701
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[tls]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = URI:urn:farthing:merchant:demo-shop,URI:https://shop.example
`;

describe.skipIf(!hasOpenssl)('certificates issued by OpenSSL', () => {
  let dir: string;
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

  function issue(section: string, key: string, out: string, ca = 'ca') {
    openssl('req', '-new', '-key', key, '-subj', '/CN=Demo Shop', '-out', `${out}.csr`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${out}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-set_serial',
      '0x1234',
      '-days',
      '7',
      '-sha256',
      '-extfile',
      'openssl.cnf',
      '-extensions',
      section,
      '-out',
      `${out}.pem`,
    );
    return readFileSync(file(`${out}.pem`), 'utf8');
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'farthing-x509-'));
    writeFileSync(file('openssl.cnf'), config);
    openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
    openssl(
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-config',
      'openssl.cnf',
      '-extensions',
      'ca',
      '-days',
      '30',
      '-sha256',
      '-out',
      'ca.pem',
    );
    openssl('genpkey', '-algorithm', 'ed25519', '-out', 'merchant.key');
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ec.key');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('verifies an Ed25519 merchant certificate under a P-256 CA', () => {
    const chain = issue('merchant', 'merchant.key', 'merchant');
    const verified = verifyMerchantCertificate({
      chain,
      trustedRoots: [readFileSync(file('ca.pem'), 'utf8')],
      origin: 'http://127.0.0.1:8701',
      now: Date.now(),
    });
    const raw = execFileSync('openssl', [
      'pkey',
      '-in',
      file('merchant.key'),
      '-pubout',
      '-outform',
      'DER',
    ]);
    expect(verified).toMatchObject({
      merchantId: 'demo-shop',
      name: 'Demo Shop',
      origins: ['https://shop.example', 'http://127.0.0.1:8701'],
      serialNumber: '1234',
      issuerName: 'OpenSSL Bank',
    });
    expect(Buffer.from(verified.offerPublicKey)).toEqual(raw.subarray(-32));
  });

  it('refuses a TLS certificate and a P-256 merchant key', () => {
    const roots = [readFileSync(file('ca.pem'), 'utf8')];
    const tls = issue('tls', 'merchant.key', 'tls');
    const check = (chain: string) =>
      farthingErrorCode(() =>
        verifyMerchantCertificate({
          chain,
          trustedRoots: roots,
          origin: 'https://shop.example',
          now: Date.now(),
        }),
      );
    expect(check(tls)).toBe('certificate_wrong_purpose');
    expect(check(issue('merchant', 'ec.key', 'ec'))).toBe('certificate_invalid');
  });

  it('refuses RSA, which the profile does not allow', () => {
    openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'rsa.key');
    openssl(
      'req',
      '-x509',
      '-new',
      '-key',
      'rsa.key',
      '-config',
      'openssl.cnf',
      '-extensions',
      'ca',
      '-days',
      '30',
      '-sha256',
      '-out',
      'rsa.pem',
    );
    const chain = issue('merchant', 'merchant.key', 'under-rsa', 'rsa');
    const code = farthingErrorCode(() =>
      verifyMerchantCertificate({
        chain,
        trustedRoots: [readFileSync(file('ca.pem'), 'utf8')],
        origin: 'https://shop.example',
        now: Date.now(),
      }),
    );
    expect(code).toBe('certificate_invalid');
  });
});
