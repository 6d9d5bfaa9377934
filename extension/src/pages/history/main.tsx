import { render } from 'preact';

render(<p>history</p>, document.getElementById('root')!);
