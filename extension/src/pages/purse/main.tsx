import { render } from 'preact';
import '../../ui/styles.css';
import { browserPlatform } from '../../ui/browser-platform.ts';
import { webHid } from '../../wallet/instruments/purse/hid-transport.ts';
import { usePurseState } from './state.ts';
import { PursePageView } from './views.tsx';

const deps = { platform: browserPlatform(), hid: () => webHid() };

function PursePage() {
  return <PursePageView state={usePurseState(deps)} />;
}

document.title = 'Farthing · Hardware purse';
render(<PursePage />, document.getElementById('root')!);
