import { render } from 'preact';

render(<p>confirm</p>, document.getElementById('root')!);
