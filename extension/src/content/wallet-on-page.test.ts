// @vitest-environment happy-dom
/**
 * The content script's page side: priced links marked, the tooltip, clicks (trusted, visible,
 * within the limits) and 402 paywall pages, against a fake background.
 *
 * Long because wallet-on-page.ts keeps every path from the page to a payment in one file, and
 * its tests follow it: each path's hostile-page cases sit beside its normal ones.
 */
import { isNavigationId } from '@farthing/protocol/http/paying-navigation';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { OfferView, PayOutcome } from '../messages/contract.ts';
import { deferred, fakeBackground, refusal } from '../ui/testing/fake-background.ts';
import { eur, payableOffer, payee } from '../ui/testing/fixtures.ts';
import { paywallArmDelayMs } from './paywall-bar.ts';
import type { ObserveVisibility } from './presentation-watch.ts';
import { startWalletOnPage, type WalletOnPage } from './wallet-on-page.ts';

const pageUrl = 'http://127.0.0.1:8701/';
const paid: PayOutcome = {
  status: 'paid',
  receiptId: 'rcpt-1',
  price: eur(5),
  instrument: 'payword',
  resource: '/articles/7',
  navigateTo: 'http://127.0.0.1:8701/articles/7',
  owned: false,
};

let wallet: WalletOnPage | undefined;
const navigate = vi.fn<(url: string) => void>();
const reload = vi.fn<() => void>();
const stopLoading = vi.fn<() => void>();

beforeEach(() => {
  document.head.innerHTML = '';
  document.body.innerHTML = '';
  navigate.mockReset();
  reload.mockReset();
  stopLoading.mockReset();
});
afterEach(() => {
  wallet?.stop();
  wallet = undefined;
  vi.useRealTimers();
});

/**
 * The browser's occlusion check, driven by the test: `show(element)` reports it visible since
 * `ago` ms, `hide(element)` reports it covered. happy-dom has no IntersectionObserver v2.
 */
function fakeVisibility() {
  const watched = new Map<Element, (visible: boolean, at: number) => void>();
  const observe: ObserveVisibility = (target, onChange) => {
    watched.set(target, onChange);
    return () => watched.delete(target);
  };
  return {
    observe,
    show: (element: Element, ago = 10_000) => watched.get(element)?.(true, performance.now() - ago),
    hide: (element: Element) => watched.get(element)?.(false, performance.now()),
    watching: (element: Element) => watched.has(element),
  };
}
let visibility = fakeVisibility();

function start(
  background: ReturnType<typeof fakeBackground>,
  url = pageUrl,
  navigationGraceMs = 5,
): WalletOnPage {
  visibility = fakeVisibility();
  wallet = startWalletOnPage(document, {
    transport: background.transport,
    pageUrl: () => url,
    navigate,
    reload,
    stopLoading,
    scanDelayMs: 5,
    noticeMs: 50,
    navigationGraceMs,
    payingNoticeDelayMs,
    observeVisibility: visibility.observe,
  });
  return wallet;
}

/** How long a test's payment runs before its "paying" notice is drawn. */
const payingNoticeDelayMs = 40;

function pricedLink(
  offer = 'offer-7',
  href = '/articles/7',
  hintedPrice = 'EUR 99.99',
): HTMLAnchorElement {
  const link = document.createElement('a');
  link.href = new URL(href, pageUrl).href;
  link.setAttribute('data-farthing-offer', offer);
  link.setAttribute('data-farthing-price', hintedPrice);
  link.textContent = 'Why farthings';
  document.body.append(link);
  return link;
}

function trusted<E extends Event>(event: E): E {
  Object.defineProperty(event, 'isTrusted', { value: true });
  return event;
}

function shadowText(host: Element | null | undefined, root: ShadowRoot | undefined): string {
  expect(host).toBeTruthy();
  return root?.textContent ?? '';
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/** Makes `element` the topmost one wherever the page is hit (happy-dom does no layout). */
function hitAt(element: Element): void {
  Object.defineProperty(document, 'elementFromPoint', {
    configurable: true,
    value: () => element,
  });
}

/**
 * The user's way to a click: the link on screen for a while, the pointer on it, the wallet's
 * tooltip showing its price (and on screen) for longer than the default 400 ms.
 */
async function hoverSeen(page: WalletOnPage, link: HTMLAnchorElement): Promise<void> {
  visibility.show(link);
  hitAt(link);
  link.dispatchEvent(trusted(new MouseEvent('mouseover', { bubbles: true })));
  await settle();
  visibility.show(page.tooltip.surface.host, 0);
  await new Promise((resolve) => setTimeout(resolve, 450));
}

describe('marking priced links', () => {
  it('shows the verified price from offer.describe, never data-farthing-price', async () => {
    const background = fakeBackground({ 'offer.describe': () => payableOffer });
    const link = pricedLink();
    const page = start(background);
    await page.scan();
    const badge = page.badgeOf(link);
    expect(link.nextElementSibling?.hasAttribute('data-farthing-badge')).toBe(true);
    expect(badge?.surface.root.textContent).toContain('EUR 0.05');
    expect(badge?.surface.root.textContent).not.toContain('99.99');
    expect(link.nextElementSibling?.getAttribute('data-state')).toBe('payable');
    expect(background.callsOf('offer.describe')).toEqual([
      { offer: 'offer-7', href: 'http://127.0.0.1:8701/articles/7' },
    ]);
  });

  it('asks for the link’s payment to be made ready only when its tooltip shows', async () => {
    const background = fakeBackground({ 'offer.describe': () => payableOffer });
    const link = pricedLink();
    const page = start(background);
    await page.scan();
    link.dispatchEvent(trusted(new MouseEvent('mouseover', { bubbles: true })));
    await settle();
    expect(background.callsOf('offer.describe')).toEqual([
      { offer: 'offer-7', href: 'http://127.0.0.1:8701/articles/7' },
      { offer: 'offer-7', href: 'http://127.0.0.1:8701/articles/7', prepare: true },
    ]);
  });

  it('does not ask for it on a focus a script moved, only on one the keyboard did', async () => {
    const background = fakeBackground({ 'offer.describe': () => payableOffer });
    const [first, second] = [pricedLink(), pricedLink()];
    const page = start(background);
    await page.scan();
    // Typed into the page's own field, then a script's focus(): not the keyboard's.
    document.dispatchEvent(trusted(new KeyboardEvent('keydown', { key: 'a' })));
    first.dispatchEvent(trusted(new FocusEvent('focusin', { bubbles: true })));
    await settle();
    document.dispatchEvent(trusted(new KeyboardEvent('keydown', { key: 'Tab' })));
    second.dispatchEvent(trusted(new FocusEvent('focusin', { bubbles: true })));
    await settle();
    expect(background.callsOf('offer.describe').slice(1)).toEqual([
      { offer: 'offer-7', href: 'http://127.0.0.1:8701/articles/7' },
      { offer: 'offer-7', href: 'http://127.0.0.1:8701/articles/7', prepare: true },
    ]);
  });

  it('asks once for many links carrying the same offer', async () => {
    const background = fakeBackground({ 'offer.describe': () => payableOffer });
    for (let i = 0; i < 20; i++) pricedLink();
    await start(background).scan();
    expect(background.callsOf('offer.describe')).toHaveLength(1);
    expect(document.querySelectorAll('[data-farthing-badge]')).toHaveLength(20);
  });

  it('marks links the page adds later, once the DOM settles', async () => {
    const background = fakeBackground({ 'offer.describe': () => payableOffer });
    const page = start(background);
    await page.scan();
    const later = pricedLink('offer-8', '/articles/8');
    await settle();
    await settle();
    expect(page.badgeOf(later)?.surface.host.getAttribute('data-state')).toBe('payable');
  });

  it('asks again when the page swaps a link’s offer', async () => {
    const background = fakeBackground({
      'offer.describe': ({ offer }) =>
        offer === 'offer-7' ? payableOffer : { ...payableOffer, price: eur(50) },
    });
    const link = pricedLink();
    const page = start(background);
    await page.scan();
    link.setAttribute('data-farthing-offer', 'offer-pricier');
    await vi.waitFor(() =>
      expect(page.badgeOf(link)?.surface.root.textContent).toContain('EUR 0.50'),
    );
    expect(document.querySelectorAll('[data-farthing-badge]')).toHaveLength(1);
  });

  it('ignores links whose URL is not http(s) or whose offer is empty or huge', async () => {
    const background = fakeBackground({ 'offer.describe': () => payableOffer });
    const script = pricedLink('offer-1');
    script.setAttribute('href', 'javascript:alert(1)');
    pricedLink('');
    pricedLink('x'.repeat(20_000));
    await start(background).scan();
    expect(background.calls).toHaveLength(0);
    expect(document.querySelector('[data-farthing-badge]')).toBeNull();
  });

  it('keeps every surface in a closed shadow root with no price in attributes', async () => {
    const background = fakeBackground({ 'offer.describe': () => payableOffer });
    const link = pricedLink();
    const page = start(background);
    await page.scan();
    link.dispatchEvent(trusted(new MouseEvent('mouseover', { bubbles: true })));
    const hosts = document.querySelectorAll('[data-farthing-badge], [data-farthing-tooltip]');
    expect(hosts).toHaveLength(2);
    for (const host of hosts) {
      expect(host.shadowRoot).toBeNull();
      expect(host.outerHTML).not.toContain('0.05');
    }
  });

  it('renders the background’s strings as text, never as markup', async () => {
    const hostile: OfferView = {
      ...payableOffer,
      payee: { ...payee, name: '<img src=x onerror=alert(1)>' },
    } as OfferView;
    const background = fakeBackground({ 'offer.describe': () => hostile });
    const link = pricedLink();
    const page = start(background);
    await page.scan();
    link.dispatchEvent(trusted(new MouseEvent('mouseover', { bubbles: true })));
    expect(page.tooltip.surface.root.querySelector('img')).toBeNull();
    expect(page.tooltip.surface.root.textContent).toContain('<img src=x onerror=alert(1)>');
  });
});

describe('the tooltip', () => {
  it('shows price, verified payee, origin and budget left on hover', async () => {
    const background = fakeBackground({ 'offer.describe': () => payableOffer });
    const link = pricedLink();
    const page = start(background);
    await page.scan();
    link.dispatchEvent(trusted(new MouseEvent('mouseover', { bubbles: true })));
    const host = document.querySelector('[data-farthing-tooltip]');
    expect(host?.getAttribute('data-state')).toBe('payable');
    const text = shadowText(host, page.tooltip.surface.root);
    expect(text).toContain('EUR 0.05');
    expect(text).toContain('The Farthing Gazette');
    expect(text).toContain('http://127.0.0.1:8701');
    expect(text).toContain('EUR 0.95');
    expect(text).not.toContain('Asks to confirm');
  });

  it('shows on keyboard focus too, and says when a click asks to confirm', async () => {
    const background = fakeBackground({
      'offer.describe': () => ({ ...payableOffer, confirmation: 'first_payment_to_site' }),
    });
    const link = pricedLink();
    const page = start(background);
    await page.scan();
    link.dispatchEvent(trusted(new FocusEvent('focusin', { bubbles: true })));
    expect(page.tooltip.state).toBe('payable');
    expect(page.tooltip.surface.root.textContent).toContain(
      'Asks to confirm: This is your first payment to this site.',
    );
  });

  it('asks again each time it shows, but not when a click’s mousedown focuses the link it shows for', async () => {
    const background = fakeBackground({ 'offer.describe': () => payableOffer });
    const link = pricedLink();
    const page = start(background);
    await page.scan();
    const asked = background.callsOf('offer.describe').length;
    link.dispatchEvent(trusted(new MouseEvent('mouseover', { bubbles: true })));
    await settle();
    expect(background.callsOf('offer.describe')).toHaveLength(asked + 1);
    // The click's focus would put a describe ahead of the payment in the background.
    link.dispatchEvent(trusted(new FocusEvent('focusin', { bubbles: true })));
    await settle();
    expect(background.callsOf('offer.describe')).toHaveLength(asked + 1);
    expect(page.tooltip.state).toBe('payable');
    link.dispatchEvent(
      trusted(new MouseEvent('mouseout', { bubbles: true, relatedTarget: document.body })),
    );
    link.dispatchEvent(trusted(new MouseEvent('mouseover', { bubbles: true })));
    await settle();
    expect(background.callsOf('offer.describe')).toHaveLength(asked + 2);
  });

  it('says why the wallet will not pay, with where to fix it', async () => {
    const background = fakeBackground({
      'offer.describe': () => ({
        status: 'refused',
        error: {
          code: 'over_site_budget',
          message: 'This would go over the budget for this site today.',
          hint: 'settings#sites',
        },
        price: eur(5),
        payee,
      }),
    });
    const link = pricedLink();
    const page = start(background);
    await page.scan();
    link.dispatchEvent(trusted(new MouseEvent('mouseover', { bubbles: true })));
    expect(page.tooltip.state).toBe('refused');
    expect(page.badgeOf(link)?.surface.host.getAttribute('data-state')).toBe('refused');
    const text = page.tooltip.surface.root.textContent;
    expect(text).toContain('over the budget for this site');
    expect(text).toContain("Farthing wallet's settings (Sites)");
  });

  it('hides after the pointer leaves', async () => {
    const background = fakeBackground({ 'offer.describe': () => payableOffer });
    const link = pricedLink();
    const page = start(background);
    await page.scan();
    link.dispatchEvent(trusted(new MouseEvent('mouseover', { bubbles: true })));
    link.dispatchEvent(new MouseEvent('mouseout', { bubbles: true, relatedTarget: document.body }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(page.tooltip.state).toBeNull();
    expect(document.querySelector('[data-farthing-tooltip]')?.hasAttribute('data-state')).toBe(
      false,
    );
  });

  it('does not react to synthetic hovers from the page', async () => {
    const background = fakeBackground({ 'offer.describe': () => payableOffer });
    const link = pricedLink();
    const page = start(background);
    await page.scan();
    link.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
    expect(page.tooltip.state).toBeNull();
  });
});

describe('clicks', () => {
  function click(link: Element, init: MouseEventInit = {}, isTrusted = true): MouseEvent {
    const event = new MouseEvent('click', {
      bubbles: true,
      cancelable: true,
      button: 0,
      detail: 1,
      ...init,
    });
    link.dispatchEvent(isTrusted ? trusted(event) : event);
    return event;
  }

  /** A priced link on a page the wallet watches, seen by the user and clicked; not yet answered. */
  async function clickSeenLink(background: ReturnType<typeof fakeBackground>) {
    const link = pricedLink();
    const page = start(background, pageUrl, 5);
    await page.scan();
    await hoverSeen(page, link);
    click(link);
    return { page, link };
  }

  it('pays a trusted plain click, tells the page, and opens the resource', async () => {
    const background = fakeBackground({
      'offer.describe': () => payableOffer,
      'offer.pay': () => paid,
    });
    const link = pricedLink();
    const pageHandler = vi.fn();
    link.addEventListener('click', pageHandler);
    const events: string[] = [];
    document.addEventListener('farthing:paid', (event) =>
      events.push((event as CustomEvent<string>).detail),
    );
    const page = start(background);
    await page.scan();
    const event = click(link);
    expect(event.defaultPrevented).toBe(true);
    expect(pageHandler).not.toHaveBeenCalled();
    await settle();
    expect(background.callsOf('offer.pay')).toEqual([
      {
        offer: 'offer-7',
        href: 'http://127.0.0.1:8701/articles/7',
        trigger: 'link',
        presentation: expect.objectContaining({ input: 'pointer' }),
      },
    ]);
    expect(events.map((detail) => JSON.parse(detail))).toEqual([
      { resource: '/articles/7', amount: 'EUR 0.05', receiptId: 'rcpt-1' },
    ]);
    expect(navigate).toHaveBeenCalledWith('http://127.0.0.1:8701/articles/7');
    expect(page.tooltip.state).toBe('paid');
    expect(background.invalid).toEqual([]);
  });

  it('starts the navigation before it draws the paid notice or tells the page', async () => {
    const background = fakeBackground({
      'offer.describe': () => payableOffer,
      'offer.pay': () => paid,
    });
    const link = pricedLink();
    const events: string[] = [];
    document.addEventListener('farthing:paid', (event) =>
      events.push((event as CustomEvent<string>).detail),
    );
    const page = start(background, pageUrl, 100);
    await page.scan();
    click(link);
    await settle();
    expect(navigate).toHaveBeenCalledWith('http://127.0.0.1:8701/articles/7');
    expect(page.tooltip.state).toBe('paying');
    expect(events).toEqual([]);
    // The page stayed (no new document came): the notice and the event follow.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(page.tooltip.state).toBe('paid');
    expect(events).toHaveLength(1);
  });

  it('goes at the click for a link shown as paid at once, its URL naming the payment', async () => {
    const answer = deferred<PayOutcome>();
    const background = fakeBackground({
      'offer.describe': () => payableOffer,
      'offer.pay': () => answer.promise,
    });
    const events: string[] = [];
    document.addEventListener('farthing:paid', (event) =>
      events.push((event as CustomEvent<string>).detail),
    );
    const { page } = await clickSeenLink(background);
    // Before the wallet has answered: the page goes, with the id the payment carries.
    expect(navigate).toHaveBeenCalledTimes(1);
    const target = new URL(navigate.mock.calls[0]![0]);
    expect(target.origin + target.pathname).toBe('http://127.0.0.1:8701/articles/7');
    const id = target.searchParams.get('farthing-paying');
    expect(isNavigationId(id)).toBe(true);
    await settle();
    expect(background.callsOf('offer.pay')[0]?.navigation).toBe(id);
    answer.resolve(paid);
    await settle();
    // Paid: no second navigation; the page stayed (no new document), so the notice shows.
    expect(navigate).toHaveBeenCalledTimes(1);
    expect(stopLoading).not.toHaveBeenCalled();
    expect(page.tooltip.state).toBe('paid');
    expect(events).toHaveLength(1);
    expect(background.invalid).toEqual([]);
  });

  it('a fresh id for every click', async () => {
    const background = fakeBackground({
      'offer.describe': () => payableOffer,
      'offer.pay': () => paid,
    });
    const { page, link } = await clickSeenLink(background);
    await settle();
    await hoverSeen(page, link);
    click(link);
    await settle();
    const ids = background.callsOf('offer.pay').map((call) => call.navigation);
    expect(ids).toHaveLength(2);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('stops the navigation when the wallet holds the click, and goes once it has paid', async () => {
    const ended = deferred<PayOutcome>();
    const background = fakeBackground({
      'offer.describe': () => payableOffer,
      'offer.pay': () => ({ status: 'held' }),
      'offer.outcome': () => ended.promise,
    });
    const { page } = await clickSeenLink(background);
    await settle();
    expect(stopLoading).toHaveBeenCalledTimes(1);
    const id = background.callsOf('offer.pay')[0]?.navigation;
    expect(background.callsOf('offer.outcome')).toEqual([{ navigation: id }]);
    // Held for the wallet's window: the notice says so.
    expect(page.tooltip.state).toBe('paying');
    expect(page.tooltip.surface.root.textContent).toContain('Farthing window');
    ended.resolve(paid);
    await settle();
    expect(navigate).toHaveBeenCalledTimes(2);
    expect(navigate).toHaveBeenLastCalledWith('http://127.0.0.1:8701/articles/7');
  });

  it('stops the navigation when the payment is refused, and says why', async () => {
    const background = fakeBackground({
      'offer.describe': () => payableOffer,
      'offer.pay': () => ({
        status: 'refused',
        error: refusal('over_daily_budget', 'You reached your daily budget.').toJSON(),
      }),
    });
    const { page } = await clickSeenLink(background);
    await settle();
    expect(navigate).toHaveBeenCalledTimes(1);
    expect(stopLoading).toHaveBeenCalledTimes(1);
    expect(page.tooltip.state).toBe('refused');
  });

  it('shows nothing when a page that went at the click loses its way to the wallet', async () => {
    const background = fakeBackground({
      'offer.describe': () => payableOffer,
      'offer.pay': () => {
        // What the port does when the page goes into the back/forward cache.
        throw new Error('the port closed');
      },
    });
    const { page } = await clickSeenLink(background);
    await settle();
    await settle();
    expect(navigate).toHaveBeenCalledTimes(1);
    expect(stopLoading).not.toHaveBeenCalled();
    expect(page.tooltip.state).not.toBe('refused');
  });

  it('never goes at the click where the wallet will ask, nor to another origin', async () => {
    const background = fakeBackground({
      'offer.describe': () => ({ ...payableOffer, resourceUrl: 'https://evil.example/phish' }),
      'offer.pay': () => new Promise<PayOutcome>(() => {}),
    });
    await clickSeenLink(background);
    await settle();
    expect(navigate).not.toHaveBeenCalled();
    expect(background.callsOf('offer.pay')[0]?.navigation).toBeUndefined();
    // A click the tooltip never showed (nothing seen): asked, so it stays.
    const other = pricedLink('offer-8', '/articles/8');
    click(other);
    await settle();
    expect(navigate).not.toHaveBeenCalled();
    expect(background.callsOf('offer.pay')[1]?.navigation).toBeUndefined();
  });

  it('draws no paying notice for a link paid at once, only the paid one if the page stays', async () => {
    const background = fakeBackground({
      'offer.describe': () => payableOffer,
      'offer.pay': () => paid,
    });
    const link = pricedLink();
    const page = start(background, pageUrl, 60);
    await page.scan();
    await hoverSeen(page, link);
    const states: (string | null)[] = [];
    const host = document.querySelector('[data-farthing-tooltip]')!;
    const watch = new MutationObserver(() => states.push(host.getAttribute('data-state')));
    watch.observe(host, { attributes: true, attributeFilter: ['data-state'] });
    click(link);
    await settle();
    expect(navigate.mock.calls[0]?.[0]).toMatch(
      /^http:\/\/127\.0\.0\.1:8701\/articles\/7\?farthing-paying=/,
    );
    await new Promise((resolve) => setTimeout(resolve, payingNoticeDelayMs + 60));
    watch.disconnect();
    expect(page.tooltip.state).toBe('paid');
    expect(states).not.toContain('paying');
  });

  it('shows the paying state while the background works, and ignores a second click', async () => {
    const answer = deferred<PayOutcome>();
    const background = fakeBackground({
      'offer.describe': () => payableOffer,
      'offer.pay': () => answer.promise,
    });
    const link = pricedLink();
    const page = start(background);
    await page.scan();
    await hoverSeen(page, link);
    click(link);
    click(link);
    // Not drawn while the answer may still come at once…
    expect(page.tooltip.state).toBe('payable');
    await new Promise((resolve) => setTimeout(resolve, payingNoticeDelayMs + 10));
    // …then drawn, the second click still ignored.
    expect(page.tooltip.state).toBe('paying');
    expect(document.querySelector('[data-farthing-tooltip]')?.getAttribute('data-state')).toBe(
      'paying',
    );
    expect(page.tooltip.surface.root.textContent).not.toContain('Farthing window');
    answer.resolve(paid);
    await settle();
    expect(background.callsOf('offer.pay')).toHaveLength(1);
  });

  it('points to the confirmation window while the wallet waits for the user', async () => {
    const background = fakeBackground({
      'offer.describe': () => ({ ...payableOffer, confirmation: 'above_threshold' }),
      'offer.pay': () => new Promise<PayOutcome>(() => {}),
    });
    const link = pricedLink();
    const page = start(background);
    await page.scan();
    click(link);
    expect(page.tooltip.state).toBe('paying');
    expect(page.tooltip.surface.root.textContent).toContain(
      'Confirm or decline in the Farthing window.',
    );
  });

  it('sends what the browser saw: a link on screen, hit, its price shown long enough', async () => {
    const background = fakeBackground({
      'offer.describe': () => payableOffer,
      'offer.pay': () => paid,
    });
    const link = pricedLink();
    const page = start(background);
    await page.scan();
    await hoverSeen(page, link);
    click(link);
    await settle();
    const [call] = background.callsOf('offer.pay');
    expect(call?.presentation).toMatchObject({ input: 'pointer', hit: true });
    expect(call?.presentation?.visibleMs).toBeGreaterThanOrEqual(9_000);
    expect(call?.presentation?.shownMs).toBeGreaterThanOrEqual(400);
  });

  it('reports nothing shown for an offer swapped between the hover and the click', async () => {
    const background = fakeBackground({
      'offer.describe': () => payableOffer,
      'offer.pay': () => new Promise<PayOutcome>(() => {}),
    });
    const link = pricedLink('offer-cheap');
    const page = start(background);
    await page.scan();
    await hoverSeen(page, link);
    // The page swaps in another genuine offer on mousedown, right before the click.
    link.setAttribute('data-farthing-offer', 'offer-dear');
    click(link);
    await settle();
    const [call] = background.callsOf('offer.pay');
    expect(call?.offer).toBe('offer-dear');
    expect(call?.presentation?.shownMs).toBe(0);
    // The wallet says it will ask, not that it pays.
    expect(page.tooltip.surface.root.textContent).toContain('Farthing window');
    expect(page.tooltip.surface.root.textContent).not.toContain('Paying');
  });

  it('reports a link the browser says is covered or transparent as not visible', async () => {
    const background = fakeBackground({
      'offer.describe': () => payableOffer,
      'offer.pay': () => new Promise<PayOutcome>(() => {}),
    });
    const link = pricedLink();
    const page = start(background);
    await page.scan();
    await hoverSeen(page, link);
    visibility.hide(link);
    click(link);
    await settle();
    expect(background.callsOf('offer.pay')[0]?.presentation).toMatchObject({ visibleMs: 0 });
  });

  it('reports a miss when something else is drawn where the click landed', async () => {
    const background = fakeBackground({
      'offer.describe': () => payableOffer,
      'offer.pay': () => new Promise<PayOutcome>(() => {}),
    });
    const link = pricedLink();
    const decoy = document.createElement('button');
    document.body.append(decoy);
    const page = start(background);
    await page.scan();
    await hoverSeen(page, link);
    hitAt(decoy);
    click(link);
    await settle();
    expect(background.callsOf('offer.pay')[0]?.presentation).toMatchObject({ hit: false });
  });

  it('shows an owned resource as paid, and opens it on a click without a price', async () => {
    const owned: OfferView = {
      status: 'owned',
      price: eur(5),
      payee,
      title: 'Why farthings',
      resourceUrl: 'http://127.0.0.1:8701/articles/7',
      grantExpiresAt: Date.now() + 3_600_000,
      receiptId: 'rcpt-1',
    };
    const background = fakeBackground({
      'offer.describe': () => owned,
      'offer.pay': () => ({ ...paid, owned: true }),
    });
    const link = pricedLink();
    const page = start(background);
    await page.scan();
    expect(page.badgeOf(link)?.surface.root.textContent).toBe('paid');
    link.dispatchEvent(trusted(new MouseEvent('mouseover', { bubbles: true })));
    expect(page.tooltip.surface.root.textContent).toContain('Nothing is paid again');
    click(link);
    await settle();
    expect(navigate).toHaveBeenCalledWith('http://127.0.0.1:8701/articles/7');
    expect(page.tooltip.surface.root.textContent).toContain('Already paid');
  });

  it('leaves synthetic clicks alone: the page navigates to its paywall', async () => {
    const background = fakeBackground({
      'offer.describe': () => payableOffer,
      'offer.pay': () => paid,
    });
    const link = pricedLink();
    const page = start(background);
    await page.scan();
    const event = click(link, {}, false);
    link.click();
    await settle();
    expect(event.defaultPrevented).toBe(false);
    expect(background.callsOf('offer.pay')).toHaveLength(0);
    expect(navigate).not.toHaveBeenCalled();
  });

  it('leaves modified and non-primary clicks to the browser', async () => {
    const background = fakeBackground({
      'offer.describe': () => payableOffer,
      'offer.pay': () => paid,
    });
    const link = pricedLink();
    await start(background).scan();
    for (const init of [
      { ctrlKey: true },
      { metaKey: true },
      { shiftKey: true },
      { altKey: true },
      { button: 1 },
    ]) {
      expect(click(link, init).defaultPrevented).toBe(false);
    }
    await settle();
    expect(background.callsOf('offer.pay')).toHaveLength(0);
  });

  it('shows a refusal with its hint and stays on the page', async () => {
    const background = fakeBackground({
      'offer.describe': () => payableOffer,
      'offer.pay': () => {
        throw refusal('over_daily_budget', 'You reached your daily budget.', 'settings#limits');
      },
    });
    const link = pricedLink();
    const page = start(background);
    await page.scan();
    click(link);
    await settle();
    expect(page.tooltip.state).toBe('refused');
    expect(page.tooltip.surface.root.textContent).toContain('You reached your daily budget.');
    expect(page.tooltip.surface.root.textContent).toContain('(Limits)');
    expect(navigate).not.toHaveBeenCalled();
  });

  it('never navigates to another origin, whatever navigateTo says', async () => {
    const background = fakeBackground({
      'offer.describe': () => payableOffer,
      'offer.pay': () => ({ ...paid, navigateTo: 'https://evil.example/phish' }),
    });
    const link = pricedLink();
    await start(background).scan();
    click(link);
    await settle();
    expect(navigate).not.toHaveBeenCalled();
  });

  it('listens to nothing the page sends', async () => {
    const background = fakeBackground({
      'offer.describe': () => payableOffer,
      'offer.pay': () => paid,
    });
    pricedLink();
    await start(background).scan();
    const before = background.calls.length;
    window.postMessage({ action: 'offer.pay', input: { offer: 'offer-7' } }, '*');
    document.dispatchEvent(new CustomEvent('farthing:pay', { detail: { offer: 'offer-7' } }));
    await settle();
    expect(background.calls.length).toBe(before);
  });
});

describe('402 paywall pages', () => {
  const paywallUrl = 'http://127.0.0.1:8701/articles/7';

  function paywallPage(): HTMLAnchorElement {
    const merchant = document.createElement('link');
    merchant.rel = 'farthing-merchant';
    merchant.href = '/.well-known/farthing-merchant';
    document.head.append(merchant);
    const link = pricedLink('offer-7', '/articles/7');
    link.className = 'farthing-priced';
    return link;
  }

  it('offers to pay from a wallet bar with the verified price and payee', async () => {
    const background = fakeBackground({ 'offer.describe': () => payableOffer });
    paywallPage();
    const page = start(background, paywallUrl);
    await page.scan();
    const host = document.querySelector('[data-farthing-paywall]');
    expect(host?.getAttribute('data-state')).toBe('payable');
    expect(host?.shadowRoot).toBeNull();
    expect(page.paywall()?.button.textContent).toBe(
      'Pay EUR 0.05 to The Farthing Gazette with Farthing',
    );
  });

  it('pays on a trusted click once armed, then reloads', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const background = fakeBackground({
      'offer.describe': () => payableOffer,
      'offer.pay': () => paid,
    });
    paywallPage();
    const page = start(background, paywallUrl);
    await page.scan();
    const button = page.paywall()!.button;
    button.dispatchEvent(trusted(new MouseEvent('click', { bubbles: true })));
    expect(background.callsOf('offer.pay')).toHaveLength(0);
    vi.setSystemTime(Date.now() + paywallArmDelayMs + 1);
    button.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    expect(background.callsOf('offer.pay')).toHaveLength(0);
    button.dispatchEvent(trusted(new MouseEvent('click', { bubbles: true })));
    await vi.waitFor(() => expect(reload).toHaveBeenCalled());
    expect(background.callsOf('offer.pay')).toEqual([
      {
        offer: 'offer-7',
        href: paywallUrl,
        trigger: 'paywall',
        presentation: expect.objectContaining({ hit: true }),
      },
    ]);
  });

  it('shows nothing on pages that are not paywalls', async () => {
    const background = fakeBackground({ 'offer.describe': () => payableOffer });
    pricedLink('offer-7', '/articles/7').className = 'farthing-priced';
    const page = start(background, pageUrl);
    await page.scan();
    expect(page.paywall()).toBeNull();
    expect(document.querySelector('[data-farthing-paywall]')).toBeNull();
  });
});
