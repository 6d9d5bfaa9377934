import browser from 'webextension-polyfill';

void browser.runtime.sendMessage({ hello: location.href });
