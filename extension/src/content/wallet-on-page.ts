/**
 * The wallet on one web page: marks priced links (also ones added later), explains them on hover
 * and focus, pays on a trusted plain click, and offers to pay on a 402 paywall page.
 *
 * The page is hostile. The content script listens to no page message (`postMessage`, custom
 * events); it only reacts to the user's own input (`isTrusted`) and reads the DOM as data. What
 * it shows comes from the background's verified answers, in closed shadow roots.
 *
 * Long because every path from the page to a payment (link, hover, click, paywall) goes through
 * this one file, which keeps the trusted-input checks in one place to review.
 */
import { newNavigationId, withNavigationId } from '@farthing/protocol/http/paying-navigation';
import { callBackground, type Transport } from '../messages/client.ts';
import type { OfferView, PayHeld, PayOutcome, Presentation } from '../messages/contract.ts';
import { wasPresented } from '../wallet/pay/presentation.ts';
import { type Badge, createBadge } from './badge.ts';
import { asWalletError, createOfferBook, type OfferBook } from './offer-book.ts';
import { dispatchPaidEvent } from './paid-event.ts';
import { createPaywallBar, findPaywallLink, type PaywallBar } from './paywall-bar.ts';
import {
  createPresentationWatch,
  intersectionObserverV2,
  type ObserveVisibility,
  type PresentationWatch,
} from './presentation-watch.ts';
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
  /** `window.stop`: ends a navigation that has no answer yet. */
  readonly stopLoading: () => void;
  /** How long DOM changes settle before the page is scanned again. */
  readonly scanDelayMs?: number;
  /** How long a refusal or a result stays up after a click. */
  readonly noticeMs?: number;
  /** How long after starting a paid link's navigation its notice waits for the page to go. */
  readonly navigationGraceMs?: number;
  /** How long a link's payment that needs no confirmation runs before "paying" is drawn. */
  readonly payingNoticeDelayMs?: number;
  /** The browser's occlusion check (default: IntersectionObserver v2; null: none). */
  readonly observeVisibility?: ObserveVisibility | null;
  /** A monotonic clock in ms, the one the occlusion check's times use (`performance.now`). */
  readonly now?: () => number;
}

export interface WalletOnPage {
  readonly tooltip: Tooltip;
  readonly offers: OfferBook;
  readonly presentation: PresentationWatch;
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

/** A focus this soon after a key press is the keyboard's (onOver). */
const keyFocusMs = 1_000;

export function startWalletOnPage(doc: Document, options: WalletOnPageOptions): WalletOnPage {
  const win = doc.defaultView;
  if (win === null) throw new TypeError('expected a Document with a window');
  const scanDelayMs = options.scanDelayMs ?? 150;
  const noticeMs = options.noticeMs ?? 6_000;
  const navigationGraceMs = options.navigationGraceMs ?? 150;
  const payingNoticeDelayMs = options.payingNoticeDelayMs ?? 150;
  const offers = createOfferBook(options.transport);
  const tooltip = createTooltip(doc);
  const now = options.now ?? (() => win.performance.now());
  const watch = createPresentationWatch(
    doc,
    options.observeVisibility === undefined
      ? intersectionObserverV2(win)
      : options.observeVisibility,
    now,
  );
  watch.watch(tooltip.surface.host);
  /** Shows `view` in the tooltip beside `anchor`, noting which payable offer it shows. */
  const display = (view: TooltipView, anchor: HTMLAnchorElement | Element): void => {
    tooltip.show(view, anchor);
    const link = view.state === 'payable' ? readPricedLink(anchor) : null;
    watch.shown(tooltip.surface.host, link === null ? null : pricedLinkKey(link));
  };
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
  /** Set once this page asked the wallet about refunds from its merchant (wallet/refunds/). */
  let refundsAsked = false;

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
        watch.watch(anchor);
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
            display(tooltipViewOf(offer), anchor);
          }
        }),
      );
    }
    for (const [anchor, mark] of marked) {
      if (!seen.has(anchor)) {
        mark.badge?.remove();
        marked.delete(anchor);
        watch.unwatch(anchor);
      }
    }
    answers.push(scanPaywall());
    if (!refundsAsked && marked.size > 0) {
      refundsAsked = true;
      // Fire and forget: the page shows nothing of it; the history does.
      callBackground(options.transport, 'refunds.check', {}).catch(() => undefined);
    }
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

  const showFor = (anchor: HTMLAnchorElement, prepare: boolean): void => {
    const link = readPricedLink(anchor);
    if (link === null) return;
    clearTimeout(hideTimer);
    // Already showing for this link: the focus a click's mousedown gives the link it hovers.
    // Asking again then would put a describe ahead of the click's payment in the background
    // (its read transaction before the reservation's), on the click's path (e2e bench).
    if (activeLink === anchor) return;
    activeLink = anchor;
    if (Date.now() < noticeUntil) return;
    const known = offers.peek(link);
    display(known === undefined ? { state: 'checking' } : tooltipViewOf(known), anchor);
    // Asked again each time it shows: the offer may have expired, the budget moved, the
    // resource been bought in another tab. Same answer, same tooltip, its time kept running.
    const key = pricedLinkKey(link);
    void offers.refresh(link, prepare).then((offer) => {
      if (activeLink !== anchor || Date.now() < noticeUntil) return;
      const current = readPricedLink(anchor);
      if (current === null || pricedLinkKey(current) !== key) return;
      if (known === undefined || !sameOfferView(known, offer))
        display(tooltipViewOf(offer), anchor);
      marked.get(anchor)?.badge?.update(offer);
    });
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

  /** When the user last pressed Tab: a focus right after it is the keyboard's. */
  let lastKeyAt = Number.NEGATIVE_INFINITY;
  const onKey = (event: Event): void => {
    // Only Tab moves the focus: keys typed into the page's own fields would let a script's
    // focus() pass for the user's.
    if (event.isTrusted && (event as KeyboardEvent).key === 'Tab') lastKeyAt = Date.now();
  };
  const onOver = (event: Event): void => {
    if (!event.isTrusted) return;
    const anchor = pricedLinkOf(event);
    if (anchor === null) return;
    if (event.type === 'focusin') watch.focused(anchor, true);
    // The payment is made ready for the pointer and the keyboard, not for a focus a script
    // moved (element.focus() is a trusted event too).
    showFor(anchor, event.type === 'mouseover' || Date.now() - lastKeyAt < keyFocusMs);
  };
  const onOut = (event: Event): void => {
    const anchor = pricedLinkOf(event);
    if (anchor === null) return;
    if (event.type === 'focusout') watch.focused(anchor, false);
    leave(anchor, (event as MouseEvent | FocusEvent).relatedTarget);
  };

  // -- paying --------------------------------------------------------------------------------

  const showNotice = (view: TooltipView, anchor: Element | null): void => {
    if (anchor === null) return;
    noticeUntil = view.state === 'paying' ? Number.POSITIVE_INFINITY : Date.now() + noticeMs;
    display(view, anchor);
    if (activeLink === null) scheduleHide();
  };

  const pay = async (
    link: PricedLink,
    trigger: 'link' | 'paywall',
    anchor: HTMLAnchorElement | null,
    presentation: Presentation,
  ): Promise<void> => {
    const key = pricedLinkKey(link);
    if (paying.has(key)) return;
    paying.add(key);
    const known = offers.peek(link);
    const price = known?.price ?? null;
    const payee = known?.payee ?? null;
    // What the user is about to see: the wallet's window, unless the tooltip's offer pays at
    // once (or is owned already). An offer the tooltip never showed always asks.
    const confirming =
      known?.status === 'owned'
        ? false
        : known?.status !== 'payable' ||
          known.confirmation !== null ||
          !wasPresented(presentation, known.autoPay);
    // A link the tooltip showed as paid at once goes at the click, as a free link does, its URL
    // carrying a fresh id that the payment carries too: the merchant serves that navigation
    // once the payment reaches it (@farthing/protocol/http/paying-navigation).
    const early =
      trigger === 'link' && !confirming && known?.status === 'payable'
        ? sameOriginTarget(known.resourceUrl, options.pageUrl())
        : null;
    const navigation = early === null ? undefined : newNavigationId();
    // The request goes out first: the background works while the page goes.
    const answer = callBackground(options.transport, 'offer.pay', {
      ...link,
      trigger,
      presentation,
      ...(navigation === undefined ? {} : { navigation }),
    });
    if (early !== null && navigation !== undefined) {
      options.navigate(withNavigationId(early, navigation));
    }
    const payingView: TooltipView = { state: 'paying', price, payee, confirming };
    // A link paid without asking usually has its answer, and its navigation, before a
    // "paying" notice would be noticed: it is drawn only when the payment runs longer. Drawn
    // at once it flashed on every click, and its layout and paint took the machine's CPU from
    // the wallet's work on the click's path (e2e bench, 2 cores: click → pay request sent
    // ~3 ms later). A confirmation and the paywall bar's own button say so at once.
    let payingTimer: number | undefined;
    if (confirming || trigger === 'paywall') showNotice(payingView, anchor);
    else {
      payingTimer = win.setTimeout(() => {
        if (!stopped) showNotice(payingView, anchor);
      }, payingNoticeDelayMs);
    }
    if (trigger === 'paywall') showBar(payingView);
    let answered: PayOutcome | PayHeld;
    try {
      answered = await answer;
    } catch (error) {
      // A page that went at the click and lost its way to the wallet is leaving (or kept in
      // the back/forward cache): the payment is in the wallet's records, nothing to show here.
      if (navigation !== undefined) return;
      answered = { status: 'refused', error: asWalletError(error) };
    } finally {
      win.clearTimeout(payingTimer);
      paying.delete(key);
    }
    if (stopped) return;
    // Going already, unless the wallet holds the click (it asks first, or makes a chain).
    let going = navigation !== undefined && answered.status !== 'held';
    let outcome: PayOutcome;
    if (answered.status === 'held') {
      // Stopped before the merchant answers it: the page goes once the wallet has paid.
      options.stopLoading();
      showNotice({ ...payingView, confirming: true }, anchor);
      try {
        outcome = await callBackground(options.transport, 'offer.outcome', {
          navigation: navigation ?? '',
        });
      } catch (error) {
        outcome = { status: 'refused', error: asWalletError(error) };
      }
      if (stopped) return;
    } else {
      outcome = answered;
    }
    if (outcome.status === 'refused') {
      // A navigation that went at the click would wait at the merchant for nothing.
      if (going) options.stopLoading();
      const view: TooltipView = { state: 'refused', error: outcome.error, price, payee };
      showNotice(view, anchor);
      if (trigger === 'paywall') showBar(view);
      return;
    }
    offers.clear();
    // The link's navigation starts first, and the notice and the page's event wait a moment:
    // drawn at once, they hold the page's thread while the navigation gets going (measured in
    // the e2e bench: the navigation reached the shop ~1 ms later). When the new page comes, this
    // one goes, its timer with it; when none comes (a download, a 204), they show.
    if (trigger === 'link' && !going) {
      const target = sameOriginTarget(outcome.navigateTo, options.pageUrl());
      if (target !== null) {
        options.navigate(target);
        going = true;
      }
    }
    if (going) {
      await new Promise((resolve) => win.setTimeout(resolve, navigationGraceMs));
      if (stopped) return;
    }
    const paid: TooltipView = outcome.owned
      ? { state: 'opening', price: outcome.price, payee }
      : { state: 'paid', price: outcome.price, payee };
    showNotice(paid, anchor);
    if (trigger === 'paywall') showBar(paid);
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
    // Measured before anything else moves: what the browser saw of this link and this click.
    const presentation = watch.measureClick(
      event,
      anchor,
      pricedLinkKey(link),
      tooltip.surface.host,
    );
    event.preventDefault();
    event.stopImmediatePropagation();
    void pay(link, 'link', anchor, presentation);
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
    const payThisPage = (event: MouseEvent): void => {
      if (paywallLink === null || paywallBar === null) return;
      const host = paywallBar.surface.host;
      const presentation = watch.measurePress(event, host, pricedLinkKey(paywallLink));
      void pay(paywallLink, 'paywall', null, presentation);
    };
    if (paywallBar === null) {
      paywallBar = createPaywallBar(doc, payThisPage);
      watch.watch(paywallBar.surface.host);
    }
    showBar({ state: 'checking' });
    const offer = await offers.describe(link);
    if (!stopped && paywallLink === link) showBar(tooltipViewOf(offer));
  };

  /** Shows `view` in the paywall bar, noting which payable offer it shows. */
  const showBar = (view: TooltipView): void => {
    if (paywallBar === null) return;
    paywallBar.show(view);
    watch.shown(
      paywallBar.surface.host,
      view.state === 'payable' && paywallLink !== null ? pricedLinkKey(paywallLink) : null,
    );
  };

  // -- wiring --------------------------------------------------------------------------------

  const listeners: [EventTarget, string, (event: never) => void][] = [
    [win, 'click', onClick],
    [doc, 'mouseover', onOver],
    [doc, 'mouseout', onOut],
    [doc, 'focusin', onOver],
    [doc, 'focusout', onOut],
    [doc, 'keydown', onKey],
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
    presentation: watch,
    paywall: () => paywallBar,
    badgeOf: (link) => marked.get(link)?.badge ?? undefined,
    scan,
    stop() {
      stopped = true;
      observer.disconnect();
      watch.stop();
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

/** The same answer as before, as far as the tooltip shows it. */
function sameOfferView(a: OfferView, b: OfferView): boolean {
  if (a.status !== b.status) return false;
  if (a.status === 'payable' && b.status === 'payable') {
    return (
      a.price.text === b.price.text &&
      a.payee.origin === b.payee.origin &&
      a.confirmation === b.confirmation &&
      a.siteBudgetLeft.minor === b.siteBudgetLeft.minor
    );
  }
  return JSON.stringify(a) === JSON.stringify(b);
}
