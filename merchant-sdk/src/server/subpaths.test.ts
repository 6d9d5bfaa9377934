/**
 * The server folder is grouped by flow (issue 13); a subpath a merchant already imports keeps
 * its name and resolves to the same module as the new one beside it.
 */
import { describe, expect, it } from 'vitest';

const renamed = {
  'server/certificate-renewal': () => import('@farthing/merchant-sdk/server/certificate-renewal'),
  'server/registration': () => import('@farthing/merchant-sdk/server/registration'),
  'server/origin-challenges': () => import('@farthing/merchant-sdk/server/origin-challenges'),
  'server/credential-reader': () => import('@farthing/merchant-sdk/server/credential-reader'),
  'server/grant-key': () => import('@farthing/merchant-sdk/server/grant-key'),
  'server/offers': () => import('@farthing/merchant-sdk/server/offers'),
  'server/path-vectors': () => import('@farthing/merchant-sdk/server/path-vectors'),
  'server/bank-client': () => import('@farthing/merchant-sdk/server/bank-client'),
};
const grouped = {
  'server/certificate-renewal': () =>
    import('@farthing/merchant-sdk/server/certificates/certificate-renewal'),
  'server/registration': () => import('@farthing/merchant-sdk/server/certificates/registration'),
  'server/origin-challenges': () =>
    import('@farthing/merchant-sdk/server/certificates/origin-challenges'),
  'server/credential-reader': () =>
    import('@farthing/merchant-sdk/server/payments/credential-reader'),
  'server/grant-key': () => import('@farthing/merchant-sdk/server/access/grant-key'),
  'server/offers': () => import('@farthing/merchant-sdk/server/pricing/offers'),
  'server/path-vectors': () => import('@farthing/merchant-sdk/server/pricing/path-vectors'),
  'server/bank-client': () => import('@farthing/merchant-sdk/server/bank/bank-client'),
};

describe('the subpaths of the grouped server folder', () => {
  for (const [name, load] of Object.entries(renamed)) {
    it(`keep ${name} as the same module as its new name`, async () => {
      const old = await load();
      expect(Object.keys(old).length).toBeGreaterThan(0);
      expect(old).toBe(await grouped[name as keyof typeof grouped]());
    });
  }
});
