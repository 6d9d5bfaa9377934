import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../db/schema.ts';
import { defaultSettings } from '../settings.ts';
import { checkLimits } from './limits.ts';

const origin = 'https://shop.example';
const eur = (minor: number) => ({ currency: 'EUR', minor });
const spent = (
  minor: number,
  status: JournalRecord['status'] = 'confirmed',
  at = origin,
): JournalRecord => ({
  id: String(Math.random()),
  paymentId: 'p',
  origin: at,
  day: 0,
  price: eur(minor),
  status,
  at: 0,
});

describe('checkLimits', () => {
  const base = { settings: defaultSettings, site: undefined, today: [], paidBefore: true };

  it('refuses a blocked site', () => {
    const site = { origin, name: null, budget: null, blocked: true, lastPaidAt: null };
    expect(() => checkLimits({ ...base, site }, origin, eur(1))).toThrow(
      expect.objectContaining({ code: 'site_blocked' }),
    );
  });

  it('counts reserved spends against the site budget but not failed ones', () => {
    const today = [spent(60, 'reserved'), spent(30), spent(500, 'failed')];
    expect(checkLimits({ ...base, today }, origin, eur(10)).siteBudgetLeft).toBe(0);
    expect(() => checkLimits({ ...base, today }, origin, eur(11))).toThrow(
      expect.objectContaining({ code: 'over_site_budget' }),
    );
  });

  it('refuses over the daily budget across sites', () => {
    const today = [spent(495, 'confirmed', 'https://other.example')];
    expect(() => checkLimits({ ...base, today }, origin, eur(6))).toThrow(
      expect.objectContaining({ code: 'over_daily_budget' }),
    );
  });

  it('asks above the threshold and on the first payment to a site', () => {
    expect(checkLimits(base, origin, eur(21)).confirmation).toBe('above_threshold');
    expect(checkLimits({ ...base, paidBefore: false }, origin, eur(1)).confirmation).toBe(
      'first_payment_to_site',
    );
    expect(checkLimits(base, origin, eur(20)).confirmation).toBeNull();
  });

  it('asks in the window for a click the user may not have seen, under the threshold', () => {
    expect(checkLimits(base, origin, eur(5), false).confirmation).toBe('unseen_click');
    expect(checkLimits(base, origin, eur(5), true).confirmation).toBeNull();
    // Above the threshold it asks anyway, and says the price is why.
    expect(checkLimits(base, origin, eur(50), false).confirmation).toBe('above_threshold');
  });
});
