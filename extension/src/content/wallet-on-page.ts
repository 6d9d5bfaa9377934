/**
 * The wallet on one web page: marks priced links (also ones added later), explains them on hover
 * and focus, pays on a trusted plain click, and offers to pay on a 402 paywall page.
 *
 * The page is hostile. The content script listens to no page message (`postMessage`, custom
 * events); it only reacts to the user's own input (`isTrusted`) and reads the DOM as data. What
 * it shows comes from the background's verified answers, in closed shadow roots.
 */
import { callBackground, type Transport } from '../messages/client.ts';
import type { PayOutcome } from '../messages/contract.ts';
import { type Badge, createBadge } from './badge.ts';
import { asWalletError, createOfferBook, type OfferBook } from './offer-book.ts';
import { dispatchPaidEvent } from './paid-event.ts';
import { createPaywallBar, findPaywallLink, type PaywallBar } from './paywall-bar.ts';
import {
  findPricedLinks,
  isPlainPrimaryClick,
  type PricedLink,
  pricedLinkKey,
  pricedLinkOf,
  readPricedLink,
  sameOriginTarget,
} from './priced-links.ts';
import { createTooltip, type Tooltip, type TooltipView, tooltipViewOf } from './tooltip.ts';

export interface WalletOnPageOptions {
  readonly transport: Transport;
  /** `location.href` now (read on every use: single-page apps change it). */
  readonly pageUrl: () => string;
  /** `location.assign`. */
  readonly navigate: (url: string) => void;
  /** `location.reload`. */
  readonly reload: () => void;
  /** How long DOM changes settle before the page is scanned again. */
  readonly scanDelayMs?: number;
  /** How long a refusal or a result stays up after a click. */
  readonly noticeMs?: number;
  /** How long after starting a paid link's navigation its notice waits for the page to go. */
  readonly navigationGraceMs?: number;
}

export interface WalletOnPage {
  readonly tooltip: Tooltip;
  readonly offers: OfferBook;
  /** The paywall bar, when this is a paywall page. */
  paywall(): PaywallBar | null;
  /** The badge of a marked link. */
  badgeOf(link: HTMLAnchorElement): Badge | undefined;
  /** Finds and marks links now; resolves when their answers are shown. */
  scan(): Promise<void>;
  stop(): void;
}

interface MarkedLink {
  key: string;
  badge: Badge | null;
}

export function startWalletOnPage(doc: Document, options: WalletOnPageOptions): WalletOnPage {
  const win = doc.defaultView;
  if (win === null) throw new TypeError('expected a Document with a window');
  const scanDelayMs = options.scanDelayMs ?? 150;
  const noticeMs = options.noticeMs ?? 6_000;
  const navigationGraceMs = options.navigationGraceMs ?? 150;
  const offers = createOfferBook(options.transport);
  const tooltip = createTooltip(doc);
  const marked = new Map<HTMLAnchorElement, MarkedLink>();
  /** Keys of links being paid: a second click while one is in flight does nothing. */
  const paying = new Set<string>();
  let activeLink: HTMLAnchorElement | null = null;
  /** While set, the tooltip shows a click's outcome and hover does not replace it. */
  let noticeUntil = 0;
  let hideTimer: ReturnType<typeof setTimeout> | undefined;
  let scanTimer: ReturnType<typeof setTimeout> | undefined;
  let paywallBar: PaywallBar | null = null;
  let paywallLink: PricedLink | null = null;
  let stopped = false;

  // -- marking -------------------------------------------------------------------------------

  const scan = async (): Promise<void> => {
    const seen = new Set<HTMLAnchorElement>();
    const answers: Promise<void>[] = [];
    for (const anchor of findPricedLinks(doc)) {
      const link = readPricedLink(anchor);
      if (link === null) continue;
      seen.add(anchor);
      const key = pricedLinkKey(link);
      let mark = marked.get(anchor);
      if (mark === undefined || mark.key !== key) {
        mark = { key, badge: mark?.badge ?? null };
        marked.set(anchor, mark);
      } else if (mark.badge !== null) {
        mark.badge.attach(anchor);
        continue;
      }
      const current = mark;
      answers.push(
        offers.describe(link).then((offer) => {
          if (stopped || marked.get(anchor) !== current) return;
          current.badge ??= createBadge(doc);
          current.badge.update(offer);
          current.badge.attach(anchor);
          if (activeLink === anchor && Date.now() >= noticeUntil) {
            tooltip.show(tooltipViewOf(offer), anchor);
          }
        }),
      );
    }
    for (const [anchor, mark] of marked) {
      if (!seen.has(anchor)) {
        mark.badge?.remove();
        marked.delete(anchor);
      }
    }
    answers.push(scanPaywall());
    await Promise.all(answers);
  };

  const scheduleScan = (): void => {
    if (scanTimer !== undefined) return;
    scanTimer = setTimeout(() => {
      scanTimer = undefined;
      if (!stopped) void scan();
    }, scanDelayMs);
  };

  const observer = new win.MutationObserver((records) => {
    // Our own badges going in and out are not news.
    if (records.every(isOwnMutation)) return;
    scheduleScan();
  });

  // -- hover and focus -----------------------------------------------------------------------

  const showFor = (anchor: HTMLAnchorElement): void => {
    const link = readPricedLink(anchor);
    if (link === null) return;
    clearTimeout(hideTimer);
    activeLink = anchor;
    if (Date.now() < noticeUntil) return;
    const known = offers.peek(link);
    tooltip.show(known === undefined ? { state: 'checking' } : tooltipViewOf(known), anchor);
    if (known === undefined) {
      void offers.describe(link).then((offer) => {
        if (activeLink === anchor && Date.now() >= noticeUntil) {
          tooltip.show(tooltipViewOf(offer), anchor);
        }
      });
    }
  };

  const leave = (anchor: HTMLAnchorElement, to: EventTarget | null): void => {
    if (activeLink !== anchor) return;
    if (to instanceof Node && anchor.contains(to)) return;
    activeLink = null;
    scheduleHide();
  };

  /** Hides the tooltip once the pointer and focus are gone and no click's notice is up. */
  const scheduleHide = (): void => {
    clearTimeout(hideTimer);
    if (noticeUntil === Number.POSITIVE_INFINITY) return;
    hideTimer = setTimeout(
      () => {
        if (activeLink === null) tooltip.hide();
      },
      Math.max(150, noticeUntil - Date.now()),
    );
  };

  const onOver = (event: Event): void => {
    if (!event.isTrusted) return;
    const anchor = pricedLinkOf(event);
    if (anchor !== null) showFor(anchor);
  };
  const onOut = (event: Event): void => {
    const anchor = pricedLinkOf(event);
    if (anchor !== null) leave(anchor, (event as MouseEvent | FocusEvent).relatedTarget);
  };

  // -- paying --------------------------------------------------------------------------------

  const showNotice = (view: TooltipView, anchor: Element | null): void => {
    if (anchor === null) return;
    noticeUntil = view.state === 'paying' ? Number.POSITIVE_INFINITY : Date.now() + noticeMs;
    tooltip.show(view, anchor);
    if (activeLink === null) scheduleHide();
  };

  const pay = async (
    link: PricedLink,
    trigger: 'link' | 'paywall',
    anchor: HTMLAnchorElement | null,
  ): Promise<void> => {
    const key = pricedLinkKey(link);
    if (paying.has(key)) return;
    paying.add(key);
    const known = offers.peek(link);
    const price = known?.price ?? null;
    const payee = known?.payee ?? null;
    const confirming = known?.status === 'payable' && known.confirmation !== null;
    // The request goes out first: the background works while the notice is drawn.
    const answer = callBackground(options.transport, 'offer.pay', { ...link, trigger });
    showNotice({ state: 'paying', price, payee, confirming }, anchor);
    if (trigger === 'paywall') paywallBar?.show({ state: 'paying', price, payee, confirming });
    let outcome: PayOutcome;
    try {
      outcome = await answer;
    } catch (error) {
      outcome = { status: 'refused', error: asWalletError(error) };
    } finally {
      paying.delete(key);
    }
    if (stopped) return;
    if (outcome.status === 'refused') {
      const view: TooltipView = { state: 'refused', error: outcome.error, price, payee };
      showNotice(view, anchor);
      if (trigger === 'paywall') paywallBar?.show(view);
      return;
    }
    offers.clear();
    // The link's navigation starts first, and the notice and the page's event wait a moment:
    // drawn at once, they hold the page's thread while the navigation gets going (measured in
    // the e2e bench: the navigation reached the shop ~1 ms later). When the new page comes, this
    // one goes, its timer with it; when none comes (a download, a 204), they show.
    if (trigger === 'link') {
      const target = sameOriginTarget(outcome.navigateTo, options.pageUrl());
      if (target !== null) {
        options.navigate(target);
        await new Promise((resolve) => win.setTimeout(resolve, navigationGraceMs));
        if (stopped) return;
      }
    }
    const paid: TooltipView = { state: 'paid', price: outcome.price, payee };
    showNotice(paid, anchor);
    if (trigger === 'paywall') paywallBar?.show(paid);
    dispatchPaidEvent(doc, {
      resource: outcome.resource,
      amount: outcome.price.text,
      receiptId: outcome.receiptId,
    });
    if (trigger === 'paywall') options.reload();
  };

  const onClick = (event: MouseEvent): void => {
    // A synthetic click (`el.click()`, dispatchEvent) is the page's, not the user's: the page's
    // own navigation happens and lands on the 402 paywall, where the user can decide.
    if (!event.isTrusted || event.defaultPrevented || !isPlainPrimaryClick(event)) return;
    const anchor = pricedLinkOf(event);
    if (anchor === null) return;
    const link = readPricedLink(anchor);
    if (link === null) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    void pay(link, 'link', anchor);
  };

  // -- paywall pages -------------------------------------------------------------------------

  const scanPaywall = async (): Promise<void> => {
    const anchor = findPaywallLink(doc, options.pageUrl());
    const link = anchor === null ? null : readPricedLink(anchor);
    if (link === null) {
      paywallBar?.remove();
      paywallBar = null;
      paywallLink = null;
      return;
    }
    if (paywallLink !== null && pricedLinkKey(paywallLink) === pricedLinkKey(link)) return;
    paywallLink = link;
    const payThisPage = (): void => {
      if (paywallLink !== null) void pay(paywallLink, 'paywall', null);
    };
    paywallBar ??= createPaywallBar(doc, payThisPage);
    paywallBar.show({ state: 'checking' });
    const offer = await offers.describe(link);
    if (!stopped && paywallLink === link) paywallBar.show(tooltipViewOf(offer));
  };

  // -- wiring --------------------------------------------------------------------------------

  const listeners: [EventTarget, string, (event: never) => void][] = [
    [win, 'click', onClick],
    [doc, 'mouseover', onOver],
    [doc, 'mouseout', onOut],
    [doc, 'focusin', onOver],
    [doc, 'focusout', onOut],
  ];
  for (const [target, type, listener] of listeners) {
    target.addEventListener(type, listener as EventListener, { capture: true });
  }
  observer.observe(doc.documentElement, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ['data-farthing-offer', 'href', 'class', 'rel'],
  });

  return {
    tooltip,
    offers,
    paywall: () => paywallBar,
    badgeOf: (link) => marked.get(link)?.badge ?? undefined,
    scan,
    stop() {
      stopped = true;
      observer.disconnect();
      clearTimeout(scanTimer);
      clearTimeout(hideTimer);
      for (const [target, type, listener] of listeners) {
        target.removeEventListener(type, listener as EventListener, { capture: true });
      }
      for (const mark of marked.values()) mark.badge?.remove();
      marked.clear();
      tooltip.surface.host.remove();
      paywallBar?.remove();
    },
  };
}

function isOwnMutation(record: MutationRecord): boolean {
  if (record.type !== 'childList') return false;
  const nodes = [...Array.from(record.addedNodes), ...Array.from(record.removedNodes)];
  return nodes.every(
    (node) =>
      node instanceof Element &&
      (node.hasAttribute('data-farthing-badge') ||
        node.hasAttribute('data-farthing-tooltip') ||
        node.hasAttribute('data-farthing-paywall')),
  );
}
