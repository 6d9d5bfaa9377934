import { render } from 'preact';
import '../../ui/styles.css';
import { browserPlatform } from '../../ui/browser-platform.ts';
import { useRecoveryState } from './state.ts';
import { RecoveryView } from './views.tsx';

const platform = browserPlatform();

function Recovery() {
  return <RecoveryView state={useRecoveryState(platform)} />;
}

document.title = 'Farthing · Recovery phrase';
render(<Recovery />, document.getElementById('root')!);
