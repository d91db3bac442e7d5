import { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { editorPlugin } from './editor';
import { nebulaPlugin } from './plugin';

export { INebula } from './services';

const plugins: JupyterFrontEndPlugin<any>[] = [nebulaPlugin, editorPlugin];

export default plugins;
