/**
 * Every piece of wallet UI on a web page lives in a CLOSED shadow root: the page can neither
 * read it (no `host.shadowRoot`) nor restyle it (its stylesheets stop at the boundary). The host
 * element itself is in the page's DOM, so its own box is pinned with inline `!important`
 * declarations, which outrank any author stylesheet, even `!important` ones.
 *
 * Content goes in through `textContent` only: nothing from the page is ever parsed as HTML.
 */

export interface ShadowSurface {
  readonly host: HTMLElement;
  /** Closed: only the content script holds this reference. */
  readonly root: ShadowRoot;
  /**
   * Shows `content` in place of whatever the surface showed (its style stays), and marks the
   * host with the `state` it shows (`data-state`).
   */
  render(state: string, content: Node): void;
}

export function createShadowSurface(
  doc: Document,
  tag: 'span' | 'div',
  marker: string,
  css: string,
  hostStyle: Readonly<Record<string, string>>,
): ShadowSurface {
  const host = doc.createElement(tag);
  host.setAttribute(marker, '');
  pinStyle(host, { all: 'initial', ...hostStyle });
  const root = host.attachShadow({ mode: 'closed' });
  adoptStyle(doc, root, css);
  return {
    host,
    root,
    render(state, content) {
      clearSurface(root);
      root.append(content);
      host.setAttribute('data-state', state);
    },
  };
}

/** Sets inline `!important` declarations, which the page's stylesheets cannot override. */
export function pinStyle(element: HTMLElement, style: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(style)) {
    element.style.setProperty(name, value, 'important');
  }
}

function adoptStyle(doc: Document, root: ShadowRoot, css: string): void {
  // A constructed sheet is not an inline <style>, so a strict page CSP (style-src without
  // 'unsafe-inline') does not block it; the <style> fallback covers engines without one.
  const Sheet = doc.defaultView?.CSSStyleSheet;
  if (Sheet !== undefined && 'adoptedStyleSheets' in root) {
    try {
      const sheet = new Sheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
      return;
    } catch {
      // fall through to a <style> element
    }
  }
  const style = doc.createElement('style');
  style.textContent = css;
  root.append(style);
}

/** Removes everything but the style element, ready to render again. */
function clearSurface(root: ShadowRoot): void {
  for (const node of Array.from(root.childNodes)) {
    if (!(node instanceof HTMLStyleElement)) node.remove();
  }
}

/** `<tag class="…">text</tag>`, built without parsing anything. */
export function textElement(
  doc: Document,
  tag: string,
  className: string,
  text: string,
): HTMLElement {
  const element = doc.createElement(tag);
  element.className = className;
  element.textContent = text;
  return element;
}

/**
 * The wallet's look on pages: one accent, system font, readable on any site. Set on the root
 * element inside the shadow tree, not on `:host`: the host's inline `all: initial` outranks
 * `:host` rules, and the page's font must not leak in.
 */
export const surfaceFont =
  "font: 13px/1.4 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; letter-spacing: normal;";
