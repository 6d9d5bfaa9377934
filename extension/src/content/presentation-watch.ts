/**
 * What the user could see, measured by the browser (README "Auto-pay only what you saw"): how
 * long each priced link, the wallet's tooltip and its paywall bar have been on screen and
 * unobstructed, by the browser's own occlusion check (IntersectionObserver v2: `trackVisibility`
 * and `isVisible`, which is false when anything covers the element or it is drawn with opacity,
 * a filter or a distorting transform); how long the tooltip has shown one offer; how long a
 * link has held focus; and whether a click landed on the link itself.
 *
 * The figures go to the background with the click (`Presentation`), which decides. Where the
 * browser has no occlusion check (Firefox today), nothing is ever reported visible, so every
 * click asks in the wallet's window.
 */
import type { Presentation } from '../messages/contract.ts';

/**
 * Calls `onChange` with the browser's verdict whenever it changes; returns the unobserve.
 * `flush`, when there, delivers at once the verdicts the browser made but has not yet reported
 * (a busy page delivers them late; a click must not be judged without them).
 */
export type ObserveVisibility = ((
  target: Element,
  onChange: (visible: boolean, at: number) => void,
) => () => void) & { readonly flush?: () => void };

export interface PresentationWatch {
  /** Starts measuring an element (a priced link, the tooltip, the paywall bar). */
  watch(target: Element): void;
  unwatch(target: Element): void;
  /** Since when `target` has been reported visible without a break, or null. */
  visibleSince(target: Element): number | null;
  /** The wallet's `surface` now shows the payable offer `key` (null: nothing payable). */
  shown(surface: Element, key: string | null): void;
  /** A trusted focus entered or left a priced link. */
  focused(link: Element, focus: boolean): void;
  /** The figures of a click on `link` (whose offer is `key` now) by `event`. */
  measureClick(
    event: MouseEvent,
    link: HTMLAnchorElement,
    key: string,
    surface: Element,
  ): Presentation;
  /** The figures of a press on the wallet's own button in `surface` for `key`. */
  measurePress(event: MouseEvent, surface: Element, key: string): Presentation;
  stop(): void;
}

/** The browser's occlusion check; never visible where the browser lacks it. */
export function intersectionObserverV2(win: Window): ObserveVisibility | null {
  const Observer = (win as Window & typeof globalThis).IntersectionObserver;
  if (typeof Observer !== 'function') return null;
  const callbacks = new Map<Element, (visible: boolean, at: number) => void>();
  // `trackVisibility` and `delay` are IntersectionObserver v2 (Chromium); `delay` 100 ms is the
  // least the browser allows with visibility tracking.
  const options = {
    threshold: [0, 1],
    trackVisibility: true,
    delay: 100,
  } as IntersectionObserverInit;
  const deliver = (entries: readonly IntersectionObserverEntry[]): void => {
    for (const entry of entries) {
      const visible =
        entry.isIntersecting &&
        (entry as IntersectionObserverEntry & { isVisible?: boolean }).isVisible === true;
      callbacks.get(entry.target)?.(visible, entry.time);
    }
  };
  const observer = new Observer(deliver, options);
  // An engine that ignores `trackVisibility` would report everything it shows as "visible".
  if ((observer as IntersectionObserver & { trackVisibility?: boolean }).trackVisibility !== true) {
    observer.disconnect();
    return null;
  }
  const observe = (target: Element, onChange: (visible: boolean, at: number) => void) => {
    callbacks.set(target, onChange);
    observer.observe(target);
    return () => {
      callbacks.delete(target);
      observer.unobserve(target);
    };
  };
  return Object.assign(observe, { flush: () => deliver(observer.takeRecords()) });
}

export function createPresentationWatch(
  doc: Document,
  observe: ObserveVisibility | null,
  now: () => number,
): PresentationWatch {
  const since = new Map<Element, number | null>();
  const stops = new Map<Element, () => void>();
  const showing = new Map<Element, { key: string; since: number }>();
  const focusSince = new Map<Element, number>();

  const visibleSince = (target: Element): number | null => since.get(target) ?? null;
  const elapsed = (start: number | null, at: number): number =>
    start === null ? 0 : Math.max(0, at - start);

  /** How long `surface` has shown `key` while visible. */
  const shownFor = (surface: Element, key: string, at: number): number => {
    const shown = showing.get(surface);
    const visible = visibleSince(surface);
    if (shown === undefined || shown.key !== key || visible === null) return 0;
    return elapsed(Math.max(shown.since, visible), at);
  };

  return {
    watch(target) {
      if (stops.has(target)) return;
      since.set(target, null);
      if (observe === null) {
        stops.set(target, () => undefined);
        return;
      }
      stops.set(
        target,
        observe(target, (visible, at) => {
          if (!visible) since.set(target, null);
          else if (since.get(target) == null) since.set(target, Math.min(at, now()));
        }),
      );
    },
    unwatch(target) {
      stops.get(target)?.();
      stops.delete(target);
      since.delete(target);
      showing.delete(target);
      focusSince.delete(target);
    },
    visibleSince,
    shown(surface, key) {
      if (key === null) showing.delete(surface);
      else if (showing.get(surface)?.key !== key) showing.set(surface, { key, since: now() });
    },
    focused(link, focus) {
      if (focus) focusSince.set(link, now());
      else focusSince.delete(link);
    },
    measureClick(event, link, key, surface) {
      observe?.flush?.();
      const at = now();
      // A click from the keyboard (Enter on a focused link) has no pointer: detail 0.
      const keyboard = event.detail === 0;
      const focus = focusSince.get(link);
      return {
        input: keyboard ? 'keyboard' : 'pointer',
        hit: keyboard ? deepActiveElement(doc) === link : hitsLink(doc, link, event),
        visibleMs: elapsed(visibleSince(link), at),
        shownMs: shownFor(surface, key, at),
        focusMs: focus === undefined ? 0 : elapsed(focus, at),
      };
    },
    measurePress(event, surface, key) {
      observe?.flush?.();
      const at = now();
      const visibleMs = elapsed(visibleSince(surface), at);
      return {
        input: event.detail === 0 ? 'keyboard' : 'pointer',
        // The press reached the wallet's own button, inside its closed shadow root.
        hit: true,
        visibleMs,
        shownMs: shownFor(surface, key, at),
        focusMs: visibleMs,
      };
    },
    stop() {
      for (const stop of stops.values()) stop();
      stops.clear();
      since.clear();
      showing.clear();
      focusSince.clear();
    },
  };
}

/**
 * Whether the topmost element at the click point is the link or inside it, looking through
 * open shadow roots (a closed one hides its inside from the page and from us alike).
 */
export function hitsLink(doc: Document, link: Element, event: MouseEvent): boolean {
  let hit: Element | null = doc.elementFromPoint(event.clientX, event.clientY);
  for (let depth = 0; hit?.shadowRoot != null && depth < 32; depth++) {
    const inner: Element | null = hit.shadowRoot.elementFromPoint(event.clientX, event.clientY);
    if (inner === null || inner === hit) break;
    hit = inner;
  }
  for (let node: Node | null = hit; node !== null; ) {
    if (node === link) return true;
    node = node.parentNode ?? (node instanceof ShadowRoot ? node.host : null);
  }
  return false;
}

function deepActiveElement(doc: Document): Element | null {
  let active = doc.activeElement;
  for (let depth = 0; active?.shadowRoot?.activeElement != null && depth < 32; depth++) {
    active = active.shadowRoot.activeElement;
  }
  return active;
}
