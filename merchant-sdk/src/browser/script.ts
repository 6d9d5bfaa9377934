/**
 * The entry of the single-file `<script>` build (`dist/browser/farthing.js`, an IIFE made by
 * esbuild): the browser module as the global `Farthing`, and the page started
 * (`startMerchantPage`) once the document is parsed, unless the script tag carries
 * `data-farthing-manual`:
 *
 *   <script src="/farthing.js" defer></script>
 *   <script>Farthing.onFarthingPaid(() => location.reload());</script>
 */
import { startMerchantPage } from './merchant-page.ts';

export * from './merchant-page.ts';

const tag = document.currentScript;
if (tag === null || !tag.hasAttribute('data-farthing-manual')) {
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', () => startMerchantPage(), { once: true });
  } else {
    startMerchantPage();
  }
}
