/** The `Platform` of the real extension: webextension-polyfill and the page's own window. */
import browser from 'webextension-polyfill';
import type { Platform, WalletPage } from './platform.ts';

/** Where the build puts each page (the manifest names the sources, crxjs keeps the paths). */
const pagePaths: Readonly<Record<WalletPage, string>> = {
  popup: 'extension/src/pages/popup/index.html',
  settings: 'extension/src/pages/settings/index.html',
  history: 'extension/src/pages/history/index.html',
  purse: 'extension/src/pages/purse/index.html',
  recovery: 'extension/src/pages/recovery/index.html',
};

export function browserPlatform(win: Window = window): Platform {
  return {
    transport: (message) => browser.runtime.sendMessage(message),
    openPage(page, section) {
      const url = browser.runtime.getURL(pagePaths[page]) + (section ? `#${section}` : '');
      void browser.tabs.create({ url });
    },
    download(fileName, text, mimeType) {
      const url = URL.createObjectURL(new Blob([text], { type: mimeType }));
      const link = win.document.createElement('a');
      link.href = url;
      link.download = fileName;
      link.click();
      // The click starts the download synchronously; the URL can go once it has.
      win.setTimeout(() => URL.revokeObjectURL(url), 1_000);
    },
    closeWindow() {
      win.close();
    },
  };
}
