import browser from 'webextension-polyfill';

browser.runtime.onMessage.addListener((message: unknown) =>
  Promise.resolve({ ok: true, value: message }),
);
