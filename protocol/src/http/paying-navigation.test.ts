import { describe, expect, it } from 'vitest';
import {
  isNavigationId,
  navigationIdOf,
  newNavigationId,
  withNavigationId,
  withoutNavigationId,
} from './paying-navigation.ts';

describe('the paying navigation id', () => {
  it('is 16 random bytes in canonical base64url', () => {
    const ids = new Set(Array.from({ length: 200 }, newNavigationId));
    expect(ids.size).toBe(200);
    for (const id of ids) {
      expect(isNavigationId(id)).toBe(true);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
      expect(Buffer.from(id, 'base64url').toString('base64url')).toBe(id);
    }
  });

  it('refuses anything else', () => {
    for (const bad of [
      '',
      'A'.repeat(21),
      'A'.repeat(23),
      `${'A'.repeat(21)}B`,
      `${'A'.repeat(21)}=`,
      7,
    ]) {
      expect(isNavigationId(bad)).toBe(false);
    }
  });

  it('rides in the URL and comes off again, the rest of the query kept', () => {
    const id = newNavigationId();
    const url = withNavigationId('https://shop.example/articles/7?page=2#top', id);
    expect(url).toBe(`https://shop.example/articles/7?page=2&farthing-paying=${id}#top`);
    expect(navigationIdOf(url)).toBe(id);
    expect(withoutNavigationId(url)).toBe('https://shop.example/articles/7?page=2#top');
    expect(withoutNavigationId('https://shop.example/articles/7')).toBeUndefined();
    expect(navigationIdOf('https://shop.example/articles/7?farthing-paying=nope')).toBeUndefined();
    expect(navigationIdOf('https://shop.example/articles/7')).toBeUndefined();
  });
});
