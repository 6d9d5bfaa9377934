/**
 * The wallet extension's build: MV3 through @crxjs/vite-plugin, pages in Preact. The manifest
 * beside this file is the source; `extension/dist` is the folder to load unpacked.
 */
import { crx } from '@crxjs/vite-plugin';
import preact from '@preact/preset-vite';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';
import manifest from './manifest.json' with { type: 'json' };

/**
 * The head every wallet page shares, written once: each `extension/src/pages/<page>/index.html`
 * holds only its title, its root element and its entry script.
 */
function walletPageHead(): Plugin {
  return {
    name: 'farthing-wallet-page-head',
    transformIndexHtml: {
      order: 'pre',
      handler: () => [
        { tag: 'meta', attrs: { charset: 'utf-8' }, injectTo: 'head-prepend' },
        {
          tag: 'meta',
          attrs: { name: 'viewport', content: 'width=device-width, initial-scale=1' },
          injectTo: 'head-prepend',
        },
        {
          tag: 'meta',
          attrs: { name: 'color-scheme', content: 'light dark' },
          injectTo: 'head-prepend',
        },
      ],
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  // The workspace packages from their sources (their exports' `@farthing/source` condition),
  // so the extension builds without building them first.
  resolve: { conditions: ['@farthing/source', ...defaultClientConditions] },
  plugins: [
    walletPageHead(),
    preact(),
    crx({
      manifest,
      // A self-contained IIFE needs no web-accessible resources, so no page can detect the
      // wallet by probing a fixed chrome-extension:// URL (the loader chunk would need one).
      contentScripts: { standaloneFiles: ['extension/src/content/content-script.ts'] },
    }),
  ],
  build: {
    outDir: 'extension/dist',
    emptyOutDir: true,
    target: 'chrome120',
    rollupOptions: {
      input: {
        confirm: 'extension/src/pages/confirm/index.html',
        history: 'extension/src/pages/history/index.html',
        purse: 'extension/src/pages/purse/index.html',
        recovery: 'extension/src/pages/recovery/index.html',
      },
    },
  },
});
