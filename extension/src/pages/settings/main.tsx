import { render } from 'preact';

render(<p>settings</p>, document.getElementById('root')!);
