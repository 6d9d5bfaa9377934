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
  const price = paid.amount.startsWith('EUR ') ? `€${paid.amount.slice(4)}` : paid.amount;
  notice.textContent = `Paid ${price}. Thank you for reading the Gazette.`;
  notice.hidden = false;
  setTimeout(() => {
    notice.hidden = true;
  }, 6_000);
});
