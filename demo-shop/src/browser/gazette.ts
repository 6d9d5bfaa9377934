/**
 * The script every Gazette page loads (bundled from here at start-up, served as
 * `/assets/gazette.js`): the merchant SDK's browser part declares the merchant and marks
 * priced links, and a small notice says so when the wallet reports a payment. It holds no
 * keys and decides nothing; the wallet pays and the server opens the page.
 */
import { onFarthingPaid, startMerchantPage } from '@farthing/merchant-sdk/browser';

startMerchantPage();

onFarthingPaid((paid) => {
  const notice = document.getElementById('farthing-notice');
  if (notice === null) return;
  // `EUR 0.05`, as the wallet and the pages write prices.
  notice.textContent = `Paid ${paid.amount}. Thank you for reading the Gazette.`;
  notice.hidden = false;
  setTimeout(() => {
    notice.hidden = true;
  }, 6_000);
});
