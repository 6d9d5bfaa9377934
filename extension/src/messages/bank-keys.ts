/**
 * The keys a user was shown for a bank, as `bank.trust` takes them (contract.ts): exactly these
 * fields, the broker key only when there is one. The popup pins what it showed; the background
 * passes on what the page sent.
 */
export interface BankKeys {
  readonly url: string;
  readonly caFingerprint: string;
  readonly mintKeyFingerprint: string;
  readonly brokerKeyFingerprint?: string;
}

export function bankKeys(bank: {
  readonly url: string;
  readonly caFingerprint: string;
  readonly mintKeyFingerprint: string;
  readonly brokerKeyFingerprint?: string | undefined;
}): BankKeys {
  const { url, caFingerprint, mintKeyFingerprint, brokerKeyFingerprint } = bank;
  return brokerKeyFingerprint === undefined
    ? { url, caFingerprint, mintKeyFingerprint }
    : { url, caFingerprint, mintKeyFingerprint, brokerKeyFingerprint };
}
