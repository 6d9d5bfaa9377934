import { render } from 'preact';
import '../../ui/styles.css';
import { browserPlatform } from '../../ui/browser-platform.ts';
import { useCards } from './card-balance.tsx';
import { usePaywallState } from './paywall-state.ts';
import { usePopupState } from './state.ts';
import { PopupView } from './views.tsx';

const platform = browserPlatform();

function Popup() {
  return (
    <PopupView
      state={usePopupState(platform)}
      paywall={usePaywallState(platform)}
      cards={useCards(platform.transport)}
    />
  );
}

document.body.classList.add('popup');
render(<Popup />, document.getElementById('root')!);
