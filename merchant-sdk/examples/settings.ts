/**
 * What a shop keeps in its configuration (secrets manager, environment, files): its bank
 * account's details, its offer-signing key, and the certificate chain `registerWithBank`
 * returned. The README's examples take it as a parameter; the tests fill it from a real bank.
 */
export interface ShopSettings {
  /** The merchant account's name at the bank. */
  readonly merchantId: string;
  /** The display name the bank knows the merchant by. */
  readonly name: string;
  /** Where the shop is served, e.g. `https://shop.example`. */
  readonly origin: string;
  /** The 32-byte Ed25519 seed the offers are signed with. */
  readonly offerKey: Uint8Array;
  /** PEM text: the merchant certificate, then the bank's CA certificate. */
  readonly certificateChain: string;
  readonly bankUrl: string;
  readonly apiKey: string;
  /** The SQLite file of the merchant's state. */
  readonly databasePath: string;
}
