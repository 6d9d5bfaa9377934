import { render } from 'preact';
import '../../ui/styles.css';
import { browserPlatform } from '../../ui/browser-platform.ts';
import { webHid } from '../../wallet/instruments/purse/hid-transport.ts';
import { usePurseConfirm } from '../purse/confirm-purse.tsx';
import { useConfirmState } from './state.ts';
import { ConfirmView } from './views.tsx';

const platform = browserPlatform();
const environment = {
  search: location.search,
  framed: window.top !== window,
  window,
  document,
};

const purseDeps = { platform, hid: () => webHid() };

function Confirm() {
  const state = useConfirmState(platform, environment);
  const purse = usePurseConfirm(purseDeps, state.status === 'ready' ? state.confirmation : null);
  return <ConfirmView state={state} purse={purse} />;
}

render(<Confirm />, document.getElementById('root')!);
