/**
 * The certificate the merchant serves, the one part of its configuration that changes while it
 * runs: `replace` checks a renewed chain as `createMerchant` checked the first and swaps it in
 * whole; `keepRenewed` does that on a schedule (certificate-renewal.ts), one at a time.
 */
import { FarthingError } from '@farthing/protocol/errors';
import {
  type CertificateChainInput,
  checkCertificateChain,
  type MerchantCertificateStatus,
  type ResolvedConfig,
} from '../config.ts';
import {
  type CertificateRenewal,
  type KeepCertificateRenewedOptions,
  startCertificateRenewal,
} from './certificate-renewal.ts';

export class CertificateKeeper {
  readonly #config: ResolvedConfig;
  #renewal: CertificateRenewal | undefined;

  constructor(config: ResolvedConfig) {
    this.#config = config;
  }

  /** The certificate served now. */
  get status(): MerchantCertificateStatus {
    return this.#config.certified.status;
  }

  /** Checked in full before anything changes; then one assignment swaps the whole chain. */
  replace(chain: CertificateChainInput): MerchantCertificateStatus {
    const config = this.#config;
    config.certified = checkCertificateChain(chain, config, config.now());
    return config.certified.status;
  }

  /** Starts the one renewal schedule; a second while it runs is refused. */
  keepRenewed(options: KeepCertificateRenewedOptions): CertificateRenewal {
    if (this.#renewal !== undefined) {
      throw new FarthingError(
        'invalid_argument',
        'the certificate is already kept renewed; stop that schedule first',
        { details: { field: 'keepCertificateRenewed' } },
      );
    }
    const keeper = this;
    const started = startCertificateRenewal(
      {
        get certificate() {
          return keeper.status;
        },
        replaceCertificate: (chain) => keeper.replace(chain),
        now: this.#config.now,
      },
      options,
    );
    const renewal: CertificateRenewal = {
      stop: () => {
        started.stop();
        if (this.#renewal === renewal) this.#renewal = undefined;
      },
    };
    this.#renewal = renewal;
    return renewal;
  }

  /** Stops the renewal schedule, if one runs. */
  stop(): void {
    this.#renewal?.stop();
  }
}
