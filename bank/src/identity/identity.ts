/**
 * What the bank says about itself, for people and for wallets: its name, its address and the
 * fingerprints of the three keys a wallet pins when the user trusts it (DESIGN.md "E-cash",
 * "PayWord", "SET").
 *
 * The fingerprints are SHA-256 of exactly the bytes the wallet hashes (the CA certificate's
 * DER, the raw 32-byte Ed25519 keys of the mint's master key and the broker), written as
 * upper-case hex pairs joined by colons, the form the wallet shows, so a person can compare
 * them character by character.
 *
 * The name is not signed: it is what the bank calls itself, pinned by the wallet when the user
 * trusts the bank. The keys are the security check; the name only tells people which bank
 * they are looking at.
 */
import { createHash } from 'node:crypto';
import type { BankContext } from '../http/context.ts';

/** `AB:CD:…`: SHA-256 in upper-case hex pairs, as people compare fingerprints. */
export function fingerprint(bytes: Uint8Array): string {
  const hex = createHash('sha256').update(bytes).digest('hex').toUpperCase();
  return hex.match(/../g)?.join(':') ?? '';
}

export interface BankFingerprints {
  /** The bank's certificate: the CA certificate that vouches for its merchants. */
  readonly certificate: string;
  /** The key that signs its coins: the mint's master key, which signs the coin key set. */
  readonly coinKey: string;
  /** The key that signs PayWord certificates: the broker's key. */
  readonly paywordKey: string;
}

export interface BankIdentity {
  readonly name: string;
  readonly bankId: string;
  readonly url: string;
  readonly currency: string;
  readonly fingerprints: BankFingerprints;
  /** How long after a PayWord certificate expires unused credit stays held for vendors. */
  readonly paywordRedeemGraceSeconds: number;
}

export function bankIdentity(ctx: BankContext): BankIdentity {
  const { config, keys, ca } = ctx;
  return {
    name: config.name,
    bankId: config.bankId,
    url: config.publicUrl,
    currency: config.currency,
    fingerprints: {
      certificate: fingerprint(ca.certificate),
      coinKey: fingerprint(keys.mintMaster.publicKey),
      paywordKey: fingerprint(keys.broker.publicKey),
    },
    paywordRedeemGraceSeconds: Math.floor(config.paywordRedeemGraceMs / 1000),
  };
}

const escapes: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => escapes[c] ?? c);

/**
 * The page a person opens to check what their wallet shows: plain words, the same labels the
 * wallet uses, the fingerprints in a large monospace font.
 */
export function fingerprintsPage(identity: BankIdentity): string {
  const { fingerprints } = identity;
  const row = (label: string, explanation: string, value: string, id: string) => `
    <dt>${escapeHtml(label)}</dt>
    <dd><p>${escapeHtml(explanation)}</p><code id="${id}">${escapeHtml(value)}</code></dd>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(identity.name)}: fingerprints to check</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; color: #111827; }
  code { display: block; font: 1.05rem/1.6 ui-monospace, monospace; word-break: break-all; background: #f3f4f6; padding: .5rem .75rem; border-radius: .375rem; }
  dt { font-weight: 600; margin-top: 1.25rem; }
  dd { margin: 0; }
  dd p { margin: .25rem 0; color: #4b5563; }
</style>
</head>
<body>
<h1>${escapeHtml(identity.name)}</h1>
<p>Bank address: <strong>${escapeHtml(identity.url)}</strong></p>
<p>When you add this bank to your Farthing wallet, the wallet shows the fingerprints below.
Check that each one matches, character by character, before you trust the bank. If any differs,
you are not talking to this bank: stop and do not trust it.</p>
<dl>${row(
    'The bank’s certificate',
    'Proves which shops this bank vouches for.',
    fingerprints.certificate,
    'certificate',
  )}${row(
    'The key that signs its coins',
    'Proves that the coins you withdraw are real.',
    fingerprints.coinKey,
    'coin-key',
  )}${row(
    'The key that signs PayWord credit',
    'Proves that your credit for small payments comes from this bank.',
    fingerprints.paywordKey,
    'payword-key',
  )}
</dl>
<p>It is safest to compare with a copy you got another way: printed by the bank, on its letter,
or from someone you trust. The same facts for programs: <a href="/v1/bank">/v1/bank</a>.</p>
</body>
</html>
`;
}
