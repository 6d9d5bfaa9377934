/**
 * Signature checks of a deposit or change, run on libuv's thread pool instead of the event
 * loop.
 *
 * Verifying a spent coin costs two native signature checks: RSA-PSS over the coin (~25 µs
 * here) and Ed25519 over the permission (~110 µs), several times what the rest of a deposit
 * costs on the event loop. `crypto.verify` with a callback runs them on the thread pool, so
 * on a machine with two cores they overlap with the HTTP and SQLite work of other requests.
 *
 * The protocol's `verifyDepositPermission` / `verifyChangeRequest` still make every decision
 * (windows, amounts, which key, which bytes): they are called with verifiers that record each
 * check and answer "valid", and `settle()` then runs the recorded checks. So a request is
 * refused for its cheap faults first, and only then for a signature: the first coin whose
 * check fails, its RSA signature before its Ed25519 one. Nothing is accepted, and nothing
 * written, before `settle()` resolves.
 */
import { constants, createPublicKey, type KeyObject, verify as nodeVerify } from 'node:crypto';
import { variantParams } from '@farthing/protocol/blind-rsa';
import type { RsaPssVerify } from '@farthing/protocol/coin/coin';
import { denominationCipher } from '@farthing/protocol/coin/denomination';
import {
  type Ed25519Verify,
  ed25519PublicKeyLength,
  ed25519SignatureLength,
} from '@farthing/protocol/ed25519';
import { FarthingError } from '@farthing/protocol/errors';
import type { Keyring } from './keyring.ts';

const pssSaltLength = variantParams(denominationCipher).saltLength;

interface Check {
  readonly kind: 'rsa' | 'ed25519';
  readonly index: number | undefined;
  readonly key: KeyObject;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
}

function failure(check: Check): FarthingError {
  const at = check.index === undefined ? {} : { index: check.index };
  return check.kind === 'rsa'
    ? new FarthingError('coin_invalid', 'the coin is not signed by its denomination key', {
        details: { field: 'coin.denominationSignature', ...at },
      })
    : new FarthingError('bad_signature', 'the coin key did not sign this request', {
        details: { field: 'signature', ...at },
      });
}

export class DeferredSignatureChecks {
  readonly #keyring: Keyring;
  readonly #checks: Check[] = [];
  #index: number | undefined;

  constructor(keyring: Keyring) {
    this.#keyring = keyring;
  }

  /** The position of the coin the next checks belong to, named in a failure. */
  at(index: number): void {
    this.#index = index;
  }

  readonly rsaVerify: RsaPssVerify = (signature, message, publicKey) => {
    const key = this.#keyring.verifyKeyOf(publicKey);
    if (key === undefined) return false;
    this.#checks.push({ kind: 'rsa', index: this.#index, key, message, signature });
    return true;
  };

  readonly ed25519Verify: Ed25519Verify = (signature, message, publicKey) => {
    if (
      signature.length !== ed25519SignatureLength ||
      publicKey.length !== ed25519PublicKeyLength
    ) {
      return false;
    }
    let key: KeyObject;
    try {
      // A JWK import (~7 µs) is the cheapest way into OpenSSL (protocol/src/node/ed25519.ts).
      key = createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
        format: 'jwk',
      });
    } catch {
      return false; // not a point on the curve
    }
    this.#checks.push({ kind: 'ed25519', index: this.#index, key, message, signature });
    return true;
  };

  /** Runs every recorded check in parallel; rejects with the first failure in order. */
  settle(): Promise<void> {
    const checks = this.#checks;
    if (checks.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let remaining = checks.length;
      let firstFailed = checks.length;
      const done = (position: number, valid: boolean) => {
        if (!valid && position < firstFailed) firstFailed = position;
        if (--remaining > 0) return;
        if (firstFailed === checks.length) resolve();
        else reject(failure(checks[firstFailed]!));
      };
      for (let position = 0; position < checks.length; position++) {
        const check = checks[position]!;
        // OpenSSL reports some malformed signatures as errors rather than as "invalid".
        const callback = (error: Error | null, valid: boolean) =>
          done(position, error === null && valid);
        try {
          if (check.kind === 'rsa') {
            nodeVerify(
              'sha384',
              check.message,
              {
                key: check.key,
                padding: constants.RSA_PKCS1_PSS_PADDING,
                saltLength: pssSaltLength,
              },
              check.signature,
              callback,
            );
          } else {
            nodeVerify(null, check.message, check.key, check.signature, callback);
          }
        } catch {
          done(position, false);
        }
      }
    });
  }
}
