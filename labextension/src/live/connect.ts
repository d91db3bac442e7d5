import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { API_PATH } from '../api/client';
import { LiveClient, tabClientId } from './client';

/** The live client of the Jupyter server `settings` point at, as this browser tab. */
export function liveClientFor(
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): LiveClient {
  let url = URLExt.join(settings.wsUrl, API_PATH, 'live');
  if (settings.appendToken && settings.token) {
    // Browsers cannot set headers on a WebSocket; Jupyter accepts the token as a parameter.
    url += `?token=${encodeURIComponent(settings.token)}`;
  }
  return new LiveClient({ url, clientId: tabClientId(window.sessionStorage) });
}
