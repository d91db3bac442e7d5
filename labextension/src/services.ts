/**
 * What every Nebula panel shares: the REST client, the one live connection of this tab, and
 * the star the panels show by default. Other plugins reach it through the `INebula` token.
 */
import { Token } from '@lumino/coreutils';

import { NebulaApi } from './api';
import { LiveClient, liveClientFor } from './live';

export interface INebula {
  readonly api: NebulaApi;
  readonly live: LiveClient;
  /** The server's default star (the Jupyter user's own). */
  defaultStar(): Promise<string>;
}

export const INebula = new Token<INebula>(
  'nebula-jupyterlab:INebula',
  "Nebula's REST client and live connection"
);

export class NebulaServices implements INebula {
  readonly api = new NebulaApi();
  private _live: LiveClient | null = null;
  private star: Promise<string> | null = null;

  /** The live connection, opened on first use. */
  get live(): LiveClient {
    if (this._live === null) {
      this._live = liveClientFor(this.api.settings);
    }
    return this._live;
  }

  defaultStar(): Promise<string> {
    if (this.star === null) {
      this.star = this.api.stars().then(s => s.default);
      this.star.catch(() => {
        this.star = null; // let the next caller retry
      });
    }
    return this.star;
  }
}
