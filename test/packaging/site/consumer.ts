/**
 * A TypeScript merchant's code, type-checked against the published types (the packaging test
 * copies it into a project that installed the tarballs). Wrong uses are pinned with
 * `@ts-expect-error`, so types that went missing (`any`) fail the check too.
 */
import { farthing as expressFarthing } from '@farthing/merchant-sdk/express';
import { farthing as honoFarthing } from '@farthing/merchant-sdk/hono';
import {
  createMerchant,
  FarthingError,
  type Merchant,
  type MerchantConfig,
  parseAmount,
} from '@farthing/merchant-sdk/server';
import { MemoryMerchantStore } from '@farthing/merchant-sdk/store/memory';
import { formatAmount } from '@farthing/protocol/amount';
import express from 'express';
import { Hono } from 'hono';

export function shop(config: Omit<MerchantConfig, 'store' | 'prices'>): Merchant {
  const merchant = createMerchant({
    ...config,
    prices: [{ path: '/articles/:slug', price: 'EUR 0.05', title: (p) => `Article ${p.slug}` }],
    store: new MemoryMerchantStore(),
  });
  new Hono().use(honoFarthing(merchant));
  express().use(expressFarthing(merchant));
  return merchant;
}

const minor: number = parseAmount('EUR 0.05').minor;
export const price: string = formatAmount({ currency: 'EUR', minor });
export const isFarthing = (error: unknown): boolean => error instanceof FarthingError;

// @ts-expect-error a price table entry needs a price
export const unpriced: MerchantConfig['prices'][number] = { path: '/articles/:slug' };
