/**
 * Signature checks of a deposit or change, recorded while the protocol decides and run after.
 *
 * Verifying a spent coin costs two native signature checks: RSA-PSS over the coin (~25 µs
 * here) and Ed25519 over the permission (~50 µs with libsodium, ~115 µs with OpenSSL;
 * coin-ed25519.ts), several times what the rest of a deposit costs. A deposit's worker thread
 * runs them in place (`settleNow`, deposit-worker.ts). A change request runs the RSA checks on
 * libuv's thread pool (`settle`: `crypto.verify` with a callback) and the Ed25519 ones in
 * place, with the same verifier as deposits so both accept the same coins: OpenSSL's callback
 * form would still decode each fresh Ed25519 key on the event loop (~74 µs of main-thread time
 * per coin, measured with `prof.mts`), more than libsodium's whole verification.
 *
 * The protocol's `verifyDepositPermission` / `changeRequests.verify` still make every decision
 * (windows, amounts, which key, which bytes): they are called with verifiers that record each
 * check and answer "valid", and the recorded checks run afterwards. So a request is refused
 * for its cheap faults first, and only then for a signature: the first coin whose check
 * fails, its RSA signature before its Ed25519 one. Nothing is accepted, and nothing written,
 * before the checks pass.
 */
import { constants, type KeyObject, verify as nodeVerify } from 'node:crypto';
import { variantParams } from '@farthing/protocol/blind-rsa';
import type { RsaPssVerify } from '@farthing/protocol/coin/coin';
import {
  type DenominationPublicKey,
  denominationCipher,
} from '@farthing/protocol/coin/denomination';
import {
  type Ed25519Verify,
  ed25519PublicKeyLength,
  ed25519SignatureLength,
} from '@farthing/protocol/ed25519';
import { FarthingError } from '@farthing/protocol/errors';
import { coinEd25519 } from './coin-ed25519.ts';

const pssSaltLength = variantParams(denominationCipher).saltLength;

/** Where the native RSA key of a denomination comes from (`Keyring`, or a worker's copy). */
export interface VerifyKeys {
  verifyKeyOf(publicKey: DenominationPublicKey): KeyObject | undefined;
}

type Check = {
  readonly index: number | undefined;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
} & (
  | { readonly kind: 'rsa'; readonly key: KeyObject }
  | { readonly kind: 'ed25519'; readonly publicKey: Uint8Array }
);

/** One recorded check, here and now; OpenSSL reports some malformed signatures as errors. */
function checkNow(check: Check): boolean {
  if (check.kind === 'ed25519') {
    return coinEd25519.verify(check.signature, check.message, check.publicKey);
  }
  try {
    return nodeVerify('sha384', check.message, rsaPss(check.key), check.signature);
  } catch {
    return false;
  }
}

function rsaPss(key: KeyObject) {
  return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pssSaltLength };
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
  readonly #keys: VerifyKeys;
  readonly #checks: Check[] = [];
  #index: number | undefined;

  constructor(keys: VerifyKeys) {
    this.#keys = keys;
  }

  /** The position of the coin the next checks belong to, named in a failure. */
  at(index: number): void {
    this.#index = index;
  }

  readonly rsaVerify: RsaPssVerify = (signature, message, publicKey) => {
    const key = this.#keys.verifyKeyOf(publicKey);
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
    this.#checks.push({ kind: 'ed25519', index: this.#index, publicKey, message, signature });
    return true;
  };

  /** Runs the recorded checks here, in order, and throws the first failure (worker threads). */
  settleNow(): void {
    for (const check of this.#checks) {
      if (!checkNow(check)) throw failure(check);
    }
  }

  /**
   * Runs the RSA checks in parallel on libuv's thread pool and the Ed25519 ones here; rejects
   * with the first failure in order.
   */
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
        if (check.kind === 'ed25519') {
          done(position, checkNow(check));
          continue;
        }
        // OpenSSL reports some malformed signatures as errors rather than as "invalid".
        const callback = (error: Error | null, valid: boolean) =>
          done(position, error === null && valid);
        try {
          nodeVerify('sha384', check.message, rsaPss(check.key), check.signature, callback);
        } catch {
          done(position, false);
        }
      }
    });
  }
}
