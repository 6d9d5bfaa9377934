// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { createPresentationWatch, hitsLink, type ObserveVisibility } from './presentation-watch.ts';

let clock = 0;
const now = () => clock;

function fakeObserver() {
  const watched = new Map<Element, (visible: boolean, at: number) => void>();
  const observe: ObserveVisibility = (target, onChange) => {
    watched.set(target, onChange);
    return () => watched.delete(target);
  };
  const report = (target: Element, visible: boolean) => watched.get(target)?.(visible, clock);
  return { observe, report, watched };
}

function link(): HTMLAnchorElement {
  const anchor = document.createElement('a');
  anchor.href = 'https://shop.example/articles/7';
  anchor.textContent = 'Why farthings';
  document.body.append(anchor);
  return anchor;
}

function clickAt(detail: number): MouseEvent {
  return new MouseEvent('click', { detail, clientX: 10, clientY: 10 });
}

function drawnOnTop(element: Element): void {
  Object.defineProperty(document, 'elementFromPoint', { configurable: true, value: () => element });
}

afterEach(() => {
  document.body.innerHTML = '';
  clock = 0;
});

describe('what the browser saw of a click', () => {
  it('counts how long the link and the tooltip were reported visible, and the offer shown', () => {
    const { observe, report } = fakeObserver();
    const watch = createPresentationWatch(document, observe, now);
    const anchor = link();
    const tooltip = document.createElement('div');
    watch.watch(anchor);
    watch.watch(tooltip);
    report(anchor, true);
    clock = 1_000;
    watch.shown(tooltip, 'offer-a');
    clock = 1_100;
    report(tooltip, true);
    clock = 1_600;
    drawnOnTop(anchor);
    expect(watch.measureClick(clickAt(1), anchor, 'offer-a', tooltip)).toEqual({
      input: 'pointer',
      hit: true,
      visibleMs: 1_600,
      // From when the tooltip was both showing this offer and visible.
      shownMs: 500,
      focusMs: 0,
    });
  });

  it('takes the reports the browser made but has not delivered before it judges a click', () => {
    const pending: (() => void)[] = [];
    const watched = new Map<Element, (visible: boolean, at: number) => void>();
    const observe = Object.assign(
      (target: Element, onChange: (visible: boolean, at: number) => void) => {
        watched.set(target, onChange);
        return () => watched.delete(target);
      },
      {
        flush: () => {
          for (const report of pending.splice(0)) report();
        },
      },
    );
    const watch = createPresentationWatch(document, observe, now);
    const anchor = link();
    watch.watch(anchor);
    // The browser judged the link visible at 0 ms; a busy page has not delivered it by 2,000.
    pending.push(() => watched.get(anchor)?.(true, 0));
    clock = 2_000;
    drawnOnTop(anchor);
    expect(watch.measureClick(clickAt(1), anchor, 'k', anchor).visibleMs).toBe(2_000);
  });

  it('starts again from zero when the link is covered, even for a moment', () => {
    const { observe, report } = fakeObserver();
    const watch = createPresentationWatch(document, observe, now);
    const anchor = link();
    watch.watch(anchor);
    report(anchor, true);
    clock = 5_000;
    report(anchor, false);
    clock = 5_100;
    report(anchor, true);
    clock = 5_300;
    expect(watch.visibleSince(anchor)).toBe(5_100);
  });

  it('reports no time shown for an offer other than the tooltip showed', () => {
    const { observe, report } = fakeObserver();
    const watch = createPresentationWatch(document, observe, now);
    const anchor = link();
    const tooltip = document.createElement('div');
    watch.watch(tooltip);
    report(tooltip, true);
    watch.shown(tooltip, 'cheap');
    clock = 2_000;
    drawnOnTop(anchor);
    expect(watch.measureClick(clickAt(1), anchor, 'dear', tooltip).shownMs).toBe(0);
    // Showing another offer restarts the time; hiding forgets it.
    watch.shown(tooltip, 'dear');
    clock = 2_300;
    expect(watch.measureClick(clickAt(1), anchor, 'dear', tooltip).shownMs).toBe(300);
    watch.shown(tooltip, null);
    expect(watch.measureClick(clickAt(1), anchor, 'dear', tooltip).shownMs).toBe(0);
  });

  it('says nothing is visible where the browser has no occlusion check', () => {
    const watch = createPresentationWatch(document, null, now);
    const anchor = link();
    watch.watch(anchor);
    clock = 60_000;
    drawnOnTop(anchor);
    expect(watch.measureClick(clickAt(1), anchor, 'k', anchor)).toMatchObject({ visibleMs: 0 });
  });

  it('judges a keyboard click by focus: held long enough, on this link', () => {
    const watch = createPresentationWatch(document, null, now);
    const anchor = link();
    const other = link();
    anchor.focus();
    watch.focused(anchor, true);
    clock = 700;
    expect(watch.measureClick(clickAt(0), anchor, 'k', anchor)).toMatchObject({
      input: 'keyboard',
      hit: true,
      focusMs: 700,
    });
    // Focus moved elsewhere by the page: the Enter did not land on the link.
    other.focus();
    expect(watch.measureClick(clickAt(0), anchor, 'k', anchor)).toMatchObject({ hit: false });
  });
});

describe('hitsLink', () => {
  it('finds the link under the click point through its children and open shadow roots', () => {
    const anchor = link();
    const inner = document.createElement('span');
    anchor.append(inner);
    drawnOnTop(inner);
    expect(hitsLink(document, anchor, clickAt(1))).toBe(true);

    const host = document.createElement('div');
    const root = host.attachShadow({ mode: 'open' });
    const shadowLink = document.createElement('a');
    root.append(shadowLink);
    document.body.append(host);
    drawnOnTop(host);
    Object.defineProperty(root, 'elementFromPoint', {
      configurable: true,
      value: () => shadowLink,
    });
    expect(hitsLink(document, shadowLink, clickAt(1))).toBe(true);
  });

  it('misses when another element is drawn on top of the link', () => {
    const anchor = link();
    const cover = document.createElement('div');
    document.body.append(cover);
    drawnOnTop(cover);
    expect(hitsLink(document, anchor, clickAt(1))).toBe(false);
  });
});
