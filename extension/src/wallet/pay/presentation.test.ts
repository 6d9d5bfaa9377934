import { describe, expect, it } from 'vitest';
import type { Presentation } from '../../messages/contract.ts';
import { wasPresented } from './presentation.ts';

const settings = { seenVisibleMs: 800, seenShownMs: 400 };
const seen: Presentation = {
  input: 'pointer',
  hit: true,
  visibleMs: 2_000,
  shownMs: 600,
  focusMs: 0,
};

describe('wasPresented', () => {
  it('lets a click on a link seen long enough with its price shown pay at once', () => {
    expect(wasPresented(seen, settings)).toBe(true);
    expect(wasPresented({ ...seen, visibleMs: 800, shownMs: 400 }, settings)).toBe(true);
  });

  it('asks when the click proved nothing', () => {
    expect(wasPresented(undefined, settings)).toBe(false);
  });

  it('asks when something else was drawn at the click point', () => {
    expect(wasPresented({ ...seen, hit: false }, settings)).toBe(false);
  });

  it('asks when the browser has not reported the link visible for long enough', () => {
    expect(wasPresented({ ...seen, visibleMs: 0 }, settings)).toBe(false);
    expect(wasPresented({ ...seen, visibleMs: 799 }, settings)).toBe(false);
  });

  it('asks when the tooltip had not shown this offer for long enough', () => {
    expect(wasPresented({ ...seen, shownMs: 0 }, settings)).toBe(false);
    expect(wasPresented({ ...seen, shownMs: 399 }, settings)).toBe(false);
  });

  it('asks for Enter on a link the page just moved focus to', () => {
    const keyboard: Presentation = { ...seen, input: 'keyboard', focusMs: 50 };
    expect(wasPresented(keyboard, settings)).toBe(false);
    expect(wasPresented({ ...keyboard, focusMs: 900 }, settings)).toBe(true);
  });

  it('follows the user settings, down to no wait at all', () => {
    const quick = { ...seen, visibleMs: 0, shownMs: 0 };
    expect(wasPresented(quick, { seenVisibleMs: 0, seenShownMs: 0 })).toBe(true);
    expect(wasPresented({ ...quick, hit: false }, { seenVisibleMs: 0, seenShownMs: 0 })).toBe(
      false,
    );
  });
});
