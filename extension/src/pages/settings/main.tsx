import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import '../../ui/styles.css';
import { browserPlatform } from '../../ui/browser-platform.ts';
import { webHid } from '../../wallet/instruments/purse/hid-transport.ts';
import { usePurseState } from '../purse/state.ts';
import { PurseSettingsSection } from '../purse/views.tsx';
import { useSettingsState } from './state.ts';
import { SettingsView } from './views.tsx';

const platform = browserPlatform();
const purseDeps = { platform, hid: () => webHid() };

/** The hardware purse: its balance and loading (amount and PIN), beside the settings. */
function PurseSettings() {
  return (
    <PurseSettingsSection
      state={usePurseState(purseDeps)}
      openPursePage={() => platform.openPage('purse')}
    />
  );
}

function SettingsPage() {
  const state = useSettingsState(platform);
  // The sections render after loading, too late for the browser's own jump to `#sites`.
  useEffect(() => {
    if (state.status === 'ready' && location.hash.length > 1) {
      document.getElementById(location.hash.slice(1))?.scrollIntoView();
    }
  }, [state.status]);
  return (
    <>
      <SettingsView state={state} />
      <PurseSettings />
    </>
  );
}

document.title = 'Farthing · Settings';
render(<SettingsPage />, document.getElementById('root')!);
