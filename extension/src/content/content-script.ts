/**
 * The content script's entry: the wallet on this page, talking to the background through the
 * browser's runtime messaging (the background takes tab and origin from the MessageSender).
 * Built as a standalone IIFE, so no web-accessible resource betrays the wallet to pages.
 */
import browser from 'webextension-polyfill';
import { startWalletOnPage } from './wallet-on-page.ts';

if (document.documentElement !== null) {
  const wallet = startWalletOnPage(document, {
    transport: (message) => browser.runtime.sendMessage(message),
    pageUrl: () => location.href,
    navigate: (url) => location.assign(url),
    reload: () => location.reload(),
  });
  void wallet.scan();
}
