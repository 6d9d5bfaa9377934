import { render } from 'preact';
import '../../ui/styles.css';
import { browserPlatform } from '../../ui/browser-platform.ts';
import { CardPurchases } from './card-purchases.tsx';
import { NotDelivered } from './not-delivered.tsx';
import { useHistoryState } from './state.ts';
import { HistoryView } from './views.tsx';

const platform = browserPlatform();

function History() {
  return (
    <HistoryView
      state={useHistoryState(platform)}
      cards={
        <>
          <NotDelivered platform={platform} />
          <CardPurchases platform={platform} />
        </>
      }
    />
  );
}

document.title = 'Farthing · History';
render(<History />, document.getElementById('root')!);
