import { render } from 'preact';
import '../../ui/styles.css';
import { browserPlatform } from '../../ui/browser-platform.ts';
import { useConfirmState } from './state.ts';
import { ConfirmView } from './views.tsx';

const platform = browserPlatform();
const environment = {
  search: location.search,
  framed: window.top !== window,
  window,
  document,
};

function Confirm() {
  return <ConfirmView state={useConfirmState(platform, environment)} />;
}

render(<Confirm />, document.getElementById('root')!);
